"""Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO) compared
reply for reply with redis-server 7.0 in RESP2 and RESP3, random sequences, and
concurrent BITFIELD INCRBY with exact totals."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compare_cases import (assert_same_events, assert_same_replies, assert_same_sequence,
                           configured, run_workers)

SETBIT_GETBIT = [
    ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "0"),
    ("SETBIT", "b", "0", "1"), ("SETBIT", "b", "100", "1"), ("GET", "b"), ("STRLEN", "b"),
    ("GETBIT", "b", "0"), ("GETBIT", "b", "1"), ("GETBIT", "b", "100"), ("GETBIT", "b", "9999"),
    ("GETBIT", "nokey", "3"), ("SETBIT", "b", "-1", "1"), ("SETBIT", "b", "x", "1"),
    ("SETBIT", "b", "1", "2"), ("SETBIT", "b", "1", "-1"), ("SETBIT", "b", "1", "x"),
    ("SETBIT", "b", "#1", "1"), ("SETBIT", "b", "4294967296", "1"), ("GETBIT", "b", "-1"),
    ("GETBIT", "b", "4294967296"), ("GETBIT", "b", "4294967295"), ("GETBIT", "b", "1.5"),
    ("SET", "s", "foobar"), ("GETBIT", "s", "1"), ("SETBIT", "s", "1", "0"), ("GET", "s"),
    ("SET", "n", "12345"), ("SETBIT", "n", "60", "1"), ("GET", "n"), ("GETBIT", "n", "2"),
    ("SETBIT", "z", "0", "0"), ("GET", "z"), ("EXISTS", "z"), ("OBJECT", "ENCODING", "z"),
    ("OBJECT", "ENCODING", "s"),
    ("SET", "e", "hello"), ("EXPIRE", "e", "100"), ("SETBIT", "e", "3", "1"), ("TTL", "e"),
    ("SETBIT",), ("SETBIT", "b", "1"), ("GETBIT", "b"), ("GETBIT", "b", "1", "2"),
]

BITCOUNT_BITPOS = [
    ("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", "0", "0"),
    ("BITCOUNT", "s", "1", "1"), ("BITCOUNT", "s", "1", "-2"), ("BITCOUNT", "s", "-2", "-1"),
    ("BITCOUNT", "s", "-1", "-2"), ("BITCOUNT", "s", "5", "1"), ("BITCOUNT", "s", "-100", "100"),
    ("BITCOUNT", "s", "5", "30", "BIT"), ("BITCOUNT", "s", "5", "30", "byte"),
    ("BITCOUNT", "s", "0", "-1", "bit"), ("BITCOUNT", "s", "-13", "-3", "BIT"),
    ("BITCOUNT", "s", "9", "9", "BIT"), ("BITCOUNT", "s", "3", "4", "BIT"),
    ("BITCOUNT", "s", "0"), ("BITCOUNT", "s", "0", "1", "bit", "x"), ("BITCOUNT", "s", "a", "1"),
    ("BITCOUNT", "s", "0", "b"), ("BITCOUNT", "s", "0", "1", "bits"),
    ("BITCOUNT", "s", "-1", "-2", "foo"), ("BITCOUNT", "nokey"), ("BITCOUNT", "nokey", "0"),
    ("BITCOUNT", "nokey", "x", "y", "z"), ("SET", "empty", ""), ("BITCOUNT", "empty"),
    ("BITCOUNT", "empty", "0", "-1"), ("BITCOUNT", "empty", "0", "-1", "BIT"),
    ("BITCOUNT", "s", "9223372036854775807", "9223372036854775807"),
    ("BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "BIT"),
    ("SET", "ones", b"\xff\xff\xff"), ("SET", "zeros", b"\x00\x00\x00"),
    ("SET", "mixed", b"\x00\xff\xf0\x0f\x00"),
    ("BITPOS", "s", "1"), ("BITPOS", "s", "0"), ("BITPOS", "ones", "0"), ("BITPOS", "ones", "1"),
    ("BITPOS", "zeros", "1"), ("BITPOS", "zeros", "0"), ("BITPOS", "ones", "0", "1"),
    ("BITPOS", "ones", "0", "1", "-1"), ("BITPOS", "ones", "0", "0", "-1", "BIT"),
    ("BITPOS", "ones", "0", "3", "BIT"), ("BITPOS", "ones", "1", "3", "BIT"),
    ("BITPOS", "ones", "0", "3", "-1", "BIT"), ("BITPOS", "ones", "0", "7", "BIT"),
    ("BITPOS", "zeros", "1", "0", "-1", "bit"), ("BITPOS", "zeros", "0", "5", "bit"),
    ("BITPOS", "mixed", "1", "0"), ("BITPOS", "mixed", "1", "2"), ("BITPOS", "mixed", "0", "1"),
    ("BITPOS", "mixed", "0", "1", "1"), ("BITPOS", "mixed", "1", "2", "2"),
    ("BITPOS", "mixed", "1", "20", "27", "BIT"), ("BITPOS", "mixed", "1", "20", "30", "BIT"),
    ("BITPOS", "mixed", "0", "8", "15", "BIT"), ("BITPOS", "mixed", "0", "9", "14", "BIT"),
    ("BITPOS", "mixed", "1", "17", "18", "BIT"), ("BITPOS", "mixed", "0", "17", "27", "BIT"),
    ("BITPOS", "mixed", "1", "3", "2"), ("BITPOS", "mixed", "0", "-1"),
    ("BITPOS", "mixed", "1", "-3", "-2"), ("BITPOS", "mixed", "0", "100"),
    ("BITPOS", "mixed", "0", "-100", "-50"), ("BITPOS", "mixed", "1", "5", "5", "BIT"),
    ("BITPOS", "nokey", "1"), ("BITPOS", "nokey", "0"), ("BITPOS", "nokey", "0", "x"),
    ("BITPOS", "s", "2"), ("BITPOS", "s", "x"), ("BITPOS", "nokey", "2"),
    ("BITPOS", "s", "1", "x"), ("BITPOS", "s", "1", "0", "x"), ("BITPOS", "s", "1", "0", "1", "x"),
    ("BITPOS", "s", "1", "x", "1", "bad"), ("BITPOS", "s", "1", "0", "x", "bad"),
    ("BITPOS", "s", "1", "0", "1", "BIT", "x"), ("BITPOS", "empty", "0"),
    ("BITPOS", "empty", "1"), ("BITPOS", "empty", "0", "0", "-1"), ("BITPOS", "s"),
    ("BITCOUNT",),
]

BITOP = [
    ("SET", "a", "foobar"), ("SET", "b", "abcdef"), ("SET", "c", b"\xff"),
    ("BITOP", "AND", "d", "a", "b"), ("GET", "d"), ("BITOP", "or", "d", "a", "b", "c"),
    ("GET", "d"), ("BITOP", "XOR", "d", "a", "c", "nokey"), ("GET", "d"),
    ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("BITOP", "NOT", "d", "a", "b"),
    ("BITOP", "NOT", "d", "nokey"), ("EXISTS", "d"), ("SET", "d", "x"),
    ("BITOP", "AND", "d", "nokey", "nokey2"), ("EXISTS", "d"),
    ("BITOP", "AND", "d", "a", "nokey"), ("GET", "d"), ("BITOP", "nand", "d", "a"),
    ("BITOP", "AND", "d"), ("BITOP", "AND", "a", "a"), ("GET", "a"),
    ("SET", "e", "1"), ("EXPIRE", "e", "100"), ("BITOP", "OR", "e", "a"), ("TTL", "e"),
    ("SET", "big", "x" * 100), ("BITOP", "AND", "d", "big", "a", "c"), ("GET", "d"),
    ("BITOP", "XOR", "d", "big", "big"), ("GET", "d"), ("BITOP", "OR", "d", "big", "a"),
    ("GET", "d"), ("OBJECT", "ENCODING", "d"), ("BITOP", "NOT", "d", "c"),
    ("OBJECT", "ENCODING", "d"), ("SET", "empty", ""), ("BITOP", "OR", "d", "empty"),
    ("EXISTS", "d"),
]

BITFIELD = [
    ("BITFIELD", "f", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0"),
    ("BITFIELD", "f", "INCRBY", "i5", "100", "1", "GET", "u4", "0"),
    ("BITFIELD", "f", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1"),
    ("BITFIELD", "f", "OVERFLOW", "wrap", "INCRBY", "u2", "102", "1"),
    ("BITFIELD", "f", "OVERFLOW", "fail", "INCRBY", "u2", "102", "7"), ("GET", "f"),
    ("BITFIELD", "f", "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "i8", "#1"),
    ("BITFIELD", "f", "SET", "i64", "64", "-9223372036854775808", "GET", "i64", "64"),
    ("BITFIELD", "f", "INCRBY", "i64", "64", "-1"),
    ("BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i64", "64", "-1"),
    ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "i64", "64", "-1"),
    ("BITFIELD", "f", "SET", "i64", "64", "9223372036854775807", "INCRBY", "i64", "64", "1"),
    ("BITFIELD", "f", "SET", "u63", "3", "9223372036854775807", "GET", "u63", "3"),
    ("BITFIELD", "f", "INCRBY", "u63", "3", "1", "OVERFLOW", "SAT", "INCRBY", "u63", "3", "-1"),
    ("BITFIELD", "f", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "u8", "0", "300",
     "SET", "i8", "0", "-200", "SET", "i8", "0", "200"),
    ("BITFIELD", "f", "OVERFLOW", "WRAP", "SET", "u8", "0", "-1", "SET", "u8", "0", "300",
     "SET", "i8", "0", "-200", "SET", "i8", "0", "200"),
    ("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1", "SET", "i8", "0", "200",
     "SET", "i3", "0", "3", "SET", "i3", "0", "4"),
    ("BITFIELD", "f", "SET", "i1", "7", "1", "GET", "i1", "7", "GET", "u1", "7"),
    ("BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i4", "20", "100", "INCRBY", "i4", "20", "-100"),
    ("BITFIELD", "f", "INCRBY", "i4", "20", "100", "INCRBY", "u4", "20", "-100"),
    ("BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u8", "200", "-9223372036854775808"),
    ("BITFIELD", "f", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "9"),
    ("GET", "f"), ("BITFIELD", "f"), ("BITFIELD", "f", "OVERFLOW", "SAT"),
    ("BITFIELD", "f", "GET", "u64", "0"), ("BITFIELD", "f", "GET", "i65", "0"),
    ("BITFIELD", "f", "GET", "i0", "0"), ("BITFIELD", "f", "GET", "I8", "0"),
    ("BITFIELD", "f", "GET", "u", "0"), ("BITFIELD", "f", "GET", "", "0"),
    ("BITFIELD", "f", "GET", "i8x", "0"), ("BITFIELD", "f", "GET", "u-1", "0"),
    ("BITFIELD", "f", "GET", "i8", "-1"), ("BITFIELD", "f", "GET", "i8", "x"),
    ("BITFIELD", "f", "GET", "i8", "##1"), ("BITFIELD", "f", "GET", "i8", "#-1"),
    ("BITFIELD", "f", "GET", "i8", "4294967288"), ("BITFIELD", "f", "GET", "i8", "4294967296"),
    ("BITFIELD", "f", "GET", "i8", "#536870911"), ("BITFIELD", "f", "GET", "i8", "#536870912"),
    ("BITFIELD", "f", "GET", "i64", "#288230376151711745"),
    ("BITFIELD", "f", "SET", "i8", "0", "x"), ("BITFIELD", "f", "INCRBY", "i8", "0", "1.5"),
    ("BITFIELD", "f", "OVERFLOW", "nope", "GET", "i8", "0"), ("BITFIELD", "f", "OVERFLOW"),
    ("BITFIELD", "f", "GET", "i8"), ("BITFIELD", "f", "SET", "i8", "0"),
    ("BITFIELD", "f", "FOO", "i8", "0"), ("BITFIELD", "f", "GET", "i8", "0", "extra"),
    ("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "10", "7"), ("GET", "new"),
    ("BITFIELD", "new2", "GET", "u8", "0"), ("EXISTS", "new2"),
    ("BITFIELD", "new3", "SET", "u8", "8", "0"), ("GET", "new3"),
    ("SET", "s", "hello"), ("BITFIELD", "s", "GET", "u8", "0", "GET", "i16", "36"),
    ("BITFIELD", "s", "SET", "u8", "0", "104"), ("GET", "s"),
    ("BITFIELD", "s", "GET", "i64", "0", "SET", "u4", "60", "15"), ("GET", "s"),
    ("BITFIELD_RO", "s", "GET", "u8", "0", "GET", "i8", "#2"), ("BITFIELD_RO", "s"),
    ("BITFIELD_RO", "s", "SET", "u8", "0", "1"), ("BITFIELD_RO", "s", "INCRBY", "u8", "0", "1"),
    ("BITFIELD_RO", "s", "GET", "u64", "0"), ("BITFIELD_RO", "s", "OVERFLOW", "SAT"),
    ("BITFIELD_RO", "nokey", "GET", "i8", "0"), ("BITFIELD_RO", "s", "SET", "u64", "0", "1"),
    ("BITFIELD_RO", "s", "SET", "u8", "0", "x"), ("BITFIELD_RO",), ("BITFIELD",),
]


OTHER_TYPES = [
    ("SADD", "set", "a"), ("SET", "str", "abc"), ("SETBIT", "set", "1", "1"),
    ("GETBIT", "set", "1"), ("BITCOUNT", "set"), ("BITCOUNT", "set", "x"), ("BITPOS", "set", "1"),
    ("BITPOS", "set", "2"), ("BITOP", "AND", "d", "str", "set"), ("EXISTS", "d"),
    ("BITOP", "OR", "set", "str"), ("TYPE", "set"), ("SADD", "set2", "a"),
    ("BITFIELD", "set2", "GET", "u8", "0"), ("BITFIELD", "set2", "SET", "u8", "0", "1"),
    ("BITFIELD", "set2", "GET", "u99", "0"), ("BITFIELD_RO", "set2", "GET", "u8", "0"),
    ("BITFIELD_RO", "set2", "SET", "u8", "0", "1"), ("SETBIT", "set2", "x", "1"),
    ("COMMAND", "INFO", "SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD",
     "BITFIELD_RO"), ("COMMAND", "GETKEYS", "BITOP", "AND", "d", "a", "b"),
    ("COMMAND", "GETKEYS", "BITFIELD", "k", "GET", "u8", "0"),
]


@pytest.mark.parametrize("cases", [SETBIT_GETBIT, BITCOUNT_BITPOS, BITOP, BITFIELD, OTHER_TYPES],
                         ids=["setbit-getbit", "bitcount-bitpos", "bitop", "bitfield", "types"])
def test_bit_commands_match_redis(server, real_redis, cases):
    assert_same_replies(server, real_redis, cases)


def test_offset_limit_follows_proto_max_bulk_len(r, real, diff):
    with configured((r, real), "proto-max-bulk-len", "1048576"):
        for cmd in [("SETBIT", "b", "8388607", "1"), ("SETBIT", "b", "8388608", "1"),
                    ("GETBIT", "b", "8388608"), ("STRLEN", "b"), ("BITCOUNT", "b"),
                    ("BITPOS", "b", "1"), ("BITFIELD", "b", "GET", "u8", "8388600"),
                    ("BITFIELD", "b", "GET", "u8", "8388601"),
                    ("BITFIELD", "b", "SET", "u8", "#1048575", "1"),
                    ("BITFIELD", "b", "SET", "u8", "#1048576", "1"), ("BITCOUNT", "b")]:
            diff(*cmd)


def test_setbit_after_setrange_and_append_keeps_value(r, diff):
    diff("SET", "k", "abc")
    diff("APPEND", "k", "def")
    diff("SETBIT", "k", "50", "1")
    diff("SETRANGE", "k", "10", "xyz")
    diff("SETBIT", "k", "2", "0")
    diff("BITFIELD", "k", "INCRBY", "u16", "#3", "999")
    diff("GET", "k")
    diff("OBJECT", "ENCODING", "k")


def test_keyspace_events_match_redis(server, real_redis):
    assert_same_events(server, real_redis, [
        ("SETBIT", "b", "3", "1"), ("SETBIT", "b", "3", "1"), ("SETBIT", "b", "100", "0"),
        ("BITFIELD", "b", "SET", "u8", "0", "1"), ("BITFIELD", "b", "SET", "u8", "0", "1"),
        ("BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"),
        ("BITFIELD", "b", "INCRBY", "u8", "0", "0"), ("BITFIELD", "b", "SET", "u8", "#90", "0"),
        ("BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u2", "#900", "9"),
        ("SET", "s", "x"), ("BITFIELD", "s", "SET", "u8", "#9", "0"), ("BITOP", "OR", "d", "b"),
        ("BITOP", "OR", "d", "none"), ("BITOP", "OR", "d", "none")])


def test_large_bitmap_mutates_in_place(r):
    """A multi-megabyte bitmap grown once, then changed bit by bit, stays exact."""
    size_bits = 8 * 4 * 1024 * 1024
    assert r.setbit("big", size_bits - 1, 1) == 0
    pipe = r.pipeline(transaction=False)
    step = size_bits // 1024
    for i in range(0, size_bits, step):
        pipe.setbit("big", i, 1)
    assert pipe.execute() == [0] * 1024
    assert r.bitcount("big") == 1025
    assert r.bitpos("big", 1, 1) == step
    assert r.strlen("big") == size_bits // 8


# -- random sequences -------------------------------------------------------------------------
_OFFSETS = st.integers(0, 200).map(str)
_SMALL = st.integers(-20, 20).map(str)
_FIELD_TYPE = st.sampled_from(["i1", "u1", "i3", "u5", "i8", "u8", "i13", "u16", "i32", "u31",
                               "i63", "u63", "i64"])
_FIELD_OFFSET = st.one_of(_OFFSETS, st.integers(0, 20).map(lambda n: f"#{n}"))
_FIELD_VALUE = st.one_of(st.integers(-300, 300), st.integers(-(1 << 63), (1 << 63) - 1)).map(str)
_FIELD_OP = st.one_of(
    st.tuples(st.just("GET"), _FIELD_TYPE, _FIELD_OFFSET),
    st.tuples(st.sampled_from(["SET", "INCRBY"]), _FIELD_TYPE, _FIELD_OFFSET, _FIELD_VALUE),
    st.tuples(st.just("OVERFLOW"), st.sampled_from(["WRAP", "SAT", "FAIL"])))
_KEY = st.sampled_from(["k1", "k2"])
_BIT_COMMAND = st.one_of(
    st.tuples(st.just("SETBIT"), _KEY, _OFFSETS, st.sampled_from(["0", "1"])),
    st.tuples(st.just("GETBIT"), _KEY, _OFFSETS),
    st.tuples(st.just("BITCOUNT"), _KEY),
    st.tuples(st.just("BITCOUNT"), _KEY, _SMALL, _SMALL),
    st.tuples(st.just("BITCOUNT"), _KEY, _SMALL, _SMALL, st.sampled_from(["BIT", "BYTE"])),
    st.tuples(st.just("BITPOS"), _KEY, st.sampled_from(["0", "1"])),
    st.tuples(st.just("BITPOS"), _KEY, st.sampled_from(["0", "1"]), _SMALL),
    st.tuples(st.just("BITPOS"), _KEY, st.sampled_from(["0", "1"]), _SMALL, _SMALL),
    st.tuples(st.just("BITPOS"), _KEY, st.sampled_from(["0", "1"]), _SMALL, _SMALL,
              st.sampled_from(["BIT", "BYTE"])),
    st.tuples(st.sampled_from(["BITFIELD", "BITFIELD_RO"]), _KEY,
              st.lists(_FIELD_OP, min_size=1, max_size=4)).map(
        lambda t: (t[0], t[1], *[w for op in t[2] for w in op])),
    st.tuples(st.just("BITOP"), st.sampled_from(["AND", "OR", "XOR"]), _KEY, _KEY, _KEY),
    st.tuples(st.just("BITOP"), st.just("NOT"), _KEY, _KEY),
    st.tuples(st.just("SET"), _KEY, st.binary(max_size=12)),
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_BIT_COMMAND, min_size=1, max_size=30))
def test_random_bit_sequences(server, real_redis, commands):
    assert_same_sequence(server, real_redis, commands, ("k1", "k2"))


# -- concurrency ------------------------------------------------------------------------------
def test_concurrent_bitfield_incrby_is_exact(server):
    """Threads increment shared u32 counters (WRAP), u8 counters (SAT) and set their own
    bits of one shared bitmap; every total is exact afterwards."""
    threads, rounds, counters = 12, 150, 6

    def step(client, tid, i):
        slot = (tid + i) % counters
        reply = client.execute_command(
            "BITFIELD", "counters", "INCRBY", "u32", f"#{slot}", "1",
            "OVERFLOW", "SAT", "INCRBY", "u8", f"#{4 * counters + slot}", "3")
        assert reply[1] is not None
        assert client.setbit("owned", tid * rounds + i, 1) == 0

    setup = server.client()
    setup.flushall()
    run_workers(server, threads, rounds, step)
    per_slot = threads * rounds // counters
    args = [w for s in range(counters) for w in ("GET", "u32", f"#{s}")]
    assert setup.execute_command("BITFIELD_RO", "counters", *args) == [per_slot] * counters
    sat = [w for s in range(counters) for w in ("GET", "u8", f"#{4 * counters + s}")]
    assert setup.execute_command("BITFIELD_RO", "counters", *sat) == [255] * counters
    assert setup.bitcount("owned") == threads * rounds
    assert setup.bitpos("owned", 0) == threads * rounds
    setup.close()
