"""The keyspace: databases split into stripes, lazy and active expiry, WATCH, blocking index."""

from .keyspace import Database, Keyspace, now_ms  # noqa: F401
