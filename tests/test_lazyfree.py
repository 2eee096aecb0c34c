"""Lazy freeing (keydb_ft/db/lazyfree.py): which removals defer freeing a value, by
Redis's rule and threshold, counted in INFO as redis-server 7.0 counts them."""

import pytest

from conftest import raw_reply
from test_persistence import wait_until

MEMBERS = [b"m%d" % i for i in range(100)]
FIELDS = [x for i in range(600) for x in (b"f%d" % i, b"v")]
SCORED = [x for i in range(200) for x in (str(i), b"m%d" % i)]
STREAM = [("XADD", "k", "*", "foo" if i % 10 else "bar", str(i)) for i in range(1000)]

# (what, config during it, set-up commands, the removal, objects freed lazily)
CASES = [
    ("hash-table set", {}, [("SADD", "k", *MEMBERS)], ("UNLINK", "k"), 1),
    ("small hash-table set", {}, [("SADD", "k", *MEMBERS[:10])], ("UNLINK", "k"), 0),
    ("intset", {}, [("SADD", "k", *range(300))], ("UNLINK", "k"), 0),
    ("hash-table hash", {}, [("HSET", "k", *FIELDS)], ("UNLINK", "k"), 1),
    ("listpack hash", {}, [("HSET", "k", *FIELDS[:100])], ("UNLINK", "k"), 0),
    ("skiplist zset", {}, [("ZADD", "k", *SCORED)], ("UNLINK", "k"), 1),
    ("list of 100 one-element nodes", {"list-max-listpack-size": "1"},
     [("RPUSH", "k", *MEMBERS)], ("UNLINK", "k"), 1),
    ("list in one node", {}, [("RPUSH", "k", *MEMBERS)], ("UNLINK", "k"), 0),
    ("string", {}, [("SET", "k", "x" * 100000)], ("UNLINK", "k"), 0),
    ("stream of 200 nodes with a group", {"stream-node-max-entries": "5"},
     STREAM + [("XGROUP", "CREATE", "k", "g", "0"),
               ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "k", ">")],
     ("UNLINK", "k"), 1),
    ("stream with a destroyed group", {}, [("XADD", "k", "*", "a", "b"),
                                          ("XGROUP", "CREATE", "k", "g", "$"),
                                          ("XGROUP", "DESTROY", "k", "g")], ("UNLINK", "k"), 0),
    ("DEL", {}, [("SADD", "k", *MEMBERS)], ("DEL", "k"), 0),
    ("DEL, lazyfree-lazy-user-del", {"lazyfree-lazy-user-del": "yes"},
     [("SADD", "k", *MEMBERS)], ("DEL", "k"), 1),
    ("GETDEL of a string, lazyfree-lazy-user-del", {"lazyfree-lazy-user-del": "yes"},
     [("SET", "k", "v")], ("GETDEL", "k"), 0),
    ("expired on access, lazyfree-lazy-expire", {"lazyfree-lazy-expire": "yes"},
     [("SADD", "k", *MEMBERS), ("PEXPIRE", "k", "1"), ("DEBUG", "SLEEP", "0.01")],
     ("EXISTS", "k"), 1),
    ("expired on access", {}, [("SADD", "k", *MEMBERS), ("PEXPIRE", "k", "1"),
                               ("DEBUG", "SLEEP", "0.01")], ("EXISTS", "k"), 0),
]


def _freed_when_done(c):
    """lazyfreed_objects once nothing is pending (Redis frees on its own thread)."""
    wait_until(lambda: c.info("memory")["lazyfree_pending_objects"] == 0, timeout=10)
    return c.info("memory")["lazyfreed_objects"]


@pytest.mark.parametrize("what, config, setup, removal, expected", CASES,
                         ids=[case[0] for case in CASES])
def test_lazyfreed_objects_match_redis(r, real, what, config, setup, removal, expected):
    both = (r, real)
    olds = [{name: c.config_get(name)[name] for name in config} for c in both]
    try:
        for c in both:
            c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")    # expiry on access only
            for name, value in config.items():
                c.config_set(name, value)
            c.delete("k")
            c.config_resetstat()
            for cmd in setup:
                c.execute_command(*cmd)
        replies = [raw_reply(c, *removal) for c in both]
        assert replies[0] == replies[1] == (0 if removal[0] == "EXISTS" else replies[0]) \
            and replies[0] is not None, removal
        assert [_freed_when_done(c) for c in both] == [expected] * 2
        assert r.exists("k") == 0
    finally:
        for c, old in zip(both, olds):
            c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            for name, value in old.items():
                c.config_set(name, value)
