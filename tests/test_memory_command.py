"""MEMORY: the replies' shapes and errors are redis-server 7.0's; the byte counts are
keydb-ft's own (what its objects take), checked for sense, not against Redis's."""

import subprocess

import pytest
import redis

from conftest import raw_reply, same


def test_usage_errors_and_missing_keys_match_redis(r, real):
    for c in (r, real):
        c.set("s", "v")
    for args in [("nokey",), ("s", "SAMPLES"), ("s", "SAMPLES", "x"), ("s", "SAMPLES", "-1"),
                 ("s", "FOO", "1"), ("s", "SAMPLES", "2", "SAMPLES"), ()]:
        ours, theirs = same(r, real, "MEMORY", "USAGE", *args)
        assert ours == theirs, args
    for args in [("FOO",), ("STATS", "x"), ("DOCTOR", "x"), ("PURGE",), ("MALLOC-STATS", "x")]:
        ours, theirs = same(r, real, "MEMORY", *args)
        assert ours == theirs, args


def test_usage_grows_with_the_value(r):
    r.set("short", "v")
    r.set("long", "v" * 100_000)
    assert 100_000 < r.memory_usage("long") < 100_000 + 1000
    assert r.memory_usage("short") < 200
    r.rpush("small", "a")
    r.rpush("big", *[b"x" * 100] * 10_000)
    assert r.memory_usage("big") > 100 * r.memory_usage("small")
    r.hset("h", mapping={f"f{i}": "v" * (i % 50) for i in range(1000)})
    r.zadd("z", {f"m{i}": i for i in range(1000)})
    r.sadd("st", *range(1000))
    r.xadd("x", {"f": "v"})
    for key in ("h", "z", "st", "x"):
        everything = r.memory_usage(key, samples=0)
        assert everything > 0 and abs(r.memory_usage(key) - everything) < everything
    assert r.memory_usage("nokey") is None


def _as_map(reply):
    return reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2]))


def test_stats_has_redis_fields(r, real):
    for c in (r, real):
        c.set("a", "1")
        c.set("b", "2", ex=100)
    ours_map = _as_map(raw_reply(r, "MEMORY", "STATS"))
    theirs_map = _as_map(raw_reply(real, "MEMORY", "STATS"))
    assert list(ours_map) == list(theirs_map)
    for name, value in theirs_map.items():
        assert type(ours_map[name]) is type(value), name
    assert ours_map[b"keys.count"] == 2
    db0 = _as_map(ours_map[b"db.0"])
    assert set(db0) == {b"overhead.hashtable.main", b"overhead.hashtable.expires"}
    r3 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], protocol=3)
    stats = r3.memory_stats()
    assert stats["keys.count"] == 2 and stats["total.allocated"] > 0


def test_doctor_malloc_stats_purge(r, real):
    ours, theirs = same(r, real, "MEMORY", "DOCTOR")     # both empty
    assert ours == theirs
    r.set("k", "v")
    assert b"Sam" in raw_reply(r, "MEMORY", "DOCTOR")
    assert raw_reply(r, "MEMORY", "MALLOC-STATS") == \
        b"Stats not supported for the current allocator"      # no jemalloc here
    assert r.memory_purge()


def test_redis_cli_memkeys(server, r):
    r.set("s", "v" * 1000)
    r.rpush("l", *range(100))
    out = subprocess.run(["redis-cli", "-p", str(server.port), "--memkeys"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Biggest string found '\"s\"'" in out.stdout
    assert "1 strings with 0 bytes" not in out.stdout


@pytest.mark.parametrize("sub", ["USAGE", "STATS"])
def test_usage_and_stats_in_resp3(r3, sub):
    r3.set("k", "v")
    reply = raw_reply(r3, "MEMORY", sub, *(["k"] if sub == "USAGE" else []))
    assert isinstance(reply, int if sub == "USAGE" else dict)
