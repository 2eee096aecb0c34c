"""Replication: the stream of effects replicas follow (propagate.py) and the master side
of the replication protocol (master.py)."""
