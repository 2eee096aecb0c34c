"""Hash commands compared reply-for-reply with redis-server 7.0 (RESP2 and RESP3), plus the
random and cursor commands checked by their contracts and a concurrency test."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import raw_reply, same
from hashset_helpers import (command_info_mismatches, mismatches, resp3_clients,
                             run_threads)

CASES = [
    ("HSET", "h", "f1", "v1"), ("HSET", "h", "f2", "v2", "f3", "v3"), ("HSET", "h", "f1", "new"),
    ("HSET", "h", "f1"), ("HSET", "h"), ("HMSET", "h", "a", "1", "b"),
    ("HMSET", "h", "a", "1", "b", "2"), ("HGET", "h", "f1"), ("HGET", "h", "zz"),
    ("HGET", "nokey", "f"), ("HMGET", "h", "f1", "zz", "f2"), ("HMGET", "nokey", "a", "b"),
    ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"), ("HLEN", "h"), ("HLEN", "nokey"),
    ("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HSTRLEN", "h", "f1"),
    ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "f"), ("HEXISTS", "h", "f1"),
    ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "zz"), ("HSETNX", "h", "f1", "x"),
    ("HSETNX", "h", "f9", "x"), ("HSETNX", "new", "f", "v"), ("HSETNX", "h", "f"),
    ("HDEL", "h", "f1", "f1", "zz"), ("HDEL", "nokey", "a"), ("HDEL", "h"), ("HGETALL", "h"),
    ("HSET", "h", "f1", "back"), ("HGETALL", "h"), ("HDEL", "new", "f"), ("EXISTS", "new"),
    ("HINCRBY", "n", "c", "5"), ("HINCRBY", "n", "c", "-10"), ("HINCRBY", "n", "c", "x"),
    ("HINCRBY", "n", "c", "1.5"), ("HINCRBY", "n", "c", "+1"), ("HINCRBY", "n", "c", ""),
    ("HSET", "n", "s", "abc", "sp", " 1", "plus", "+1", "lz", "01", "neg0", "-0", "max",
     "9223372036854775807", "min", "-9223372036854775808", "empty", ""),
    ("HINCRBY", "n", "s", "1"), ("HINCRBY", "n", "sp", "1"), ("HINCRBY", "n", "plus", "1"),
    ("HINCRBY", "n", "lz", "1"), ("HINCRBY", "n", "neg0", "1"), ("HINCRBY", "n", "empty", "1"),
    ("HINCRBY", "n", "max", "1"), ("HINCRBY", "n", "min", "-1"), ("HINCRBY", "n", "max", "-1"),
    ("HINCRBY", "n", "c", "9223372036854775808"), ("HINCRBY", "n", "c", "-9223372036854775808"),
    ("HINCRBYFLOAT", "n", "f", "1.5"), ("HINCRBYFLOAT", "n", "f", "0.1"),
    ("HINCRBYFLOAT", "n", "f", "-1.6"), ("HINCRBYFLOAT", "n", "f", "abc"),
    ("HINCRBYFLOAT", "n", "f", "inf"), ("HINCRBYFLOAT", "n", "f", "-Infinity"),
    ("HINCRBYFLOAT", "n", "f", "nan"), ("HINCRBYFLOAT", "n", "f", "1e308"),
    ("HINCRBYFLOAT", "n", "f", "1e308"), ("HINCRBYFLOAT", "n", "s", "1"),
    ("HINCRBYFLOAT", "n", "sp", "1"), ("HINCRBYFLOAT", "n", "c", "2.5"),
    ("HINCRBYFLOAT", "n", "max", "1"), ("HINCRBYFLOAT", "n", "empty", "1"),
    ("HSET", "n", "hex", "0x10", "inf", "inf", "big", "1e400", "e", "5.0e3", "minf", "-inf"),
    ("HINCRBYFLOAT", "n", "hex", "1"), ("HINCRBYFLOAT", "n", "inf", "1"),
    ("HINCRBYFLOAT", "n", "minf", "1"), ("HINCRBYFLOAT", "n", "big", "1"),
    ("HINCRBYFLOAT", "n", "e", "1"), ("HINCRBYFLOAT", "n", "g", "1e5000"),
    ("HINCRBYFLOAT", "n", "g", " 1"), ("HINCRBYFLOAT", "n", "g", "1 "),
    ("HINCRBYFLOAT", "n", "g", "0x1p3"), ("HINCRBYFLOAT", "n", "g", ".5"),
    ("HINCRBYFLOAT", "n", "g", "-.5e1"), ("HINCRBYFLOAT", "n", "g", "1e-5000"), ("HGETALL", "n"),
    ("HRANDFIELD", "h", "100"), ("HRANDFIELD", "h", "100", "WITHVALUES"),
    ("HRANDFIELD", "h", "0"),
    ("HRANDFIELD", "h", "0", "WITHVALUES"), ("HRANDFIELD", "h", "x"),
    ("HRANDFIELD", "h", "1", "foo"), ("HRANDFIELD", "h", "1", "withvalues", "x"),
    ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "5"),
    ("HRANDFIELD", "nokey", "-5", "withvalues"), ("HRANDFIELD", "h", "-9223372036854775808"),
    ("HRANDFIELD", "h", "-4611686018427387905", "withvalues"),
    ("HRANDFIELD", "h", "4611686018427387904", "withvalues"), ("HRANDFIELD", "n", "1.5"),
    ("HSET", "one", "only", "v"), ("HRANDFIELD", "one"), ("HRANDFIELD", "one", "-3"),
    ("HRANDFIELD", "one", "-2", "WITHVALUES"), ("HRANDFIELD", "one", "1", "WITHVALUES"),
    ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "MATCH", "f*"), ("HSCAN", "h", "0", "COUNT", "1"),
    ("HSCAN", "h", "0", "MATCH", "*", "COUNT", "2"), ("HSCAN", "h", "0", "COUNT", "0"),
    ("HSCAN", "h", "0", "COUNT", "x"), ("HSCAN", "h", "0", "FOO", "1"),
    ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "x"), ("HSCAN", "h", "-1"), ("HSCAN", "h", ""),
    ("HSCAN", "h", " 1"), ("HSCAN", "h", "1 "), ("HSCAN", "h", "18446744073709551616"),
    ("HSCAN", "h", "18446744073709551615"), ("HSCAN", "h", "+5"), ("HSCAN", "h", "-"),
    ("HSCAN", "nokey", "0"), ("HSCAN", "nokey", "0", "FOO"),
    ("HSCAN", "h", "0", "TYPE", "string"), ("HSCAN", "h", "0", "COUNT", "-1"),
    ("OBJECT", "ENCODING", "h"), ("TYPE", "h"), ("HSET", "lv", "f", "x" * 64),
    ("OBJECT", "ENCODING", "lv"), ("HSET", "lv", "g", "x" * 65), ("OBJECT", "ENCODING", "lv"),
    ("HDEL", "lv", "g"), ("OBJECT", "ENCODING", "lv"), ("HSET", "lf", "f" * 65, "x"),
    ("OBJECT", "ENCODING", "lf"), ("HSET", "nx", "a", "1"), ("HSETNX", "nx", "a", "y" * 100),
    ("OBJECT", "ENCODING", "nx"), ("HSETNX", "nx", "b", "y" * 100), ("OBJECT", "ENCODING", "nx"),
    ("HINCRBYFLOAT", "fl", "f", "1e60"), ("OBJECT", "ENCODING", "fl"),
    ("HINCRBYFLOAT", "fl", "g", "1e70"), ("OBJECT", "ENCODING", "fl"), ("HGET", "fl", "g"),
    ("HINCRBY", "ib", "f", "1"), ("HINCRBY", "ib", "f" * 65, "1"), ("OBJECT", "ENCODING", "ib"),
    ("HGET",), ("HGET", "h"), ("HLEN",), ("HKEYS", "h", "x"), ("HSETNX", "h", "a"),
    ("HINCRBY", "h", "a"), ("HINCRBYFLOAT", "h", "a", "1", "2"), ("HSTRLEN", "h"),
    ("HEXISTS", "h"), ("HMGET", "h"), ("HDEL", "h"), ("HRANDFIELD",), ("HSCAN", "h"),
    ("HGETALL", "h", "x"), ("HVALS",), ("HMSET", "h", "a"),
]

WRONGTYPE_CASES = [
    ("HSET", "str", "a", "1"), ("HMSET", "str", "a", "1"), ("HSETNX", "str", "a", "1"),
    ("HGET", "str", "a"), ("HMGET", "str", "a"), ("HDEL", "str", "a"), ("HLEN", "str"),
    ("HSTRLEN", "str", "a"), ("HEXISTS", "str", "a"), ("HKEYS", "str"), ("HVALS", "str"),
    ("HGETALL", "str"), ("HINCRBY", "str", "a", "1"), ("HINCRBY", "str", "a", "x"),
    ("HINCRBYFLOAT", "str", "a", "1"), ("HINCRBYFLOAT", "str", "a", "x"), ("HRANDFIELD", "str"),
    ("HRANDFIELD", "str", "2"), ("HRANDFIELD", "str", "x"), ("HSCAN", "str", "0"),
    ("HSCAN", "str", "x"), ("HSCAN", "str", "0", "FOO"),
]

HASH_COMMANDS = ["hset", "hsetnx", "hget", "hmget", "hmset", "hdel", "hlen", "hstrlen",
                 "hexists", "hkeys", "hvals", "hgetall", "hincrby", "hincrbyfloat",
                 "hrandfield", "hscan"]


def test_hash_commands_match_redis(r, real):
    bad = mismatches(r, real, CASES)
    assert not bad, "\n".join(map(repr, bad))


def test_hash_commands_on_other_types(r, real):
    r.set("str", "x")
    real.set("str", "x")
    bad = mismatches(r, real, WRONGTYPE_CASES)
    assert not bad, "\n".join(map(repr, bad))


def test_command_info_matches_redis(r, real):
    assert not command_info_mismatches(r, real, HASH_COMMANDS)


def test_resp3_shapes(server, real_redis):
    ours, theirs = resp3_clients(server, real_redis)
    cases = [("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HGETALL", "h"), ("HGETALL", "none"),
             ("HRANDFIELD", "h", "10", "WITHVALUES"), ("HRANDFIELD", "h", "10"),
             ("HRANDFIELD", "none"), ("HRANDFIELD", "none", "3", "WITHVALUES"),
             ("HMGET", "h", "a", "zz"), ("HGET", "h", "zz"), ("HSCAN", "h", "0"),
             ("HINCRBYFLOAT", "h", "a", "0.5"), ("HKEYS", "h"), ("HVALS", "h"),
             ("HSET", "one", "f", "v"), ("HRANDFIELD", "one", "-2", "WITHVALUES")]
    bad = mismatches(ours, theirs, cases)
    assert not bad, "\n".join(map(repr, bad))


def _fill(client, key, count, prefix="f"):
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.hset(key, f"{prefix}{i}", f"v{i}")
    pipe.execute()


def test_encoding_follows_config_and_is_one_way(r, real):
    for client in (r, real):
        _fill(client, "big", 513)
        _fill(client, "edge", 512)
    for key in ("big", "edge"):
        assert raw_reply(r, "OBJECT", "ENCODING", key) == raw_reply(real, "OBJECT", "ENCODING", key)
    assert r.object("encoding", "big") == b"hashtable"
    assert sorted(r.hgetall("big").items()) == sorted(real.hgetall("big").items())
    for client in (r, real):
        client.hdel("big", *[f"f{i}" for i in range(500)])
    assert r.object("encoding", "big") == real.object("encoding", "big") == b"hashtable"
    for client in (r, real):
        client.config_set("hash-max-listpack-entries", 4)
    try:
        for client in (r, real):
            _fill(client, "small", 5)
        assert r.object("encoding", "small") == real.object("encoding", "small") == b"hashtable"
    finally:
        for client in (r, real):
            client.config_set("hash-max-listpack-entries", 512)


def test_hrandfield_contracts(r):
    fields = {f"f{i}".encode(): f"v{i}".encode() for i in range(10)}
    r.hset("h", mapping=fields)
    reps = r.execute_command("HRANDFIELD", "h", "-25")
    assert len(reps) == 25 and set(reps) <= set(fields)
    distinct = r.execute_command("HRANDFIELD", "h", "6")
    assert len(distinct) == 6 == len(set(distinct)) and set(distinct) <= set(fields)
    flat = r.hrandfield("h", 3, withvalues=True)
    assert len(flat) == 6 and all(fields[f] == v for f, v in zip(flat[::2], flat[1::2]))
    seen = {r.hrandfield("h") for _ in range(300)}
    assert seen == set(fields)
    assert len(r.execute_command("HRANDFIELD", "h", "2")) == 2


def test_hrandfield_resp3_pairs(r3):
    r3.hset("h", mapping={f"f{i}": i for i in range(50)})
    conn = r3.connection_pool.get_connection()
    try:
        conn.send_command("HRANDFIELD", "h", "-7", "WITHVALUES")
        pairs = conn.read_response()
    finally:
        r3.connection_pool.release(conn)
    assert len(pairs) == 7
    assert all(len(p) == 2 and p[1] == p[0][1:] for p in pairs)


def test_hscan_big_hash_returns_fields_present_throughout(r):
    _fill(r, "big", 3000, "keep:")
    _fill(r, "big", 500, "tmp:")
    assert r.object("encoding", "big") == b"hashtable"
    seen, cursor, calls, added = set(), 0, 0, 0
    while True:
        cursor, page = r.hscan("big", cursor, count=50)
        seen.update(page)
        calls += 1
        r.hdel("big", f"tmp:{calls}")
        r.hset("big", f"new:{calls}", "x")
        added += 1
        if cursor == 0 or calls > 1000:
            break
    assert cursor == 0
    assert {f"keep:{i}".encode() for i in range(3000)} <= seen
    assert all(r.hget("big", f) == v for f, v in list(page.items())[:5])


def test_hscan_pages_respect_count_and_match(r):
    _fill(r, "big", 1000)
    cursor, page = r.hscan("big", 0, count=20)
    assert cursor != 0 and 20 <= len(page) <= 25
    matched = {}
    cursor = 0
    for _ in range(500):
        cursor, page = r.hscan("big", cursor, match="f1*", count=100)
        matched.update(page)
        if cursor == 0:
            break
    assert set(matched) == {f"f{i}".encode() for i in range(1000) if str(i).startswith("1")}
    assert matched[b"f10"] == b"v10"


def test_concurrent_hincrby_exact_totals(server):
    threads, rounds, fields = 8, 150, 5

    def worker(n):
        client = server.client()
        for i in range(rounds):
            pipe = client.pipeline(transaction=False)
            for f in range(fields):
                pipe.hincrby("counters", f"f{f}", 1)
                pipe.hincrbyfloat("floats", f"f{f}", "0.5")
            pipe.hset(f"own:{n}", f"i{i}", i)
            pipe.execute()
        client.close()

    client = server.client()
    client.delete("counters", "floats", *[f"own:{n}" for n in range(threads)])
    run_threads(threads, worker)
    total = threads * rounds
    assert client.hgetall("counters") == {f"f{f}".encode(): b"%d" % total for f in range(fields)}
    assert client.hgetall("floats") == {f"f{f}".encode(): b"%d" % (total // 2)
                                        for f in range(fields)}
    assert all(client.hlen(f"own:{n}") == rounds for n in range(threads))


FIELDS = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.one_of(st.integers(-5, 30).map(str), st.sampled_from(["x", "", "1.5", "-0", "1e3"]))
OPS = st.one_of(
    st.tuples(st.just("HSET"), FIELDS, VALUES), st.tuples(st.just("HSETNX"), FIELDS, VALUES),
    st.tuples(st.just("HDEL"), FIELDS), st.tuples(st.just("HGET"), FIELDS),
    st.tuples(st.just("HINCRBY"), FIELDS, st.integers(-3, 3).map(str)),
    st.tuples(st.just("HINCRBYFLOAT"), FIELDS, st.sampled_from(["0.5", "-1.25", "3", "x"])),
    st.tuples(st.just("HMGET"), FIELDS, FIELDS), st.tuples(st.just("HSTRLEN"), FIELDS),
    st.tuples(st.just("HEXISTS"), FIELDS), st.tuples(st.just("HLEN")),
    st.tuples(st.just("HGETALL")), st.tuples(st.just("HKEYS")), st.tuples(st.just("HVALS")),
    st.tuples(st.just("HRANDFIELD"), st.just("10")))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(["h1", "h2"]), OPS), max_size=30))
def test_random_hash_sequences(server, real_redis, ops):
    ours, theirs = server.client(), real_redis.client()
    ours.flushall()
    theirs.flushall()
    for key, (name, *args) in ops:
        x, y = same(ours, theirs, name, key, *args)
        assert x == y, (name, key, args, x, y)
    for key in ("h1", "h2"):
        x, y = same(ours, theirs, "OBJECT", "ENCODING", key)
        assert x == y, key
    assert sorted(ours.keys()) == sorted(theirs.keys())


@pytest.mark.parametrize("cmd", [("HSET", "k", "a"), ("HGETALL",), ("HSCAN", "k", "0", "COUNT")])
def test_arity_and_syntax_errors(diff, cmd):
    diff(*cmd)
