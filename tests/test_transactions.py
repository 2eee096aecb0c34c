"""MULTI / EXEC / WATCH, including atomicity across loop threads."""

import threading

import pytest
import redis

from conftest import normalize


def test_transaction_replies_match_redis(server, real_redis):
    ours, theirs = server.client(), real_redis.client()
    for c in (ours, theirs):
        c.flushall()
    conn_a = ours.connection_pool.get_connection()
    conn_b = theirs.connection_pool.get_connection()
    script = [("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",),
              ("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",), ("SET", "x"), ("GET", "a"),
              ("EXEC",), ("MULTI",), ("INCR", "a"), ("GET", "a"),
              ("DISCARD",), ("WATCH", "a"), ("MULTI",), ("WATCH", "b"), ("EXEC",),
              ("MULTI",), ("SET", "s", "x"), ("INCR", "s"), ("EXEC",), ("NOSUCH",)]
    for cmd in script:
        replies = []
        for conn in (conn_a, conn_b):
            conn.send_command(*cmd)
            try:
                replies.append(normalize(conn.read_response()))
            except redis.ResponseError as exc:
                replies.append(normalize(exc))
        assert replies[0] == replies[1], (cmd, replies)


# WATCH over keys that had expired but were not yet deleted when watched, and over
# FLUSHDB / FLUSHALL / SWAPDB: steps run on one connection ("sleep" waits out a PX 1);
# each scenario ends with MULTI, PING, EXEC, whose reply must be redis-server's.
STALE = [
    # deleting a key that had already expired when watched is no change
    [("SET", "x", "foo", "PX", "1"), "sleep", ("WATCH", "x"), ("EXISTS", "x")],
    [("SET", "x", "foo", "PX", "1"), "sleep", ("WATCH", "x"), ("FLUSHDB",)],
    [("SET", "x", "foo", "PX", "1"), "sleep", ("WATCH", "x"), ("DEL", "x")],
    # ... but writing it again is
    [("SET", "x", "foo", "PX", "1"), "sleep", ("WATCH", "x"), ("SET", "x", "bar")],
    # expiring after WATCH is a change
    [("SET", "x", "foo", "PX", "1000"), ("WATCH", "x"), ("PEXPIRE", "x", "1"), "sleep"],
    # flushing touches only keys that exist
    [("SET", "x", "30"), ("WATCH", "x"), ("FLUSHALL",)],
    [("DEL", "x"), ("WATCH", "x"), ("FLUSHALL",)],
    [("SET", "x", "30"), ("WATCH", "x"), ("FLUSHDB",)],
    [("DEL", "x"), ("WATCH", "x"), ("FLUSHDB",)],
    [("SET", "y", "30"), ("WATCH", "x"), ("FLUSHDB",)],
    # SWAPDB touches keys that exist on either side, unless stale on both
    [("SET", "x", "30"), ("WATCH", "x"), ("SWAPDB", "0", "1")],
    [("SELECT", "1"), ("SET", "x", "30"), ("SELECT", "0"), ("WATCH", "x"), ("SWAPDB", "0", "1")],
    [("SELECT", "1"), ("SET", "x", "foo", "PX", "1"), "sleep", ("WATCH", "x"),
     ("SWAPDB", "0", "1")],
    [("SET", "x", "foo", "PX", "1"), "sleep", ("SELECT", "1"), ("WATCH", "x"),
     ("SWAPDB", "0", "1")],
    [("SELECT", "1"), ("SET", "x", "foo", "PX", "1"), ("SELECT", "0"),
     ("SET", "x", "bar", "PX", "1"), "sleep", ("SELECT", "1"), ("WATCH", "x"),
     ("SWAPDB", "0", "1")],
    [("SELECT", "1"), ("SET", "x", "foo", "PX", "1"), ("SELECT", "0"), ("SET", "x", "bar"),
     "sleep", ("SELECT", "1"), ("WATCH", "x"), ("SWAPDB", "0", "1")],
    [("SET", "x", "foo", "PX", "1"), "sleep", ("SELECT", "1"), ("SET", "x", "bar"),
     ("SELECT", "0"), ("WATCH", "x"), ("SWAPDB", "0", "1")],
]


def _run_stale(client, steps):
    import time
    conn = client.connection_pool.get_connection()
    try:
        conn.send_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        conn.read_response()
        for step in steps:
            if step == "sleep":
                time.sleep(0.01)
                continue
            conn.send_command(*step)
            conn.read_response()
        for cmd in (("MULTI",), ("PING",)):
            conn.send_command(*cmd)
            conn.read_response()
        conn.send_command("EXEC")
        return conn.read_response()
    finally:
        for cmd in (("SELECT", "0"), ("DEBUG", "SET-ACTIVE-EXPIRE", "1")):
            conn.send_command(*cmd)
            conn.read_response()
        client.connection_pool.release(conn)


@pytest.mark.parametrize("steps", STALE, ids=[str(i) for i in range(len(STALE))])
def test_watch_stale_keys_and_flushes_match_redis(server, real_redis, steps):
    replies = []
    for srv in (server, real_redis):
        client = srv.client()
        client.flushall()
        replies.append(_run_stale(client, steps))
        client.close()
    assert replies[0] == replies[1], replies


def test_watch_aborts_on_change_from_another_connection(server, r):
    other = server.client()
    r.set("w", "1")
    with r.pipeline() as pipe:
        pipe.watch("w")
        other.set("w", "2")
        pipe.multi()
        pipe.set("w", "3")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("w") == b"2"


def test_watch_sees_expiry(r):
    import time
    r.set("w", "1", px=100)
    with r.pipeline() as pipe:
        pipe.watch("w")
        time.sleep(0.3)
        pipe.multi()
        pipe.set("w", "3")
        with pytest.raises(redis.WatchError):
            pipe.execute()


def test_watch_untouched_succeeds(r):
    r.set("w", "1")
    with r.pipeline() as pipe:
        pipe.watch("w")
        pipe.multi()
        pipe.incr("w")
        assert pipe.execute() == [2]


def test_concurrent_transfers_keep_total(server, r):
    """Threads on different loops move money between accounts with MULTI; the total
    never changes and every EXEC applies all or nothing."""
    accounts = [f"acct:{i}" for i in range(8)]
    r.mset({a: 1000 for a in accounts})
    errors = []

    def worker(seed):
        c = server.client()
        import random
        rnd = random.Random(seed)
        for _ in range(300):
            a, b = rnd.sample(accounts, 2)
            amount = rnd.randint(1, 20)
            try:
                res = c.pipeline(transaction=True).decrby(a, amount).incrby(b, amount).execute()
                assert len(res) == 2
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    observed = []
    for _ in range(50):
        vals = r.mget(accounts)
        observed.append(sum(int(v) for v in vals))
    for t in threads:
        t.join(120)
    assert not errors
    assert sum(int(v) for v in r.mget(accounts)) == 8000
    # MGET is atomic across the stripes it locks, so no read sees half a transfer
    assert all(total == 8000 for total in observed)


def test_watch_retry_counter(server, r):
    """Optimistic locking: WATCH/GET/MULTI/SET retried until success; exact count."""
    r.set("counter", 0)

    def worker():
        c = server.client()
        for _ in range(100):
            while True:
                with c.pipeline() as pipe:
                    try:
                        pipe.watch("counter")
                        value = int(pipe.get("counter"))
                        pipe.multi()
                        pipe.set("counter", value + 1)
                        pipe.execute()
                        break
                    except redis.WatchError:
                        continue

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert int(r.get("counter")) == 600
