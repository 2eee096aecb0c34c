"""List commands compared reply-for-reply with redis-server 7.0 (RESP2 and RESP3)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compare_cases import assert_same_events, assert_same_replies, assert_same_sequence

SETUP = [("RPUSH", "l", "a", "b", "c", "a", "d", "a"), ("SET", "s", "str")]

CASES = [
    # push
    ("LPUSH", "n", "1", "2", "3"), ("RPUSH", "n", "4"), ("LRANGE", "n", "0", "-1"),
    ("LPUSHX", "nokey", "x"), ("RPUSHX", "nokey", "x"), ("EXISTS", "nokey"),
    ("LPUSHX", "n", "0"), ("RPUSHX", "n", "5", "6"), ("LRANGE", "n", "0", "-1"),
    ("LPUSH", "s", "x"), ("RPUSHX", "s", "x"), ("LPUSH", "n"), ("RPUSHX", "n"),
    # pop
    ("LPOP", "n"), ("RPOP", "n"), ("LPOP", "n", "2"), ("RPOP", "n", "0"), ("RPOP", "n", "10"),
    ("EXISTS", "n"), ("LPOP", "n"), ("LPOP", "n", "1"), ("RPOP", "n", "0"),
    ("LPOP", "l", "-1"), ("LPOP", "l", "abc"), ("LPOP", "nokey", "abc"), ("LPOP", "l", "1", "2"),
    ("LPOP", "s"), ("RPOP", "s", "1"), ("LPOP", "s", "0"), ("LPOP",),
    # reads
    ("LLEN", "l"), ("LLEN", "nokey"), ("LLEN", "s"),
    ("LRANGE", "l", "0", "-1"), ("LRANGE", "l", "-3", "-1"), ("LRANGE", "l", "-100", "2"),
    ("LRANGE", "l", "4", "2"), ("LRANGE", "l", "10", "20"), ("LRANGE", "l", "1", "100"),
    ("LRANGE", "l", "x", "1"), ("LRANGE", "nokey", "x", "1"), ("LRANGE", "nokey", "0", "1"),
    ("LRANGE", "s", "0", "1"),
    ("LINDEX", "l", "0"), ("LINDEX", "l", "-1"), ("LINDEX", "l", "-7"), ("LINDEX", "l", "6"),
    ("LINDEX", "l", "x"), ("LINDEX", "nokey", "x"), ("LINDEX", "s", "0"),
    # LPOS
    ("LPOS", "l", "a"), ("LPOS", "l", "a", "RANK", "2"), ("LPOS", "l", "a", "RANK", "-1"),
    ("LPOS", "l", "a", "RANK", "-2"), ("LPOS", "l", "a", "RANK", "4"),
    ("LPOS", "l", "a", "COUNT", "0"), ("LPOS", "l", "a", "COUNT", "2"),
    ("LPOS", "l", "a", "COUNT", "2", "RANK", "-1"), ("LPOS", "l", "a", "RANK", "2", "COUNT", "0"),
    ("LPOS", "l", "a", "MAXLEN", "1"), ("LPOS", "l", "a", "MAXLEN", "3", "COUNT", "0"),
    ("LPOS", "l", "a", "RANK", "-1", "MAXLEN", "2", "COUNT", "0"), ("LPOS", "l", "zz"),
    ("LPOS", "l", "zz", "COUNT", "1"), ("LPOS", "nokey", "a"), ("LPOS", "nokey", "a", "COUNT", "1"),
    ("LPOS", "l", "a", "RANK", "0"), ("LPOS", "l", "a", "COUNT", "-1"),
    ("LPOS", "l", "a", "MAXLEN", "-1"), ("LPOS", "l", "a", "RANK"), ("LPOS", "l", "a", "FOO", "1"),
    ("LPOS", "l", "a", "RANK", "x"), ("LPOS", "l", "a", "COUNT", "x"),
    ("LPOS", "l", "a", "RANK", "-9223372036854775808"), ("LPOS", "s", "a"),
    ("LPOS", "nokey", "a", "RANK", "0"),
    # LSET / LINSERT / LREM / LTRIM
    ("LSET", "l", "0", "A"), ("LSET", "l", "-1", "Z"), ("LSET", "l", "6", "x"),
    ("LSET", "l", "-7", "x"), ("LSET", "l", "x", "y"), ("LSET", "nokey", "0", "x"),
    ("LSET", "nokey", "x", "x"), ("LSET", "s", "0", "x"), ("LRANGE", "l", "0", "-1"),
    ("LINSERT", "l", "BEFORE", "c", "bc"), ("LINSERT", "l", "after", "c", "cd"),
    ("LINSERT", "l", "AFTER", "zz", "x"), ("LINSERT", "l", "middle", "c", "x"),
    ("LINSERT", "nokey", "BEFORE", "c", "x"), ("LINSERT", "nokey", "x", "c", "x"),
    ("LINSERT", "s", "BEFORE", "c", "x"), ("LRANGE", "l", "0", "-1"),
    ("RPUSH", "r", "x", "y", "x", "x", "z", "x"), ("LREM", "r", "1", "x"),
    ("LREM", "r", "-1", "x"), ("LRANGE", "r", "0", "-1"), ("LREM", "r", "0", "x"),
    ("LREM", "r", "0", "nope"), ("LREM", "r", "x", "y"), ("LREM", "nokey", "x", "y"),
    ("LREM", "nokey", "1", "y"), ("LREM", "s", "1", "y"), ("LREM", "r", "0", "y"),
    ("LREM", "r", "-5", "z"), ("EXISTS", "r"),
    ("RPUSH", "t", "1", "2", "3", "4", "5", "6"), ("LTRIM", "t", "1", "-2"),
    ("LRANGE", "t", "0", "-1"), ("LTRIM", "t", "-100", "100"), ("LTRIM", "t", "1", "1"),
    ("LRANGE", "t", "0", "-1"), ("LTRIM", "t", "5", "1"), ("EXISTS", "t"),
    ("LTRIM", "nokey", "0", "1"), ("LTRIM", "nokey", "x", "1"), ("LTRIM", "s", "0", "1"),
    # LMOVE / RPOPLPUSH
    ("RPUSH", "src", "1", "2", "3"), ("LMOVE", "src", "dst", "LEFT", "RIGHT"),
    ("LMOVE", "src", "dst", "right", "left"), ("LRANGE", "dst", "0", "-1"),
    ("LMOVE", "src", "src", "LEFT", "RIGHT"), ("LRANGE", "src", "0", "-1"),
    ("LMOVE", "src", "dst", "UP", "LEFT"), ("LMOVE", "src", "dst", "LEFT", "DOWN"),
    ("LMOVE", "nokey", "dst", "UP", "LEFT"), ("LMOVE", "nokey", "dst", "LEFT", "LEFT"),
    ("LMOVE", "src", "s", "LEFT", "LEFT"), ("LMOVE", "s", "dst", "LEFT", "LEFT"),
    ("LMOVE", "nokey", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "src", "dst"), ("EXISTS", "src"),
    ("RPOPLPUSH", "src", "dst"), ("RPOPLPUSH", "dst", "dst"), ("LRANGE", "dst", "0", "-1"),
    ("RPOPLPUSH", "s", "dst"), ("RPOPLPUSH", "dst", "s"),
    # LMPOP
    ("LMPOP", "2", "nokey", "l", "LEFT"), ("LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "2"),
    ("LMPOP", "1", "nokey", "LEFT"), ("LMPOP", "1", "l", "LEFT", "COUNT", "100"),
    ("EXISTS", "l"), ("LMPOP", "0", "l", "LEFT"), ("LMPOP", "x", "l", "LEFT"),
    ("LMPOP", "-1", "l", "LEFT"), ("LMPOP", "3", "l", "LEFT"), ("LMPOP", "1", "l", "UP"),
    ("LMPOP", "1", "l", "LEFT", "COUNT", "0"), ("LMPOP", "1", "l", "LEFT", "COUNT", "x"),
    ("LMPOP", "1", "l", "LEFT", "COUNT"), ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"),
    ("LMPOP", "1", "l", "LEFT", "FOO"), ("LMPOP", "2", "s", "l", "LEFT"),
    ("LMPOP", "1", "l"),
    # types and arity
    ("TYPE", "dst"), ("OBJECT", "ENCODING", "dst"), ("LLEN",), ("LRANGE", "l", "0"),
    ("LSET", "l", "0"), ("LINSERT", "l", "BEFORE", "a"), ("LREM", "l", "0"), ("LTRIM", "l", "0"),
    ("LMOVE", "a", "b", "LEFT"), ("RPOPLPUSH", "a"), ("LPOS", "l"),
]


def test_list_commands_match_redis(server, real_redis):
    assert_same_replies(server, real_redis, SETUP + CASES)


def test_nonblocking_forms_of_blocking_commands(diff):
    """Data present, errors, or a client that may not block (MULTI) never wait."""
    diff("RPUSH", "l", *"abcdefghijklmnopqrst")
    diff("ZADD", "z", *[x for i in range(1, 11) for x in (str(i), f"m{i}")])
    diff("SET", "s", "x")
    for case in [("BLPOP", "nokey", "l", "0"), ("BRPOP", "l", "1.5"), ("BLPOP", "s", "0"),
                 ("BLPOP", "nokey", "s", "l", "0"), ("BLPOP", "l", "s", "0"),
                 ("BLPOP", "l", "abc"), ("BLPOP", "l", "-1"), ("BLPOP", "l", "nan"),
                 ("BLPOP", "l", "inf"), ("BLPOP", "l", "1e400"), ("BLPOP", "l", "1e5000"),
                 ("BLPOP", "l", " 1"), ("BLPOP", "l", ""), ("BLPOP", "l", "0x10"),
                 ("BLPOP", "l", "-0.0001"), ("BLPOP", "l", "1e-5000"), ("BLPOP", "l", "9.3e15"),
                 ("BLMOVE", "l", "d", "LEFT", "RIGHT", "0"), ("BLMOVE", "l", "d", "UP", "LEFT", "x"),
                 ("BLMOVE", "l", "d", "LEFT", "RIGHT", "x"), ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"),
                 ("BLMOVE", "s", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "l", "d", "0"),
                 ("BRPOPLPUSH", "l", "d", "-2"), ("LRANGE", "d", "0", "-1"),
                 ("BLMPOP", "0", "2", "nokey", "l", "RIGHT", "COUNT", "5"),
                 ("BLMPOP", "x", "0", "l", "LEFT"), ("BLMPOP", "x", "1", "l", "UP"),
                 ("BLMPOP", "0", "1", "s", "LEFT"), ("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "0"),
                 ("BZPOPMIN", "nokey", "z", "0"), ("BZPOPMAX", "z", "0"), ("BZPOPMIN", "s", "0"),
                 ("BZPOPMIN", "z", "x"), ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"),
                 ("BZMPOP", "0", "1", "z", "MAX"), ("BZMPOP", "x", "0", "z", "MIN"),
                 ("BZMPOP", "0", "1", "s", "MIN"), ("BLPOP", "l"), ("BLMPOP", "0", "1", "l"),
                 ("LRANGE", "l", "0", "-1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES")]:
        diff(*case)


def test_blocking_commands_in_multi_do_not_block(server, real_redis):
    assert_same_replies(server, real_redis, [
        ("MULTI",), ("BLPOP", "e1", "e2", "0"), ("BRPOP", "e1", "0"),
        ("BLMOVE", "e1", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "e1", "d", "0"),
        ("BLMPOP", "0", "1", "e1", "LEFT"), ("BZPOPMIN", "e1", "0"),
        ("BZMPOP", "0", "1", "e1", "MIN"), ("RPUSH", "e1", "x"), ("BLPOP", "e1", "0"),
        ("EXEC",)])


def test_resp3_null_shapes(server, real_redis):
    assert_same_replies(server, real_redis, [
        ("LPOP", "nokey"), ("LPOP", "nokey", "2"), ("LINDEX", "nokey", "0"),
        ("LMOVE", "nokey", "d", "LEFT", "LEFT"), ("LMPOP", "1", "nokey", "LEFT"),
        ("LPOS", "nokey", "x"), ("BLPOP", "nokey", "0.01"),
        ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01")], protocols=(3,))


def test_keyspace_events_match_redis(server, real_redis):
    assert_same_events(server, real_redis, [
        ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LPUSHX", "l", "y"),
        ("RPUSHX", "nokey", "x"), ("LPOP", "l"), ("RPOP", "l", "2"), ("LSET", "l", "0", "Y"),
        ("LINSERT", "l", "BEFORE", "Y", "w"), ("LREM", "l", "1", "w"), ("LTRIM", "l", "0", "0"),
        ("RPUSH", "m", "1", "2"), ("LMOVE", "m", "n", "LEFT", "RIGHT"), ("RPOPLPUSH", "m", "n"),
        ("LMPOP", "1", "n", "RIGHT", "COUNT", "5"), ("BLPOP", "l", "0"), ("RPUSH", "b", "1"),
        ("BLMOVE", "b", "c", "LEFT", "LEFT", "0"), ("BLMPOP", "0", "1", "c", "LEFT"),
        ("RPUSH", "r", "1"), ("LREM", "r", "0", "1"), ("RPUSH", "t", "1"),
        ("LTRIM", "t", "1", "0")])


def test_large_list_ranges_and_trim(diff):
    diff("RPUSH", "big", *[str(i) for i in range(1000)])
    for case in [("LRANGE", "big", "990", "-1"), ("LRANGE", "big", "-5", "-3"),
                 ("LINDEX", "big", "777"), ("LINDEX", "big", "-777"),
                 ("LPOS", "big", "500", "MAXLEN", "400"), ("LPOS", "big", "500", "RANK", "-1"),
                 ("LTRIM", "big", "100", "-100"), ("LLEN", "big"), ("LRANGE", "big", "0", "2"),
                 ("LTRIM", "big", "700", "-1"), ("LRANGE", "big", "0", "-1"),
                 ("LREM", "big", "0", "750"), ("LINSERT", "big", "AFTER", "799", "x"),
                 ("LRANGE", "big", "-3", "-1")]:
        diff(*case)


def test_keyspace_effects_of_emptying(diff):
    diff("RPUSH", "k", "a")
    diff("LPOP", "k")
    diff("EXISTS", "k")
    diff("RPUSH", "k", "a", "b")
    diff("LREM", "k", "0", "a")
    diff("LTRIM", "k", "1", "0")
    diff("EXISTS", "k")
    diff("RPUSH", "k", "a")
    diff("EXPIRE", "k", "100")
    diff("LPUSH", "k", "b")
    diff("TTL", "k")
    diff("COPY", "k", "k2")
    diff("LPUSH", "k2", "c")
    diff("LRANGE", "k", "0", "-1")
    diff("LRANGE", "k2", "0", "-1")


@pytest.mark.parametrize("name", ["lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen",
                                  "lrange", "lindex", "lset", "linsert", "lrem", "ltrim",
                                  "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop",
                                  "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax",
                                  "bzmpop"])
def test_command_info_matches(diff, name):
    diff("COMMAND", "INFO", name)


def test_client_unblock_command_info(diff):
    diff("COMMAND", "INFO", "client|unblock")


_OPS = ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LRANGE", "LINDEX",
        "LSET", "LINSERT", "LREM", "LTRIM", "LPOS", "LMOVE", "LMPOP"]
_VALS = st.sampled_from(["a", "b", "c", "1", ""])
_INTS = st.integers(-6, 6).map(str)


def _args(draw_op, key, other, v1, v2, i1, i2, side1, side2):
    return {
        "LPUSH": (key, v1, v2), "RPUSH": (key, v1), "LPUSHX": (key, v1), "RPUSHX": (key, v2),
        "LPOP": (key,) + ((i1.lstrip("-"),) if side1 == "LEFT" else ()),
        "RPOP": (key, i2.lstrip("-")), "LLEN": (key,), "LRANGE": (key, i1, i2),
        "LINDEX": (key, i1), "LSET": (key, i1, v1),
        "LINSERT": (key, "BEFORE" if side1 == "LEFT" else "AFTER", v1, v2),
        "LREM": (key, i1, v1), "LTRIM": (key, i1, i2),
        "LPOS": (key, v1, "RANK", i1 if i1 != "0" else "1", "COUNT", i2.lstrip("-")),
        "LMOVE": (key, other, side1, side2), "LMPOP": ("2", key, other, side1, "COUNT", "2"),
    }[draw_op]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(_OPS), st.sampled_from(["x", "y"]),
                          st.sampled_from(["x", "y"]), _VALS, _VALS, _INTS, _INTS,
                          st.sampled_from(["LEFT", "RIGHT"]), st.sampled_from(["LEFT", "RIGHT"])),
                max_size=30))
def test_random_list_sequences(server, real_redis, ops):
    commands = [(op[0],) + _args(*op) for op in ops]
    commands += [("LRANGE", key, "0", "-1") for key in ("x", "y")]
    assert_same_sequence(server, real_redis, commands, ())
