"""Streams (XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD XREADGROUP XGROUP XACK
XPENDING XCLAIM XAUTOCLAIM XINFO) compared reply for reply with redis-server 7.0 in RESP2
and RESP3, node-exact approximate trimming, random sequences, blocking reads, and
concurrent producers / consumer groups with exact invariants."""

import threading
import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compare_cases import assert_same_replies
from conftest import ServerProcess, raw_reply, same

STREAM_COMMANDS = ("xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xread",
                   "xreadgroup", "xgroup", "xack", "xpending", "xclaim", "xautoclaim",
                   "xinfo", "xsetid")


def _sorted_subcommands(info):
    """Redis lists subcommands in the order of a randomly seeded dict: compare them sorted."""
    return info[:9] + [sorted(info[9])]


def test_command_info_matches_redis(r, real):
    for name in STREAM_COMMANDS:
        ours, theirs = same(r, real, "COMMAND", "INFO", name)
        assert _sorted_subcommands(ours[0]) == _sorted_subcommands(theirs[0]), name


# -- differential cases (explicit IDs: deterministic) ------------------------------------------
XADD_CASES = [
    ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "1-0", "f", "v"),
    ("XADD", "s", "1-*", "a", "1", "b", "2"), ("XADD", "s", "2", "f", "v"),
    ("XADD", "s", "2-*", "f", "v"), ("XADD", "s", "0-0", "f", "v"), ("XADD", "s", "0", "f", "v"),
    ("XADD", "s", "0-*", "f", "v"), ("XADD", "new", "0-*", "f", "v"),
    ("XADD", "s", "-", "f", "v"), ("XADD", "s", "+", "f", "v"), ("XADD", "s", "x", "f", "v"),
    ("XADD", "s", "1-x", "f", "v"), ("XADD", "s", "-1", "f", "v"), ("XADD", "s", "1-", "f", "v"),
    ("XADD", "s", "3-1", "f"), ("XADD", "s", "3-1", "f", "v", "g"), ("XADD", "s", "3-1"),
    ("XADD", "s", "NOMKSTREAM", "3-1", "f", "v"), ("XADD", "nope", "NOMKSTREAM", "*", "f", "v"),
    ("EXISTS", "nope"), ("XADD", "s", "0001-5", "f", "v"), ("XADD", "s", " 9-1", "f", "v"),
    ("XADD", "s", "+10-1", "f", "v"), ("XADD", "s", "11--0", "f", "v"),
    ("XADD", "s", "12--5", "f", "v"), ("XADD", "s", "13-18446744073709551615", "f", "v"),
    ("XADD", "s", "13-*", "f", "v"), ("XADD", "s", "13-18446744073709551616", "f", "v"),
    ("XADD", "s", "18446744073709551616-1", "f", "v"),
    ("XADD", "max", "18446744073709551615-18446744073709551615", "f", "v"),
    ("XADD", "max", "*", "f", "v"), ("XADD", "max", "5-*", "f", "v"),
    ("XADD", "s", "MAXLEN", "f", "v"), ("XADD", "s", "MAXLEN", "-1", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "~", "-1", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "=", "x", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "1", "MINID", "1", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "1", "MAXLEN", "1", "20-1", "f", "v"),
    ("XADD", "s", "MINID", "+", "20-1", "f", "v"), ("XADD", "s", "MINID", "-", "20-1", "f", "v"),
    ("XADD", "s", "LIMIT", "5", "20-1", "f", "v"), ("XADD", "s", "LIMIT", "0", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "5", "LIMIT", "5", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "20-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "x", "20-1", "f", "v"),
    ("XADD", "s", "LIMIT", "20-1", "f", "v"), ("XADD", "s", "NOMKSTREAM", "MAXLEN"),
    ("XLEN", "s"), ("XRANGE", "s", "-", "+"),
    ("XADD", "s", "MAXLEN", "3", "21-1", "f", "v"), ("XLEN", "s"), ("XRANGE", "s", "-", "+"),
    ("XADD", "s", "MINID", "=", "13", "22-1", "f", "v"), ("XRANGE", "s", "-", "+"),
    ("XADD", "s", "maxlen", "~", "1", "LIMIT", "0", "23-1", "f", "v"), ("XLEN", "s"),
    ("XADD", "s", "MAXLEN", "0", "24-1", "f", "v"), ("XLEN", "s"), ("EXISTS", "s"),
    ("XRANGE", "s", "-", "+"), ("XADD", "s", "24-1", "f", "v"), ("XADD", "s", "25-1", "f", "v"),
    ("SET", "str", "x"), ("XADD", "str", "*", "f", "v"),
    ("XADD", "str", "NOMKSTREAM", "*", "f", "v"),
    ("XLEN", "str"), ("XLEN", "nokey"), ("TYPE", "s"), ("OBJECT", "ENCODING", "s"),
    ("XADD", "s"), ("XADD", "s", "*"), ("XLEN", "s", "x"),
]

RANGE_SETUP = [("XADD", "r", f"{ms}-{seq}", "f", f"{ms}.{seq}", "g", str(ms * seq))
               for ms in range(1, 5) for seq in range(3)]
RANGE_CASES = RANGE_SETUP + [
    ("XRANGE", "r", "-", "+"), ("XREVRANGE", "r", "+", "-"), ("XRANGE", "r", "2", "3"),
    ("XRANGE", "r", "2-1", "3-1"), ("XRANGE", "r", "(2-1", "(3-1"), ("XRANGE", "r", "(2", "3"),
    ("XREVRANGE", "r", "(3-1", "(2-1"), ("XRANGE", "r", "-", "+", "COUNT", "3"),
    ("XREVRANGE", "r", "+", "-", "COUNT", "3"), ("XRANGE", "r", "-", "+", "COUNT", "0"),
    ("XRANGE", "r", "-", "+", "COUNT", "-5"), ("XRANGE", "r", "-", "+", "count", "2", "COUNT", "4"),
    ("XRANGE", "r", "-", "+", "COUNT"), ("XRANGE", "r", "-", "+", "COUNT", "x"),
    ("XRANGE", "r", "-", "+", "LIMIT", "1"), ("XRANGE", "r", "5", "1"), ("XRANGE", "r", "(-", "+"),
    ("XRANGE", "r", "-", "(+"), ("XRANGE", "r", "(", "+"), ("XRANGE", "r", "(0-0", "+"),
    ("XRANGE", "r", "-", "(0-0"),
    ("XRANGE", "r", "(18446744073709551615-18446744073709551615", "+"),
    ("XRANGE", "r", "-", "(0"), ("XRANGE", "r", "x", "+"), ("XRANGE", "r", "-", "y"),
    ("XREVRANGE", "r", "4-1", "4-1"), ("XREVRANGE", "r", "1", "4", "COUNT", "2"),
    ("XRANGE", "nokey", "-", "+"), ("XRANGE", "nokey", "-", "+", "COUNT", "0"),
    ("XREVRANGE", "nokey", "+", "-"), ("SET", "str", "x"), ("XRANGE", "str", "-", "+"),
    ("XRANGE", "str", "x", "+"), ("XRANGE", "r", "-"),
    ("XDEL", "r", "2-1", "2-1", "9-9", "1-0"), ("XDEL", "r", "x"), ("XDEL", "r", "3-1", "-"),
    ("XDEL", "nokey", "x"), ("XDEL", "str", "1-1"), ("XRANGE", "r", "-", "+"), ("XLEN", "r"),
    ("XINFO", "STREAM", "r"), ("XDEL", "r", "4-2"), ("XINFO", "STREAM", "r"),
]

TRIM_CASES = [("XADD", "t", f"{i}-1", "f", "v") for i in range(1, 21)] + [
    ("XTRIM", "t", "MAXLEN", "15"), ("XLEN", "t"), ("XTRIM", "t", "MAXLEN", "=", "12"),
    ("XTRIM", "t", "MINID", "10"), ("XRANGE", "t", "-", "+", "COUNT", "2"),
    ("XTRIM", "t", "MINID", "~", "15"), ("XTRIM", "t", "MAXLEN", "~", "2"), ("XLEN", "t"),
    ("XTRIM", "t", "MAXLEN", "~", "2", "LIMIT", "100"), ("XTRIM", "t"),
    ("XTRIM", "t", "LIMIT", "1"),
    ("XTRIM", "t", "MAXLEN", "2", "LIMIT", "1"), ("XTRIM", "t", "MAXLEN", "-1"),
    ("XTRIM", "t", "MAXLEN", "1", "MINID", "2"), ("XTRIM", "t", "FOO", "1"),
    ("XTRIM", "t", "MAXLEN", "1", "NOMKSTREAM"), ("XTRIM", "t", "MINID", "x"),
    ("XTRIM", "nokey", "MAXLEN", "1"), ("XTRIM", "nokey", "MAXLEN", "x"), ("SET", "str", "x"),
    ("XTRIM", "str", "MAXLEN", "1"), ("XTRIM", "t", "MINID", "+"), ("XTRIM", "t", "MAXLEN", "0"),
    ("XLEN", "t"), ("XINFO", "STREAM", "t"), ("XTRIM", "t", "MAXLEN"),
]

SETID_CASES = [
    ("XSETID", "k", "5-5"), ("XADD", "k", "3-1", "f", "v"), ("XADD", "k", "4-1", "f", "v"),
    ("XSETID", "k", "4-0"), ("XSETID", "k", "4-1"), ("XINFO", "STREAM", "k"),
    ("XSETID", "k", "10-0", "ENTRIESADDED", "1"), ("XSETID", "k", "10-0", "ENTRIESADDED", "-1"),
    ("XSETID", "k", "10-0", "ENTRIESADDED", "x"), ("XSETID", "k", "10-0", "MAXDELETEDID", "11-0"),
    ("XSETID", "k", "10-0", "MAXDELETEDID", "x"), ("XSETID", "k", "10-0", "FOO", "1"),
    ("XSETID", "k", "10-0", "ENTRIESADDED"), ("XSETID", "k", "-"), ("XSETID", "k", "x"),
    ("XSETID", "k", "10-0", "ENTRIESADDED", "7", "MAXDELETEDID", "9-9"), ("XINFO", "STREAM", "k"),
    ("XADD", "k", "10-0", "f", "v"), ("XADD", "k", "10-*", "f", "v"), ("XINFO", "STREAM", "k"),
    ("XDEL", "k", "3-1", "4-1", "10-1"), ("XSETID", "k", "1-1"), ("XINFO", "STREAM", "k"),
    ("SET", "str", "x"), ("XSETID", "str", "1-1"), ("XSETID", "k"),
]

READ_CASES = [("XADD", "a", f"{i}-0", "n", str(i)) for i in range(1, 6)] + [
    ("XADD", "b", "7-7", "x", "y"),
    ("XREAD", "STREAMS", "a", "0"), ("XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"),
    ("XREAD", "STREAMS", "a", "b", "3", "7-7"), ("XREAD", "STREAMS", "a", "$"),
    ("XREAD", "STREAMS", "nokey", "0"), ("XREAD", "STREAMS", "nokey", "$"),
    ("XREAD", "STREAMS", "a", "a", "0", "4"), ("XREAD", "COUNT", "-1", "STREAMS", "a", "3"),
    ("XREAD", "STREAMS", "a", "b", "0"), ("XREAD", "STREAMS", "a", ">"),
    ("XREAD", "STREAMS", "a", "x"),
    ("XREAD", "STREAMS", "a", "+"), ("XREAD", "STREAMS", "a", "-"),
    ("XREAD", "COUNT", "x", "STREAMS", "a", "0"),
    ("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"), ("XREAD", "NOACK", "STREAMS", "a", "0"),
    ("XREAD", "FOO", "STREAMS", "a", "0"), ("XREAD", "COUNT", "1", "a", "0", "1"),
    ("XREAD", "BLOCK", "x", "STREAMS", "a", "0"), ("XREAD", "BLOCK", "-1", "STREAMS", "a", "0"),
    ("XREAD", "BLOCK", "10", "STREAMS", "a", "0"), ("SET", "str", "x"),
    ("XREAD", "STREAMS", "a", "str", "0", "0"), ("XREAD", "STREAMS", "a"),
]

GROUP_CASES = [("XADD", "s", f"{i}-1", "k", f"v{i}") for i in range(1, 9)] + [
    ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "g", "0"),
    ("XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "8"),
    ("XGROUP", "CREATE", "s", "g3", "3-1"),
    ("XGROUP", "CREATE", "s", "g4", "x"), ("XGROUP", "CREATE", "s", "g4", "-"),
    ("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-2"),
    ("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "x"),
    ("XGROUP", "CREATE", "s", "g4", "0", "FOO"),
    ("XGROUP", "CREATE", "s", "g4", "0", "MKSTREAM", "ENTRIESREAD", "1", "MKSTREAM"),
    ("XGROUP", "CREATE", "nokey", "g", "0"), ("XGROUP", "CREATE", "mk", "g", "$", "MKSTREAM"),
    ("XLEN", "mk"), ("XINFO", "STREAM", "mk"), ("XGROUP", "SETID", "nokey", "g", "0"),
    ("XGROUP", "SETID", "s", "nog", "0"), ("XGROUP", "SETID", "s", "g3", "0", "MKSTREAM"),
    ("XGROUP", "SETID", "s", "g3", "2-1", "ENTRIESREAD", "2"), ("XGROUP", "SETID", "s", "g3", "+"),
    ("XGROUP", "SETID", "s", "g3", "$"), ("XGROUP", "SETID", "s", "g3", "0", "ENTRIESREAD"),
    ("XINFO", "GROUPS", "s"), ("XGROUP", "SETID", "s", "g3", "1-1"), ("XINFO", "GROUPS", "s"),
    ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
    ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-1"),
    ("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"),
    ("XREADGROUP", "GROUP", "g", "carol", "NOACK", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokey", ">"),
    ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"),
    ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "x"),
    ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s"),
    ("XREADGROUP", "COUNT", "1", "STREAMS", "s", ">", "x", "y"),
    ("XREADGROUP", "GROUP", "g", "STREAMS", "s", ">"), ("XREADGROUP", "GROUP", "g", "a", "b", "c"),
    ("XPENDING", "s", "g"), ("XPENDING", "s", "nog"), ("XPENDING", "nokey", "g"),
    ("XPENDING", "s", "g", "-", "+"), ("XPENDING", "s", "g", "-", "+", "x"),
    ("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"),
    ("XPENDING", "s", "g", "IDLE", "5", "-", "+"),
    ("XPENDING", "s", "g", "-", "+", "10", "nobody"), ("XPENDING", "s", "g", "(1-1", "(9", "0"),
    ("XPENDING", "s", "g", "x", "+", "10"),
    ("XPENDING", "s", "g", "-", "+", "10", "a", "b", "c", "d"),
    ("XACK", "s", "g", "1-1", "1-1", "9-9"), ("XACK", "s", "g", "x"), ("XACK", "s", "nog", "x"),
    ("XACK", "nokey", "g", "1-1"), ("XPENDING", "s", "g"),
    ("XCLAIM", "s", "g", "dave", "0", "2-1", "3-1", "JUSTID"), ("XPENDING", "s", "g"),
    ("XCLAIM", "s", "g", "dave", "0", "4-1", "RETRYCOUNT", "7"),
    ("XCLAIM", "s", "g", "dave", "99999999", "5-1"), ("XCLAIM", "s", "g", "dave", "0", "8-1"),
    ("XCLAIM", "s", "g", "dave", "0", "8-1", "FORCE", "JUSTID"),
    ("XCLAIM", "s", "g", "dave", "x", "8-1"), ("XCLAIM", "s", "g", "dave", "0", "8-1", "IDLE", "x"),
    ("XCLAIM", "s", "g", "dave", "0", "8-1", "TIME", "x"),
    ("XCLAIM", "s", "g", "dave", "0", "8-1", "BOGUS"),
    ("XCLAIM", "s", "g", "dave", "0", "8-1", "RETRYCOUNT", "x"),
    ("XCLAIM", "s", "g", "dave", "0", "8-1", "LASTID", "x"),
    ("XCLAIM", "s", "nog", "dave", "0", "8-1"), ("XCLAIM", "nokey", "g", "dave", "0", "8-1"),
    ("XCLAIM", "s", "g", "dave", "0", "x", "8-1"),
    ("XCLAIM", "s", "g", "dave", "0", "8-1", "LASTID", "100-0"),
    ("XINFO", "GROUPS", "s"), ("XDEL", "s", "3-1"),
    ("XCLAIM", "s", "g", "erin", "0", "3-1", "4-1", "JUSTID"),
    ("XPENDING", "s", "g"), ("XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "2"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "0", "JUSTID"), ("XDEL", "s", "4-1", "5-1"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "(1-1", "COUNT", "1", "JUSTID"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "-"), ("XAUTOCLAIM", "s", "g", "frank", "x", "0"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "x"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "0"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "x"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "0", "BAD"),
    ("XAUTOCLAIM", "s", "nog", "frank", "0", "0"), ("XAUTOCLAIM", "nokey", "g", "frank", "0", "0"),
    ("XAUTOCLAIM", "s", "g", "frank", "0", "(18446744073709551615-18446744073709551615"),
    ("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "zed"), ("XGROUP", "CREATECONSUMER", "s", "g", "zed"),
    ("XGROUP", "CREATECONSUMER", "s", "nog", "zed"),
    ("XGROUP", "CREATECONSUMER", "nokey", "g", "zed"),
    ("XGROUP", "DELCONSUMER", "s", "g", "frank"), ("XGROUP", "DELCONSUMER", "s", "g", "nobody"),
    ("XPENDING", "s", "g"), ("XGROUP", "DESTROY", "s", "g2"), ("XGROUP", "DESTROY", "s", "g2"),
    ("XGROUP", "DESTROY", "nokey", "g2"), ("XINFO", "GROUPS", "s"), ("XGROUP", "HELP"),
    ("XGROUP", "FOO"), ("XGROUP", "CREATE", "s"), ("XGROUP", "DESTROY", "s", "g", "x"),
    ("XGROUP", "HELP", "x"), ("XGROUP",), ("SET", "str", "x"),
    ("XGROUP", "CREATE", "str", "g", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"), ("XINFO", "GROUPS", "str"),
    ("XINFO", "HELP"), ("XINFO", "HELP", "x"), ("XINFO", "STREAM", "nokey"),
    ("XINFO", "STREAM", "s", "FOO"), ("XINFO", "STREAM", "s", "FULL", "COUNT"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "x"), ("XINFO", "STREAM", "s", "FULL", "LIMIT", "1"),
    ("XINFO", "CONSUMERS", "s", "nog"), ("XINFO", "CONSUMERS", "nokey", "g"), ("XINFO", "FOO", "s"),
    ("XINFO", "STREAM", "s"), ("XINFO", "GROUPS", "nokey"),
] + [("XADD", "t", f"{i}-0", "f", "v") for i in range(1, 8)] + [
    ("XGROUP", "CREATE", "t", "g", "0"), ("XGROUP", "CREATE", "t", "late", "$"),
    ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "t", ">"), ("XINFO", "GROUPS", "t"),
    ("XDEL", "t", "3-0"), ("XINFO", "GROUPS", "t"),
    ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "t", ">"), ("XINFO", "GROUPS", "t"),
    ("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "t", ">"), ("XINFO", "GROUPS", "t"),
    ("XGROUP", "SETID", "t", "g", "0"), ("XINFO", "GROUPS", "t"), ("XDEL", "t", "1-0"),
    ("XINFO", "GROUPS", "t"), ("XGROUP", "SETID", "t", "g", "0", "ENTRIESREAD", "0"),
    ("XINFO", "GROUPS", "t"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "t", ">"),
    ("XINFO", "GROUPS", "t"), ("XTRIM", "t", "MAXLEN", "0"), ("XINFO", "GROUPS", "t"),
    ("XADD", "t", "9-0", "f", "v"), ("XINFO", "GROUPS", "t"), ("XINFO", "STREAM", "t"),
]


@pytest.mark.parametrize("cases", [XADD_CASES, RANGE_CASES, TRIM_CASES, SETID_CASES,
                                   READ_CASES, GROUP_CASES],
                         ids=["xadd", "xrange_xdel", "xtrim", "xsetid", "xread", "groups"])
def test_commands_match_redis(server, real_redis, cases):
    """Every reply, errors included, in RESP2 and RESP3, from two empty servers."""
    assert_same_replies(server, real_redis, cases)


# -- replies carrying times: compared with the times masked ------------------------------------
_TIMED = {b"idle", b"seen-time"}


def _mask(reply):
    """Replace the clock-dependent numbers of XPENDING / XINFO replies by "T"."""
    if isinstance(reply, dict):
        return {k: ("T" if k in _TIMED else _mask_pending(v) if k == b"pending" else _mask(v))
                for k, v in reply.items()}
    if isinstance(reply, list):
        if len(reply) % 2 == 0 and reply and all(isinstance(k, bytes) for k in reply[0::2]) \
                and any(k in _TIMED or k == b"pending" for k in reply[0::2]):
            return _mask(dict(zip(reply[0::2], reply[1::2])))
        return [_mask(item) for item in reply]
    return reply


def _mask_pending(items):
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, list) and len(item) == 4:      # group PEL: id, owner, time, count
            item = [item[0], item[1], "T", item[3]]
        elif isinstance(item, list) and len(item) == 3:    # consumer PEL: id, time, count
            item = [item[0], "T", item[2]]
        out.append(item)
    return out


def _mask_idle(reply):
    """XPENDING's extended form: [id, consumer, idle, count] rows."""
    return [[row[0], row[1], "T", row[3]] for row in reply] if isinstance(reply, list) else reply


TIMED_SETUP = [("XADD", "s", f"{i}-0", "k", str(i)) for i in range(1, 7)] + [
    ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "h", "0"),
    ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "4", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "h", "c3", "NOACK", "STREAMS", "s", ">"),
    ("XCLAIM", "s", "g", "c2", "0", "1-0", "2-0", "IDLE", "500000", "JUSTID"),
    ("XCLAIM", "s", "g", "c2", "0", "3-0", "TIME", "1000", "RETRYCOUNT", "9"),
    ("XCLAIM", "s", "g", "c2", "0", "4-0", "TIME", "99999999999999", "JUSTID"),
    ("XGROUP", "CREATECONSUMER", "s", "h", "c4"), ("XDEL", "s", "5-0"),
]
TIMED_CASES = [
    (_mask_idle, ("XPENDING", "s", "g", "-", "+", "10")),
    (_mask_idle, ("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10")),
    (_mask_idle, ("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10", "c2")),
    (_mask_idle, ("XPENDING", "s", "g", "-", "+", "2", "c1")),
    (_mask, ("XINFO", "CONSUMERS", "s", "g")), (_mask, ("XINFO", "CONSUMERS", "s", "h")),
    (_mask, ("XINFO", "STREAM", "s", "FULL")),
    (_mask, ("XINFO", "STREAM", "s", "FULL", "COUNT", "1")),
    (_mask, ("XINFO", "STREAM", "s", "FULL", "COUNT", "0")),
    (_mask, ("XINFO", "STREAM", "s", "FULL", "COUNT", "-3")),
    (_mask, ("XAUTOCLAIM", "s", "g", "c9", "400000", "0")),
    (_mask_idle, ("XPENDING", "s", "g", "-", "+", "10")),
    (_mask, ("XINFO", "STREAM", "s", "FULL")),
    (_mask, ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", "0")),
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_timed_replies_masked(server, real_redis, protocol):
    ours, theirs = server.client(protocol=protocol), real_redis.client(protocol=protocol)
    try:
        ours.flushall()
        theirs.flushall()
        for case in TIMED_SETUP:
            a, b = same(ours, theirs, *case)
            assert a == b, case
        for mask, case in TIMED_CASES:
            a, b = same(ours, theirs, *case)
            assert mask(a) == mask(b), f"{case}: {a!r} != {b!r}"
    finally:
        ours.close()
        theirs.close()


def test_copy_keeps_nodes_groups_and_pel(server, real_redis):
    """COPY duplicates the stream like streamDup: same node layout, groups, PEL and
    consumers, and the copy changes independently."""
    cases = [(mask, case) for mask, case in TIMED_CASES[-3:]]
    steps = [(None, ("CONFIG", "SET", "stream-node-max-entries", "4"))] + \
        [(None, c) for c in TIMED_SETUP] + [
        (None, ("COPY", "s", "dup")), (_mask, ("XINFO", "STREAM", "dup", "FULL")),
        (None, ("XDEL", "dup", "1-0")), (None, ("XACK", "dup", "g", "2-0")),
        (_mask, ("XINFO", "STREAM", "s", "FULL")), (_mask, ("XINFO", "STREAM", "dup", "FULL")),
        (None, ("CONFIG", "SET", "stream-node-max-entries", "100"))] + cases
    ours, theirs = server.client(protocol=2), real_redis.client(protocol=2)
    try:
        ours.flushall()
        theirs.flushall()
        for mask, case in steps:
            a, b = same(ours, theirs, *case)
            mask = mask or (lambda x: x)
            assert mask(a) == mask(b), f"{case}: {a!r} != {b!r}"
    finally:
        for c in (ours, theirs):
            c.config_set("stream-node-max-entries", 100)
            c.close()


def test_getkeys_and_option_values_named_streams(server, r, real):
    for case in [("XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"),
                 ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"),
                 ("XREAD", "COUNT", "x", "STREAMS", "a", "0"), ("XADD", "s", "*", "f", "v"),
                 ("XINFO", "STREAM", "s"), ("XGROUP", "CREATE", "s", "g", "$")]:
        ours, theirs = same(r, real, "COMMAND", "GETKEYS", *case)
        assert ours == theirs, case
    # a group named "streams": the keys read are the ones locked (and replied about)
    c = server.client(protocol=2)
    c.xadd("k", {"f": "v"}, id="1-0")
    c.xgroup_create("k", "streams", id="0")
    assert raw_reply(c, "XREADGROUP", "COUNT", "1", "GROUP", "streams", "c", "STREAMS", "k", ">") \
        == [[b"k", [[b"1-0", [b"f", b"v"]]]]]
    assert raw_reply(c, "COMMAND", "GETKEYS", "XREADGROUP", "COUNT", "1", "GROUP", "streams",
                     "c", "STREAMS", "k", ">") == [b"k"]


def test_consumer_idle_and_delivery_times(server):
    r = server.client(protocol=2)
    r.flushall()
    r.xadd("s", {"f": "v"}, id="1-0")
    r.xgroup_create("s", "g", id="0")
    before = int(time.time() * 1000)
    r.xreadgroup("g", "c", {"s": ">"})
    after = int(time.time() * 1000)
    full = raw_reply(r, "XINFO", "STREAM", "s", "FULL")
    group = dict(zip(full[-1][0][0::2], full[-1][0][1::2]))
    entry_id, owner, delivered, count = group[b"pending"][0]
    assert (entry_id, owner, count) == (b"1-0", b"c", 1)
    assert before <= delivered <= after
    consumer = dict(zip(group[b"consumers"][0][0::2], group[b"consumers"][0][1::2]))
    assert before <= consumer[b"seen-time"] <= after
    time.sleep(0.05)
    idle = r.xpending_range("s", "g", "-", "+", 10)[0]["time_since_delivered"]
    assert 50 <= idle < 5000
    assert raw_reply(r, "XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10") == []


# -- auto IDs: shapes and monotonicity ---------------------------------------------------------
def test_auto_ids_are_monotonic(r):
    now = int(time.time() * 1000)
    ids = [r.xadd("s", {"i": str(i)}) for i in range(200)]
    parsed = [tuple(map(int, i.split(b"-"))) for i in ids]
    assert parsed == sorted(set(parsed))
    assert now - 1000 <= parsed[0][0] <= now + 60000
    r.xadd("future", {"f": "v"}, id="99999999999999-5")
    assert r.xadd("future", {"f": "v"}) == b"99999999999999-6"
    assert r.xadd("future", {"f": "v"}, id="99999999999999-*") == b"99999999999999-7"
    assert r.xadd("future", {"f": "v"}, id="99999999999999-18446744073709551615") \
        == b"99999999999999-18446744073709551615"
    assert r.xadd("future", {"f": "v"}) == b"100000000000000-0"


@pytest.mark.parametrize("protocol", [2, 3])
def test_xinfo_stream_shape_resp3(server, real_redis, protocol):
    """XINFO STREAM is a map in RESP3 and a flat array in RESP2, like XREAD's reply."""
    cases = [("XADD", "s", "1-1", "a", "b"), ("XADD", "s", "2-2", "c", "d"),
             ("XINFO", "STREAM", "s"), ("XREAD", "STREAMS", "s", "s", "0", "1-1"),
             ("XGROUP", "CREATE", "s", "g", "0"), ("XINFO", "GROUPS", "s"),
             ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")]
    assert_same_replies(server, real_redis, cases, protocols=(protocol,))
    client = server.client(protocol=protocol)
    try:
        info = raw_reply(client, "XINFO", "STREAM", "s")
        assert isinstance(info, dict if protocol == 3 else list)
    finally:
        client.close()


# -- node layout: approximate trimming removes exactly the nodes Redis would --------------------
@pytest.fixture
def node_config(server, real_redis):
    """Set stream-node-max-entries / -bytes on both servers for one test."""
    clients = [server.client(), real_redis.client()]

    def apply(entries, nbytes):
        for c in clients:
            c.config_set("stream-node-max-entries", entries)
            c.config_set("stream-node-max-bytes", nbytes)
    yield apply
    apply(100, 4096)
    for c in clients:
        c.close()


def _node_cases(n_add, value_size, maxlen, minid_every):
    cases = []
    for i in range(1, n_add + 1):
        trim = ("MAXLEN", "~", str(maxlen)) if not minid_every or i % minid_every else \
            ("MINID", "~", f"{i - maxlen}")
        cases.append(("XADD", "s", *trim, f"{i}-{i % 3}", "f", "x" * (value_size + i % 7),
                      "n", str(i * 1000)))
        if i % 9 == 0:
            cases.append(("XDEL", "s", f"{i - 3}-{(i - 3) % 3}"))
        if i % 11 == 0:
            cases.append(("XINFO", "STREAM", "s"))
    return cases + [("XLEN", "s"), ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "~", "5"),
                    ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MINID", "~", f"{n_add - 3}"),
                    ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "3"), ("XINFO", "STREAM", "s")]


@pytest.mark.parametrize("entries,nbytes,n_add,value_size,maxlen,minid_every", [
    (100, 4096, 450, 3, 130, 0),       # defaults: 100-entry nodes
    (7, 4096, 120, 1, 20, 5),          # small nodes, MINID ~ mixed in
    (0, 300, 150, 20, 25, 0),          # nodes closed by bytes only
    (10, 200, 150, 40, 15, 4),         # both limits, bigger values
    (3, 1 << 31, 60, 200, 4, 0),       # node-max-bytes above the listpack cap
])
def test_approximate_trimming_matches_node_layout(server, real_redis, node_config, entries,
                                                  nbytes, n_add, value_size, maxlen,
                                                  minid_every):
    node_config(entries, nbytes)
    assert_same_replies(server, real_redis,
                        _node_cases(n_add, value_size, maxlen, minid_every), protocols=(2,))


def test_node_layout_with_mixed_fields_and_integers(server, real_redis, node_config):
    node_config(20, 400)
    cases = []
    for i in range(1, 200):
        fields = ("a", str(i)) if i % 4 else ("b", "-" + str(i * 999983), "c", "0" + str(i))
        cases.append(("XADD", "s", "MAXLEN", "~", "30", f"{i * 70000}-{i * 5000}", *fields))
    cases.append(("XINFO", "STREAM", "s"))
    cases.append(("XTRIM", "s", "MAXLEN", "17"))
    cases.append(("XADD", "s", "MAXLEN", "~", "1", "99999999-0", "a", "b"))
    cases.append(("XINFO", "STREAM", "s"))
    assert_same_replies(server, real_redis, cases, protocols=(2,))


def test_node_byte_limit_boundaries(server, real_redis, node_config):
    """Sweep entry sizes under small stream-node-max-bytes so that a listpack ends exactly
    at the limit now and then: the node count must follow Redis at every step."""
    cases = []
    for limit in (64, 100, 163):
        cases.append(("CONFIG", "SET", "stream-node-max-bytes", str(limit)))
        key = f"s{limit}"
        for i in range(1, 90):
            value = "v" * (i % 23) if i % 5 else str(i * 1000003)
            cases.append(("XADD", key, f"{i}-{i * 7}", "f" * (i % 3 + 1), value))
            cases.append(("XINFO", "STREAM", key))
    node_config(0, 4096)
    assert_same_replies(server, real_redis, cases, protocols=(2,))


# -- random sequences against redis-server ----------------------------------------------------
_IDS = st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(0, 60), st.integers(0, 3))
_SOME_ID = st.one_of(_IDS, st.integers(0, 60).map(str))
_TRIM = st.one_of(
    st.just(()),
    st.tuples(st.just("MAXLEN"), st.sampled_from(["", "~", "="]), st.integers(0, 12).map(str)),
    st.tuples(st.just("MINID"), st.sampled_from(["", "~", "="]), _SOME_ID))
_FIELDS = st.lists(st.sampled_from(["a", "b", "1", "-7", "xyz" * 5]), min_size=2, max_size=4)
# "@<gap>" stands for the next ID: <running ms + gap>-*, filled in by _number_adds
_NEXT_ID = st.integers(0, 2).map(lambda gap: f"@{gap}")


def _flat_trim(trim):
    return tuple(w for w in trim if w)


def _number_adds(cases):
    """Give XADDs increasing "ms-*" IDs (gap 0 reuses the ms: the sequence grows)."""
    ms, out = 1, []
    for case in cases:
        case = list(case)
        for i, word in enumerate(case):
            if isinstance(word, str) and word.startswith("@"):
                ms += int(word[1:])
                case[i] = f"{ms}-*"
        out.append(tuple(case))
    return out


_XADD = st.builds(lambda t, i, f: ("XADD", "s", *_flat_trim(t), i, *f, *f[:1]),
                  _TRIM, st.one_of(_NEXT_ID, _NEXT_ID, _IDS), _FIELDS)
_STREAM_COMMAND = st.one_of(
    _XADD, _XADD, _XADD,
    st.builds(lambda ids: ("XDEL", "s", *ids), st.lists(_IDS, min_size=1, max_size=3)),
    st.builds(lambda t: ("XTRIM", "s", *_flat_trim(t)), _TRIM.filter(bool)),
    st.builds(lambda a, b, n: ("XRANGE", "s", a, b, "COUNT", str(n)),
              st.one_of(_SOME_ID, st.just("-"), _IDS.map(lambda i: "(" + i)),
              st.one_of(_SOME_ID, st.just("+")), st.integers(-1, 5)),
    st.builds(lambda a, b: ("XREVRANGE", "s", a, b), st.one_of(_SOME_ID, st.just("+")),
              st.one_of(_SOME_ID, st.just("-"))),
    st.just(("XLEN", "s")), st.just(("XINFO", "STREAM", "s")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_STREAM_COMMAND, min_size=1, max_size=50), st.sampled_from([2, 3, 100]))
def test_random_sequences_match_redis(server, real_redis, cases, node_entries):
    ours, theirs = server.client(), real_redis.client()
    try:
        for c in (ours, theirs):
            c.config_set("stream-node-max-entries", node_entries)
        setup = [("XADD", "s", "@1", "f", str(i)) for i in range(15)]
        assert_same_replies(server, real_redis,
                            _number_adds(setup + cases) + [("XINFO", "STREAM", "s")],
                            protocols=(2,))
    finally:
        for c in (ours, theirs):
            c.config_set("stream-node-max-entries", 100)
            c.close()


_GROUP_COMMAND = st.one_of(
    st.builds(lambda i: ("XADD", "s", i, "f", "v"), _NEXT_ID),
    st.builds(lambda c, n: ("XREADGROUP", "GROUP", "g", c, "COUNT", str(n), "STREAMS", "s", ">"),
              st.sampled_from(["c1", "c2"]), st.integers(0, 3)),
    st.builds(lambda c, i: ("XREADGROUP", "GROUP", "g", c, "STREAMS", "s", i),
              st.sampled_from(["c1", "c2"]), _SOME_ID),
    st.builds(lambda ids: ("XACK", "s", "g", *ids), st.lists(_IDS, min_size=1, max_size=3)),
    st.builds(lambda ids: ("XDEL", "s", *ids), st.lists(_IDS, min_size=1, max_size=2)),
    st.builds(lambda c, ids: ("XCLAIM", "s", "g", c, "0", *ids, "JUSTID"),
              st.sampled_from(["c1", "c2", "c3"]), st.lists(_IDS, min_size=1, max_size=3)),
    st.builds(lambda c, i, n: ("XAUTOCLAIM", "s", "g", c, "0", i, "COUNT", str(n), "JUSTID"),
              st.sampled_from(["c1", "c3"]), _SOME_ID, st.integers(1, 4)),
    st.builds(lambda i: ("XGROUP", "SETID", "s", "g", i), _SOME_ID),
    st.builds(lambda n: ("XTRIM", "s", "MAXLEN", str(n)), st.integers(0, 6)),
    st.just(("XPENDING", "s", "g")), st.just(("XINFO", "GROUPS", "s")),
    st.just(("XGROUP", "DELCONSUMER", "s", "g", "c2")),
)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_GROUP_COMMAND, min_size=1, max_size=40))
def test_random_group_sequences_match_redis(server, real_redis, cases):
    setup = [("XADD", "s", "1-1", "f", "v"), ("XGROUP", "CREATE", "s", "g", "0")]
    final = [("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s"), ("XINFO", "STREAM", "s")]
    assert_same_replies(server, real_redis, setup + _number_adds(cases) + final, protocols=(2,))


# -- blocking reads ----------------------------------------------------------------------------
def _later(fn, delay=0.1):
    t = threading.Timer(delay, fn)
    t.start()
    return t


def test_xread_block_woken_by_xadd(server, r):
    r.xadd("s", {"old": "1"}, id="1-0")
    blocker = server.client(protocol=2)
    adder = _later(lambda: server.client().xadd("s", {"new": "2"}, id="2-0"))
    start = time.monotonic()
    reply = raw_reply(blocker, "XREAD", "BLOCK", "5000", "STREAMS", "s", "$")
    adder.join()
    assert reply == [[b"s", [[b"2-0", [b"new", b"2"]]]]]
    assert time.monotonic() - start < 4


def test_xread_block_on_missing_key_and_timeout(server, r):
    blocker = server.client(protocol=2)
    start = time.monotonic()
    assert raw_reply(blocker, "XREAD", "BLOCK", "150", "STREAMS", "nokey", "0") is None
    assert 0.1 <= time.monotonic() - start < 3
    adder = _later(lambda: server.client().xadd("fresh", {"a": "b"}, id="5-5"))
    reply = raw_reply(blocker, "XREAD", "BLOCK", "0", "COUNT", "10", "STREAMS", "other", "fresh",
                      "0", "0")
    adder.join()
    assert reply == [[b"fresh", [[b"5-5", [b"a", b"b"]]]]]


def test_xread_block_resp3_and_many_readers(server, r):
    readers = [server.client(protocol=3) for _ in range(4)]
    r.xadd("s", {"a": "0"}, id="1-0")
    results = [None] * len(readers)

    def read(i):
        results[i] = raw_reply(readers[i], "XREAD", "BLOCK", "5000", "STREAMS", "s", "1-0")
    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(readers))]
    for t in threads:
        t.start()
    time.sleep(0.3)
    r.xadd("s", {"b": "1"}, id="2-0")
    for t in threads:
        t.join(10)
    assert results == [{b"s": [[b"2-0", [b"b", b"1"]]]}] * len(readers)


def test_xread_block_inside_multi_returns_at_once(r, real):
    replies = []
    for client in (r, real):
        start = time.monotonic()
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        pipe.execute_command("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
        replies.append(pipe.execute(raise_on_error=False))
        assert time.monotonic() - start < 2
    assert [str(x) for x in replies[0]] == [str(x) for x in replies[1]]


def test_xreadgroup_block_one_consumer_served_per_entry(server, r):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    consumers = [server.client(protocol=2) for _ in range(3)]
    results = [None] * 3

    def read(i):
        results[i] = raw_reply(consumers[i], "XREADGROUP", "GROUP", "g", f"c{i}", "BLOCK", "700",
                               "STREAMS", "s", ">")
    threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    r.xadd("s", {"job": "1"}, id="1-0")
    for t in threads:
        t.join(10)
    served = [res for res in results if res is not None]
    assert served == [[[b"s", [[b"1-0", [b"job", b"1"]]]]]]
    assert raw_reply(r, "XPENDING", "s", "g")[0] == 1


def test_xreadgroup_block_group_destroyed(server, r):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    blocker = server.client()
    destroyer = _later(lambda: server.client().xgroup_destroy("s", "g"))
    reply = raw_reply(blocker, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "5000", "STREAMS",
                      "s", ">")
    destroyer.join()
    assert isinstance(reply, redis.ResponseError)
    assert str(reply) == "NOGROUP the consumer group this client was blocked on no longer exists"


# What ends a blocked XREADGROUP when its stream goes: each way, on two readers of the
# group and one plain XREAD (which waits on, to its timeout), compared with redis-server.
GONE = {
    "del": [("DEL", "s")],
    "unlink": [("UNLINK", "s")],
    "set": [("SET", "s", "v")],
    "multi": [("MULTI",), ("DEL", "s"), ("SADD", "s", "e1"), ("EXEC",)],
    "recreated": [("MULTI",), ("DEL", "s"), ("XADD", "s", "9-9", "f", "v"), ("EXEC",)],
    "rename": [("RENAME", "s", "t")],
    "expire": [("PEXPIRE", "s", "1")],
    "flushall": [("FLUSHALL",)],
    "flushdb": [("FLUSHDB",)],
    "swapdb": [("SWAPDB", "0", "1")],
}


def _stream_gone_replies(srv, steps):
    from test_blocking import wait_info_blocked
    admin = srv.client(protocol=2)
    admin.flushall()
    admin.xadd("s", {"f": "v"}, id="1-0")
    admin.xgroup_create("s", "g", id="$")
    readers = [srv.client(protocol=2) for _ in range(3)]
    commands = [("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"),
                ("XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">"),
                ("XREAD", "BLOCK", "400", "STREAMS", "s", "$")]
    conns = []
    for client, cmd in zip(readers, commands):
        conn = client.connection_pool.get_connection()
        conn.send_command(*cmd)
        conns.append(conn)
        wait_info_blocked(admin, len(conns))       # blocked in this order
    for step in steps:
        admin.execute_command(*step)
    replies = []
    for conn in conns:
        try:
            replies.append(conn.read_response())
        except redis.ResponseError as exc:
            replies.append(("error", str(exc)))
    for client, conn in zip(readers, conns):
        client.connection_pool.release(conn)
    return replies


@pytest.mark.parametrize("how", sorted(GONE))
def test_blocked_xreadgroup_ends_when_its_stream_goes(server, real_redis, how):
    ours = _stream_gone_replies(server, GONE[how])
    theirs = _stream_gone_replies(real_redis, GONE[how])
    assert ours == theirs
    if how != "recreated":
        assert ours[0] == ("error", "UNBLOCKED the stream key no longer exists")


def test_xreadgroup_block_noack_and_history_not_blocking(server, r):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    r = server.client(protocol=2)
    start = time.monotonic()
    assert raw_reply(r, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "5000", "STREAMS", "s", "0") \
        == [[b"s", []]]
    assert time.monotonic() - start < 2
    blocker = server.client(protocol=2)
    adder = _later(lambda: server.client().xadd("s", {"x": "1"}, id="3-0"))
    reply = raw_reply(blocker, "XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "5000",
                      "STREAMS", "s", ">")
    adder.join()
    assert reply == [[b"s", [[b"3-0", [b"x", b"1"]]]]]
    assert raw_reply(r, "XPENDING", "s", "g")[0] == 0
    groups = r.xinfo_groups("s")
    assert groups[0]["last-delivered-id"] == b"3-0" and groups[0]["entries-read"] == 1


# -- replaying what Redis propagates reproduces the group state --------------------------------
def test_replaying_propagated_effects_rebuilds_the_pel(server):
    """XREADGROUP reaches replicas as XCLAIM ... FORCE JUSTID LASTID / XGROUP SETID /
    XGROUP CREATECONSUMER; those commands alone must rebuild the same PEL."""
    r = server.client(protocol=2)
    r.flushall()
    for i in range(1, 6):
        r.xadd("s", {"i": str(i)}, id=f"{i}-0")
        r.xadd("copy", {"i": str(i)}, id=f"{i}-0")
    r.xgroup_create("s", "g", id="0")
    r.xgroup_create("copy", "g", id="0")
    r.xreadgroup("g", "alice", {"s": ">"}, count=3)
    r.xreadgroup("g", "bob", {"s": ">"}, count=1, noack=True)
    full = raw_reply(r, "XINFO", "STREAM", "s", "FULL")
    group = dict(zip(full[-1][0][0::2], full[-1][0][1::2]))
    for entry_id, owner, delivered, count in group[b"pending"]:
        assert raw_reply(r, "XCLAIM", "copy", "g", owner, "0", entry_id, "TIME", delivered,
                         "RETRYCOUNT", count, "FORCE", "JUSTID", "LASTID", "3-0") == [entry_id]
    assert raw_reply(r, "XGROUP", "CREATECONSUMER", "copy", "g", "bob") == 1
    assert raw_reply(r, "XGROUP", "SETID", "copy", "g", "4-0", "ENTRIESREAD", "4") == b"OK"
    copy = raw_reply(r, "XINFO", "STREAM", "copy", "FULL")
    assert _mask(copy[-1]) == _mask(full[-1])
    assert raw_reply(r, "XPENDING", "copy", "g", "-", "+", "10")[0][:2] == [b"1-0", b"alice"]


def _seen_masked(full):
    """XINFO STREAM FULL without consumers' seen-time (a replay creates them anew)."""
    info = dict(zip(full[0::2], full[1::2]))
    for group in info[b"groups"]:
        for consumer in group[group.index(b"consumers") + 1]:
            consumer[consumer.index(b"seen-time") + 1] = "T"
    return info


def test_aof_replay_reproduces_streams_and_groups(tmp_path):
    """What XADD * / MAXLEN ~ / XREADGROUP / XCLAIM / XAUTOCLAIM propagate rebuilds the
    same stream (node layout included), groups and PEL after a restart."""
    args = ("--appendonly", "yes", "--appendfsync", "always", "--stream-node-max-entries", "3")
    srv = ServerProcess(tmp_path, args=args)
    try:
        c = srv.client(protocol=2)
        for i in range(12):
            c.xadd("s", {"f": str(i)}, maxlen=5, approximate=True)
        c.xgroup_create("s", "g", id="0")
        c.xgroup_create("s", "h", id="$")
        c.xreadgroup("g", "alice", {"s": ">"}, count=3)
        c.xreadgroup("g", "bob", {"s": ">"}, count=1, noack=True)
        ids = [entry_id for entry_id, _ in c.xrange("s")]
        raw_reply(c, "XCLAIM", "s", "g", "carol", "0", ids[0], "IDLE", "5000", "JUSTID")
        c.xdel("s", ids[1])
        raw_reply(c, "XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "10")
        raw_reply(c, "XTRIM", "s", "MINID", "~", ids[-1])
        c.xadd("s", {"f": "last"}, id="*")
        raw_reply(c, "XREADGROUP", "GROUP", "h", "erin", "STREAMS", "s", ">")
        before = _seen_masked(raw_reply(c, "XINFO", "STREAM", "s", "FULL"))
        c.close()
    finally:
        srv.stop()
    srv = ServerProcess(tmp_path, args=args)
    try:
        c = srv.client(protocol=2)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                c.ping()
                break
            except redis.BusyLoadingError:          # still loading the AOF
                time.sleep(0.05)
        assert _seen_masked(raw_reply(c, "XINFO", "STREAM", "s", "FULL")) == before
        assert before[b"length"] > 0 and len(before[b"groups"]) == 2
        assert dict(zip(*[iter(before[b"groups"][1])] * 2))[b"entries-read"] is not None
    finally:
        srv.stop()


# -- concurrency ------------------------------------------------------------------------------
def test_concurrent_xadd_auto_ids(server, r):
    threads_n, per_thread = 8, 250
    results = [[] for _ in range(threads_n)]

    def produce(i):
        c = server.client()
        deadline = time.monotonic() + 60
        for n in range(per_thread):
            if time.monotonic() > deadline:
                break
            results[i].append(c.xadd("s", {"t": str(i), "n": str(n)}))
        c.close()
    threads = [threading.Thread(target=produce, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    total = threads_n * per_thread
    assert sum(map(len, results)) == total
    key = lambda raw: tuple(map(int, raw.split(b"-")))  # noqa: E731
    for mine in results:
        assert [key(x) for x in mine] == sorted(key(x) for x in mine)
        assert len(set(mine)) == len(mine)
    assert r.xlen("s") == total
    stored = [entry_id for entry_id, _ in r.xrange("s")]
    assert stored == sorted(stored, key=key)
    assert len(set(stored)) == total
    assert set(stored) == {x for mine in results for x in mine}
    info = r.xinfo_stream("s")
    assert info["entries-added"] == total and info["last-generated-id"] == stored[-1]


def test_concurrent_consumers_each_entry_delivered_once(server, r):
    entries = 1200
    pipe = r.pipeline(transaction=False)
    for i in range(entries):
        pipe.xadd("s", {"i": str(i)}, id=f"{i + 1}-0")
    pipe.execute()
    r.xgroup_create("s", "g", id="0")
    consumers_n = 8
    got = [[] for _ in range(consumers_n)]

    def consume(i):
        c = server.client()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reply = c.xreadgroup("g", f"c{i}", {"s": ">"}, count=7)
            if not reply:
                break
            ids = [entry_id for entry_id, _ in reply[0][1]]
            got[i].extend(ids)
            if ids and i % 2:
                c.xack("s", "g", *ids)
        c.close()
    threads = [threading.Thread(target=consume, args=(i,)) for i in range(consumers_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    delivered = [x for mine in got for x in mine]
    assert len(delivered) == entries
    assert set(delivered) == {f"{i + 1}-0".encode() for i in range(entries)}
    unacked = sum(len(got[i]) for i in range(0, consumers_n, 2))
    summary = r.xpending("s", "g")
    assert summary["pending"] == unacked
    per_consumer = {row["name"]: row["pending"] for row in summary["consumers"]}
    for i in range(0, consumers_n, 2):
        assert per_consumer.get(f"c{i}".encode(), 0) == len(got[i])
    group = r.xinfo_groups("s")[0]
    assert group["entries-read"] == entries and group["lag"] == 0
    assert group["last-delivered-id"] == f"{entries}-0".encode()


def test_concurrent_producers_and_blocked_consumers(server, r):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    producers_n, per_producer, consumers_n = 4, 150, 4
    got = [[] for _ in range(consumers_n)]
    done = threading.Event()

    def produce(i):
        c = server.client()
        for n in range(per_producer):
            c.xadd("s", {"p": str(i), "n": str(n)})
        c.close()

    def consume(i):
        c = server.client()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reply = c.xreadgroup("g", f"c{i}", {"s": ">"}, count=5, block=100)
            if reply:
                got[i].extend(entry_id for entry_id, _ in reply[0][1])
            elif done.is_set():
                break
        c.close()
    consumers = [threading.Thread(target=consume, args=(i,)) for i in range(consumers_n)]
    producers = [threading.Thread(target=produce, args=(i,)) for i in range(producers_n)]
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join(90)
    done.set()
    for t in consumers:
        t.join(90)
    delivered = [x for mine in got for x in mine]
    total = producers_n * per_producer
    assert len(delivered) == total and len(set(delivered)) == total
    assert set(delivered) == {entry_id for entry_id, _ in r.xrange("s")}
    assert r.xpending("s", "g")["pending"] == total
