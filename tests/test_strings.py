"""String commands compared reply-for-reply with redis-server 7.0."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import same

CASES = [
    ("SET", "k", "v"), ("GET", "k"), ("GET", "missing"), ("SET", "k", "v2", "GET"),
    ("SET", "k", "v3", "NX"), ("SET", "k", "v3", "XX"), ("SET", "n", "1", "XX"),
    ("SET", "k", "v", "NX", "XX"), ("SET", "k", "v", "EX", "10", "PX", "100"),
    ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "-1"), ("SET", "k", "v", "EX", "abc"),
    ("SET", "k", "v", "KEEPTTL", "EX", "10"), ("SET", "k", "v", "EX", "10", "KEEPTTL"),
    ("SET", "k", "v", "EX", "9223372036854775807"), ("SET", "k", "v", "PX", "9223372036854775807"),
    ("SET", "k", "v", "EXAT", "1"), ("GET", "k"), ("SET", "k", "v", "FOO"), ("SET", "k"),
    ("SET", "k", "v", "NX", "GET"), ("SET", "k", "v", "EX"),
    ("SETNX", "k", "x"), ("SETNX", "k2", "x"), ("SETEX", "k", "0", "v"), ("SETEX", "k", "x", "v"),
    ("PSETEX", "k", "-5", "v"), ("GETSET", "k", "new"), ("GETDEL", "k"), ("GETDEL", "k"),
    ("MSET", "a", "1", "b", "2"), ("MSET", "a", "1", "b"), ("MGET", "a", "b", "zz"),
    ("MSETNX", "a", "1", "c", "3"), ("MSETNX", "c", "3", "d", "4"),
    ("APPEND", "s", "hello"), ("APPEND", "s", " world"), ("STRLEN", "s"), ("STRLEN", "none"),
    ("GETRANGE", "s", "0", "4"), ("GETRANGE", "s", "-5", "-1"), ("GETRANGE", "s", "-1", "-5"),
    ("GETRANGE", "s", "5", "3"), ("GETRANGE", "s", "0", "100"), ("GETRANGE", "s", "x", "1"),
    ("SUBSTR", "s", "1", "3"), ("SETRANGE", "s", "6", "WORLD"), ("GET", "s"),
    ("SETRANGE", "s", "-1", "x"), ("SETRANGE", "new", "5", "x"), ("GET", "new"),
    ("SETRANGE", "empty", "3", ""), ("EXISTS", "empty"), ("SETRANGE", "s", "0", ""),
    ("INCR", "n"), ("INCRBY", "n", "10"), ("DECR", "n"), ("DECRBY", "n", "3"),
    ("INCRBY", "n", "x"), ("INCR", "s"), ("SET", "big", "9223372036854775807"), ("INCR", "big"),
    ("SET", "small", "-9223372036854775808"), ("DECR", "small"),
    ("DECRBY", "n", "-9223372036854775808"), ("SET", "sp", " 1"), ("INCR", "sp"),
    ("SET", "lz", "01"), ("INCR", "lz"), ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "0.1"),
    ("INCRBYFLOAT", "f", "abc"), ("INCRBYFLOAT", "f", "inf"), ("INCRBYFLOAT", "f", "1e308"),
    ("INCRBYFLOAT", "f", "-1.6"), ("SET", "f2", "10"), ("INCRBYFLOAT", "f2", "5.0e3"),
    # strtold's hex floats; exponents far out of range (instant, not a huge number);
    # results of more than 4300 digits (past Python's int-to-text limit)
    ("INCRBYFLOAT", "f2", "0x10"), ("INCRBYFLOAT", "f2", "0x1.8p3"), ("INCRBYFLOAT", "f2", "0x"),
    ("INCRBYFLOAT", "f2", "1e999999999"), ("INCRBYFLOAT", "f2", "1e-999999999"),
    ("INCRBYFLOAT", "f2", "1e-4951"), ("INCRBYFLOAT", "f2", "1.2e4932"), ("SET", "hx", "0x20"),
    ("INCRBYFLOAT", "hx", "1"), ("INCRBYFLOAT", "f3", "1.1e4932"), ("INCRBYFLOAT", "f3", "1e4000"),
    ("INCRBYFLOAT", "f3", "-1.1e4932"), ("INCRBYFLOAT", "f4", "1." + "0" * 5117),
    ("INCRBYFLOAT", "f4", "1." + "0" * 5118), ("INCRBYFLOAT", "f4", "0x1p-16440"),
    ("INCRBYFLOAT", "f4", "0x1p-16446"), ("INCRBYFLOAT", "f4", "0x1.8p-16446"),
    ("INCRBYFLOAT", "f4", "0x1p16383"), ("INCRBYFLOAT", "f4", "0x1p16384"),
    ("SET", "finf", "inf"), ("INCRBYFLOAT", "finf", "+"), ("INCRBYFLOAT", "finf", "1"),
    ("INCRBYFLOAT", "f5", "-inf"), ("HSET", "hinf", "f", "inf"), ("HINCRBYFLOAT", "hinf", "f", "x"),
    ("INCRBYFLOAT", "s", "1"), ("LCS", "a", "b"), ("SET", "x1", "ohmytext"),
    ("SET", "x2", "mynewtext"), ("LCS", "x1", "x2"), ("LCS", "x1", "x2", "LEN"),
    ("LCS", "x1", "x2", "IDX"), ("LCS", "x1", "x2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
    ("LCS", "x1", "x2", "IDX", "LEN"), ("LCS", "x1", "x2", "FOO"),
    ("GETEX", "x1"), ("GETEX", "x1", "PERSIST"), ("GETEX", "x1", "EX", "100"), ("TTL", "x1"),
    ("GETEX", "x1", "EX", "0"), ("GETEX", "x1", "EX", "10", "PX", "10"), ("GETEX", "x1", "PERSIST"),
    ("TTL", "x1"), ("GETEX", "x1", "PXAT", "1"), ("EXISTS", "x1"), ("GETEX", "nokey", "EX", "1"),
    ("GETEX", "nokey", "EX", "abc"), ("GETEX", "nokey", "EX", "0"), ("SET", "x2", "v"),
    ("GETEX", "x2", "PERSIST", "PERSIST"), ("RPUSH", "lst", "a"), ("GETEX", "lst", "EX", "abc"),
    ("LCS", "lst", "x2", "BOGUS"), ("LCS", "x2", "lst", "MINMATCHLEN", "x"),
    ("LCS", "x2", "nokey", "MINMATCHLEN", "x"),
    ("GET",), ("MGET",), ("INCR", "a", "b"),
]


@pytest.mark.parametrize("resp", [2, 3])
def test_string_commands_match_redis(request, resp):
    r, real = (request.getfixturevalue("r2"), request.getfixturevalue("real2")) if resp == 2 \
        else (request.getfixturevalue("r"), request.getfixturevalue("real"))
    mismatches = []
    for case in CASES:
        ours, theirs = same(r, real, *case)
        if ours != theirs:
            mismatches.append((case, ours, theirs))
    assert not mismatches, "\n".join(map(repr, mismatches))


def test_string_commands_on_other_types(diff):
    diff("SADD", "set", "a")
    for cmd in [("GET", "set"), ("INCR", "set"), ("APPEND", "set", "x"), ("STRLEN", "set"),
                ("GETRANGE", "set", "0", "1"), ("SETRANGE", "set", "0", "x"), ("GETDEL", "set"),
                ("SET", "set", "v", "GET"), ("INCRBYFLOAT", "set", "1"), ("MGET", "set"),
                ("LCS", "set", "set")]:
        diff(*cmd)


def test_resp3_replies(server, real_redis):
    ours = server.client(protocol=3)
    theirs = real_redis.client(protocol=3)
    ours.flushall()
    theirs.flushall()
    for case in [("SET", "a", "1"), ("GET", "a"), ("GET", "nope"), ("INCRBYFLOAT", "a", "0.5"),
                 ("LCS", "a", "a", "IDX"), ("MGET", "a", "nope")]:
        a, b = same(ours, theirs, *case)
        assert a == b, case


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(
    st.sampled_from(["SET", "GET", "APPEND", "INCR", "DECRBY", "SETRANGE", "GETRANGE", "STRLEN",
                     "GETDEL", "SETNX", "INCRBYFLOAT", "GETSET"]),
    st.sampled_from(["a", "b", "c"]),
    st.one_of(st.integers(-5, 40).map(str), st.sampled_from(["x", "", "10", "1.5", "-0", "abc"])),
    st.integers(-3, 12).map(str)), max_size=25))
def test_random_string_sequences(server, real_redis, ops):
    ours, theirs = server.client(), real_redis.client()
    ours.flushall()
    theirs.flushall()
    arity = {"GET": 0, "STRLEN": 0, "GETDEL": 0, "INCR": 0, "SETRANGE": 2, "GETRANGE": 2}
    for name, key, a, b in ops:
        n = arity.get(name, 1)
        args = (name, key) + ((a, b) if n == 2 else (a,) if n == 1 else ())
        if name == "SETRANGE":
            args = (name, key, b.lstrip("-") or "0", a)
        x, y = same(ours, theirs, *args)
        assert x == y, (args, x, y)
    assert sorted(ours.keys()) == sorted(theirs.keys())
