"""Cluster, replication and module commands on a standalone server without replicas or
modules: the same replies as redis-server 7.0 in the same state."""

import threading
import time

import pytest
import redis

from conftest import raw_reply


@pytest.mark.parametrize("args", [
    ("CLUSTER", "INFO"), ("CLUSTER", "SLOTS"), ("CLUSTER", "SHARDS"), ("CLUSTER", "HELP"),
    ("CLUSTER", "KEYSLOT", "k"), ("CLUSTER", "NOSUCH"), ("CLUSTER",), ("CLUSTER", "INFO", "x"),
    ("READONLY",), ("READWRITE",), ("ASKING",), ("READONLY", "x"),
    ("WAIT", "0", "0"), ("WAIT", "x", "0"), ("WAIT", "1", "x"), ("WAIT", "1", "-1"), ("WAIT", "1"),
    ("FAILOVER",), ("FAILOVER", "ABORT"), ("FAILOVER", "TIMEOUT", "0"),
    ("FAILOVER", "TIMEOUT", "x"), ("FAILOVER", "FORCE"), ("FAILOVER", "TO", "h", "1", "FORCE"),
    ("FAILOVER", "ABORT", "FORCE"), ("FAILOVER", "NOPE"), ("FAILOVER", "TO", "h", "x"),
    ("FAILOVER", "TO", "h", "1", "TIMEOUT", "10", "FORCE"),
    ("MODULE", "LIST"), ("MODULE", "HELP"), ("MODULE", "LOAD", "/no/such.so"),
    ("MODULE", "UNLOAD", "x"), ("MODULE", "LOADEX", "/no/such.so"), ("MODULE", "NOPE"),
    ("RESTORE-ASKING", "k", "0", "bad payload"),
])
def test_replies_match_redis(diff, args):
    diff(*args)


def test_restore_asking_restores(r, real):
    for client in (r, real):
        client.set("src", "value")
        payload = client.dump("src")
        assert raw_reply(client, "RESTORE-ASKING", "copy", "0", payload) == b"OK"
        assert client.get("copy") == b"value"


def test_wait_for_a_replica_waits_out_its_timeout(server, real_redis):
    """With too few replicas WAIT blocks for its timeout and then answers 0; CLIENT
    UNBLOCK ends the wait early, as for Redis."""
    for srv in (server, real_redis):
        client = srv.client()
        started = time.monotonic()
        assert client.execute_command("WAIT", "1", "200") == 0
        assert time.monotonic() - started >= 0.19
        waiter = srv.client()
        my_id = waiter.client_id()
        result = {}
        thread = threading.Thread(target=lambda: result.update(
            reply=waiter.execute_command("WAIT", "1", "0")))
        thread.start()
        deadline = time.time() + 5
        while client.info("clients")["blocked_clients"] == 0 and time.time() < deadline:
            time.sleep(0.01)
        assert client.client_unblock(my_id)
        thread.join(5)
        assert result["reply"] == 0
