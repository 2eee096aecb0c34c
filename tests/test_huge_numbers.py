"""Numeric arguments far too long or too large get Redis's error, at once: Python's int()
refuses text of more than 4300 digits and exact fractions grow with the exponent, and
neither may turn into an internal error or a stalled loop."""

import pytest

BIG = "1" * 5000

CASES = [
    ("EXPIRE", "k", BIG), ("PEXPIREAT", "k", BIG), ("SETRANGE", "k", BIG, "x"),
    ("INCRBY", "k", BIG), ("INCRBY", "k", "-" + BIG), ("HINCRBY", "h", "f", BIG),
    ("SELECT", BIG), ("MOVE", "k", BIG), ("COPY", "a", "b", "DB", BIG), ("SWAPDB", BIG, "1"),
    ("SCAN", BIG), ("HSCAN", "h", BIG), ("SSCAN", "s", BIG), ("ZSCAN", "z", BIG),
    ("SCAN", "-" + BIG), ("LRANGE", "l", BIG, "1"), ("LINDEX", "l", BIG),
    ("LPOS", "l", "a", "RANK", BIG), ("ZRANGE", "z", BIG, "1"), ("ZRANGESTORE", "d", "z", BIG, "1"),
    ("SRANDMEMBER", "s", BIG), ("SETBIT", "k", BIG, "1"), ("GETBIT", "k", BIG),
    ("BITFIELD", "k", "GET", "u8", BIG), ("SORT", "l", "LIMIT", BIG, "1"),
    ("XTRIM", "x", "MAXLEN", BIG), ("RESTORE", "k", BIG, "x"), ("CLIENT", "KILL", "ID", BIG),
    ("MIGRATE", "127.0.0.1", BIG, "k", "0", "1"), ("INCRBYFLOAT", "f", "1e" + BIG),
    ("INCRBYFLOAT", "f", BIG + "." + BIG), ("HINCRBYFLOAT", "h", "f", "-1e999999999"),
    ("ZADD", "z", "1e" + BIG, "m"), ("ZINCRBY", "z", BIG, "m"), ("BLPOP", "l", "1e" + BIG),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(a[:12] for a in c))
def test_huge_numbers_get_redis_errors(diff, case):
    diff(*case)
