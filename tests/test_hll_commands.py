"""HyperLogLog commands (PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST) against redis-server
7.0: same replies in RESP2 and RESP3, byte-identical values, values moving between the
two servers, the PFCOUNT cache write, and concurrent PFADD with exact registers."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compare_cases import (assert_same_events, assert_same_replies, assert_same_sequence,
                           configured, run_workers)

HEADER = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"
CORRUPT_SPARSE = HEADER + b"\x7f\xff" + b"\x40\x00"       # 16384 + 1 registers
BAD_ENCODING = b"HYLL\x02" + b"\x00" * 11
SHORT_DENSE = b"HYLL\x00" + b"\x00" * 11 + b"\x00" * 100

BASICS = [
    ("PFADD", "h", "a", "b", "c"), ("PFADD", "h", "a"), ("PFADD", "h", "d"), ("GET", "h"),
    ("PFCOUNT", "h"), ("GET", "h"), ("PFCOUNT", "h"), ("PFADD", "h"), ("PFADD", "new"),
    ("GET", "new"), ("PFCOUNT", "new"), ("PFCOUNT", "missing"), ("PFCOUNT", "h", "missing"),
    ("PFADD", "h2", *[f"e{i}" for i in range(200)]), ("GET", "h2"), ("PFCOUNT", "h2"),
    ("PFCOUNT", "h", "h2"), ("PFMERGE", "m", "h", "h2"), ("GET", "m"), ("PFCOUNT", "m"),
    ("PFMERGE", "m"), ("PFMERGE", "m2"), ("GET", "m2"), ("PFMERGE", "m3", "missing"),
    ("GET", "m3"), ("PFMERGE", "h", "h"), ("GET", "h"),
    ("PFDEBUG", "ENCODING", "h"), ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "decode", "h2"),
    ("PFDEBUG", "GETREG", "h"), ("GET", "h"), ("PFDEBUG", "ENCODING", "h"),
    ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "TODENSE", "h2"),
    ("PFDEBUG", "TODENSE", "h2"), ("GET", "h2"), ("PFADD", "h2", "zz"), ("PFCOUNT", "h2"),
    ("GET", "h2"), ("PFMERGE", "m4", "h2", "m"), ("PFDEBUG", "ENCODING", "m4"), ("GET", "m4"),
    ("PFMERGE", "m", "h2"), ("PFDEBUG", "ENCODING", "m"), ("PFCOUNT", "m", "h", "h2", "m4"),
    ("PFDEBUG", "FOO", "h"), ("PFDEBUG", "GETREG", "missing"), ("PFDEBUG", "FOO", "missing"),
    ("PFDEBUG", "GETREG"), ("PFDEBUG", "GETREG", "h", "x"), ("PFADD",), ("PFCOUNT",),
    ("PFMERGE",), ("PFSELFTEST", "x"),
    ("SET", "h3", "x"), ("PFADD", "e", "1"), ("EXPIRE", "e", "100"), ("PFADD", "e", "2"),
    ("TTL", "e"), ("PFCOUNT", "e"), ("TTL", "e"), ("PFMERGE", "e", "h"), ("TTL", "e"),
]

ERRORS = [
    ("SET", "str", "not an hll"), ("SET", "bad", BAD_ENCODING), ("SET", "short", SHORT_DENSE),
    ("SET", "corrupt", CORRUPT_SPARSE), ("SET", "empty", ""), ("PFADD", "ok", "x"),
    ("PFADD", "str", "a"), ("PFADD", "bad", "a"), ("PFADD", "short", "a"), ("PFADD", "empty"),
    ("PFCOUNT", "str"), ("PFCOUNT", "bad"), ("PFCOUNT", "ok", "str"), ("PFCOUNT", "str", "ok"),
    ("PFCOUNT", "corrupt"), ("PFCOUNT", "ok", "corrupt"), ("PFCOUNT", "corrupt", "str"),
    ("PFMERGE", "ok", "str"), ("PFMERGE", "str", "ok"), ("PFMERGE", "ok", "corrupt"),
    ("PFMERGE", "dst", "ok", "bad"), ("EXISTS", "dst"), ("GET", "ok"),
    ("PFDEBUG", "GETREG", "str"), ("PFDEBUG", "FOO", "str"), ("PFDEBUG", "GETREG", "corrupt"),
    ("PFDEBUG", "DECODE", "corrupt"), ("PFDEBUG", "ENCODING", "corrupt"),
    ("PFDEBUG", "TODENSE", "corrupt"), ("PFADD", "corrupt", "a", "b", "c"), ("GET", "corrupt"),
]


OTHER_TYPES = [
    ("RPUSH", "list", "a"), ("PFADD", "h", "a"), ("PFADD", "list", "a"), ("PFCOUNT", "list"),
    ("PFCOUNT", "h", "list"), ("PFCOUNT", "list", "missing"), ("PFMERGE", "list", "h"),
    ("PFMERGE", "h", "list"), ("PFDEBUG", "GETREG", "list"), ("PFDEBUG", "FOO", "list"),
    ("COMMAND", "INFO", "PFADD", "PFCOUNT", "PFMERGE", "PFDEBUG", "PFSELFTEST"),
    ("COMMAND", "GETKEYSANDFLAGS", "PFCOUNT", "a", "b"),
    ("COMMAND", "GETKEYSANDFLAGS", "PFMERGE", "d", "a", "b"),
]


@pytest.mark.parametrize("cases", [BASICS, ERRORS, OTHER_TYPES],
                         ids=["commands", "errors", "types"])
def test_hll_commands_match_redis(server, real_redis, cases):
    assert_same_replies(server, real_redis, cases)


def test_promotion_to_dense_follows_hll_sparse_max_bytes(r, real, diff):
    with configured((r, real), "hll-sparse-max-bytes", "200"):
        for start in range(0, 600, 50):
            diff("PFADD", "h", *[f"x{i}" for i in range(start, start + 50)])
            diff("PFDEBUG", "ENCODING", "h")
            diff("GET", "h")
        diff("PFCOUNT", "h")
        diff("GET", "h")
        diff("PFADD", "s", "a")
        diff("PFMERGE", "s", "h")
        diff("GET", "s")


def test_large_cardinalities_are_byte_identical(r, real, diff):
    for batch in range(20):
        diff("PFADD", "big", *[f"{batch}:{i}" for i in range(500)])
    diff("PFDEBUG", "ENCODING", "big")
    diff("PFCOUNT", "big")
    diff("GET", "big")
    diff("PFADD", "small", "a", "b")
    diff("PFMERGE", "small", "big")
    diff("GET", "small")
    diff("PFCOUNT", "small", "big", "none")


def test_values_move_between_servers(r, real):
    elements = [f"user:{i}" for i in range(3000)]
    for start in range(0, 3000, 1000):
        real.pfadd("from_redis", *elements[start:start + 1000])
        r.pfadd("from_keydb", *elements[start:start + 1000])
    real.pfadd("sparse", "a", "b", "c")
    for key in ("from_redis", "sparse"):
        r.set(key, real.get(key))
        assert r.pfcount(key) == real.pfcount(key)
        assert r.get(key) == real.get(key)
    real.set("from_keydb", r.get("from_keydb"))
    assert real.pfcount("from_keydb") == r.pfcount("from_keydb") == r.pfcount("from_redis")
    assert r.get("from_keydb") == real.get("from_keydb")


def test_pfcount_cache_write_touches_watched_key(server, real_redis):
    """A PFCOUNT that refreshes the cached cardinality modifies the key (a watcher's EXEC
    fails); one that reads a valid cache does not."""
    for srv in (server, real_redis):
        watcher, other = srv.client(), srv.client()
        watcher.flushall()
        watcher.pfadd("h", "a", "b")
        results = []
        for _ in range(2):
            pipe = watcher.pipeline()
            pipe.watch("h")
            assert other.pfcount("h") == 2
            pipe.multi()
            pipe.ping()
            try:
                results.append(pipe.execute())
            except Exception as exc:   # redis-py raises WatchError on a failed EXEC
                results.append(type(exc).__name__)
        assert results == ["WatchError", [True]]
        watcher.close()
        other.close()


def test_keyspace_events_match_redis(server, real_redis):
    assert_same_events(server, real_redis, [
        ("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFADD", "h"), ("PFCOUNT", "h"),
        ("PFMERGE", "h2", "h"), ("PFMERGE", "h2"), ("PFDEBUG", "TODENSE", "h"),
        ("PFDEBUG", "GETREG", "h2"), ("SET", "bad", "x"), ("PFADD", "bad", "y")])


def test_pfselftest(r):
    assert r.execute_command("PFSELFTEST") in (b"OK", "OK", True)


_ELEMENT = st.one_of(st.integers(0, 400).map(str), st.binary(max_size=6))
_HLL_KEY = st.sampled_from(["h1", "h2", "h3"])
_HLL_COMMAND = st.one_of(
    st.tuples(st.just("PFADD"), _HLL_KEY, st.lists(_ELEMENT, max_size=40)).map(
        lambda t: (t[0], t[1], *t[2])),
    st.tuples(st.just("PFCOUNT"), st.lists(_HLL_KEY, min_size=1, max_size=3)).map(
        lambda t: (t[0], *t[1])),
    st.tuples(st.just("PFMERGE"), st.lists(_HLL_KEY, min_size=1, max_size=3)).map(
        lambda t: (t[0], *t[1])),
    st.tuples(st.just("PFDEBUG"), st.sampled_from(["TODENSE", "ENCODING", "DECODE"]), _HLL_KEY),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_HLL_COMMAND, min_size=1, max_size=25))
def test_random_hll_sequences(server, real_redis, commands):
    assert_same_sequence(server, real_redis, commands, ("h1", "h2", "h3"))


def test_concurrent_pfadd_registers_are_exact(server, real):
    """Threads PFADD disjoint elements into one shared HLL and into their own; the shared
    registers equal those redis-server computes for all the elements, as does the
    PFMERGE of the per-thread HLLs."""
    threads, rounds, batch = 10, 40, 25

    def step(client, tid, i):
        items = [f"{tid}:{i}:{j}" for j in range(batch)]
        client.pfadd("shared", *items)
        client.pfadd(f"own:{tid}", *items)
        assert client.pfcount("shared") >= batch

    setup = server.client()
    setup.flushall()
    run_workers(server, threads, rounds, step)
    everything = [f"{t}:{i}:{j}" for t in range(threads) for i in range(rounds)
                  for j in range(batch)]
    for start in range(0, len(everything), 1000):
        real.pfadd("shared", *everything[start:start + 1000])
    setup.pfmerge("merged", *[f"own:{t}" for t in range(threads)])
    expected = real.execute_command("PFDEBUG", "GETREG", "shared")
    assert setup.execute_command("PFDEBUG", "GETREG", "shared") == expected
    assert setup.execute_command("PFDEBUG", "GETREG", "merged") == expected
    assert setup.pfcount("shared") == setup.pfcount("merged") == real.pfcount("shared")
    setup.close()
