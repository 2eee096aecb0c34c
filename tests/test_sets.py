"""Set commands compared reply-for-reply with redis-server 7.0 (RESP2 and RESP3), the random
commands checked by their contracts, and concurrency tests with exact final states."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import same
from hashset_helpers import (command_info_mismatches, mismatches, resp3_clients,
                             run_threads)

INTS = [str(i) for i in range(1, 21)]
CASES = [
    ("SADD", "s", "3", "1", "2"), ("SADD", "s", "2", "4"), ("SMEMBERS", "s"),
    ("OBJECT", "ENCODING", "s"), ("SCARD", "s"), ("SCARD", "nokey"), ("SISMEMBER", "s", "1"),
    ("SISMEMBER", "s", "01"), ("SISMEMBER", "nokey", "1"), ("SMISMEMBER", "s", "1", "9", "4"),
    ("SMISMEMBER", "nokey", "a", "b"), ("SMEMBERS", "nokey"),
    ("SADD", "s", "-5", "9223372036854775807", "-9223372036854775808"), ("SMEMBERS", "s"),
    ("OBJECT", "ENCODING", "s"), ("SADD", "t", "01"), ("OBJECT", "ENCODING", "t"),
    ("SADD", "u", "9223372036854775808"), ("OBJECT", "ENCODING", "u"), ("SADD", "v", "-0"),
    ("OBJECT", "ENCODING", "v"), ("SADD", "w", " 1"), ("OBJECT", "ENCODING", "w"),
    ("SADD", "y", "-9223372036854775809"), ("OBJECT", "ENCODING", "y"), ("SADD", "z", "+1"),
    ("OBJECT", "ENCODING", "z"), ("SREM", "s", "1", "zz", "1"), ("SREM", "nokey", "a"),
    ("SMEMBERS", "s"), ("SADD", "x", "a"), ("SREM", "x", "a"), ("EXISTS", "x"),
    ("SADD", "conv", "1", "2", "x"), ("SREM", "conv", "x"), ("OBJECT", "ENCODING", "conv"),
    ("SMOVE", "s", "d", "2"), ("SMEMBERS", "d"), ("OBJECT", "ENCODING", "d"),
    ("SMOVE", "s", "d", "zz"), ("SMOVE", "nokey", "d", "1"), ("SMOVE", "s", "s", "3"),
    ("SMOVE", "s", "s", "zz"), ("SET", "str", "x"), ("SMOVE", "s", "str", "3"),
    ("SMOVE", "nokey", "str", "3"), ("SMOVE", "str", "s", "3"), ("SMOVE", "d", "e", "2"),
    ("EXISTS", "d"), ("SMOVE", "e", "hts", "2"), ("OBJECT", "ENCODING", "hts"),
    ("SADD", "hs", "x"), ("SMOVE", "hs", "ne", "x"), ("OBJECT", "ENCODING", "ne"),
    ("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "3", "4", "5"), ("SADD", "c", "4", "9"),
    ("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SINTER", "a", "nokey"), ("SINTER", "a"),
    ("SINTER", "a", "a"), ("SINTER", "nokey", "str"), ("SUNION", "a", "b", "nokey"),
    ("SUNION", "nokey"), ("SDIFF", "a", "b"), ("SDIFF", "nokey", "a"), ("SDIFF", "a", "a"),
    ("SDIFF", "a", "nokey", "b"), ("SDIFF", "a", "b", "c"), ("SDIFF", "b", "a", "a"),
    ("SINTERSTORE", "dst", "a", "b"), ("SMEMBERS", "dst"), ("OBJECT", "ENCODING", "dst"),
    ("SINTERSTORE", "dst", "a", "nokey"), ("EXISTS", "dst"), ("SUNIONSTORE", "dst", "a", "b"),
    ("SMEMBERS", "dst"), ("SDIFFSTORE", "dst", "a", "b"), ("SMEMBERS", "dst"),
    ("SDIFFSTORE", "dst", "a", "a"), ("EXISTS", "dst"), ("SINTERSTORE", "dst", "nokey"),
    ("SINTERSTORE", "str", "a", "b"), ("TYPE", "str"), ("SET", "str", "x"),
    ("EXPIRE", "str", "100"), ("SUNIONSTORE", "str", "a"), ("TTL", "str"), ("SET", "str", "x"),
    ("SUNIONSTORE", "dst", "a", "str"), ("SINTER", "a", "str"), ("SDIFF", "str", "a"),
    ("SDIFF", "nokey", "str"), ("SUNIONSTORE", "str", "nokey"), ("EXISTS", "str"),
    ("SET", "str", "x"),
    ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("SINTERCARD", "2", "a", "b", "LIMIT", "0"), ("SINTERCARD", "2", "a", "b", "limit", "9"),
    ("SINTERCARD", "0", "a"), ("SINTERCARD", "x", "a"), ("SINTERCARD", "3", "a", "b"),
    ("SINTERCARD", "1", "a", "LIMIT"), ("SINTERCARD", "1", "a", "LIMIT", "-1"),
    ("SINTERCARD", "1", "a", "LIMIT", "x"), ("SINTERCARD", "1", "a", "FOO", "1"),
    ("SINTERCARD", "1", "nokey"), ("SINTERCARD", "2", "a", "str"), ("SINTERCARD", "1", "a", "b"),
    ("SINTERCARD", "-1", "a"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "5"),
    ("SRANDMEMBER", "a", "100"), ("SRANDMEMBER", "a", "4"), ("SRANDMEMBER", "a", "0"),
    ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "5"), ("SRANDMEMBER", "nokey", "-5"),
    ("SRANDMEMBER", "a", "x"), ("SRANDMEMBER", "a", "1", "2"),
    ("SRANDMEMBER", "a", "-9223372036854775808"), ("SADD", "one", "m"), ("SRANDMEMBER", "one"),
    ("SRANDMEMBER", "one", "-3"), ("SRANDMEMBER", "one", "1"), ("SPOP", "nokey"),
    ("SPOP", "nokey", "3"), ("SPOP", "a", "0"), ("SPOP", "a", "-1"), ("SPOP", "a", "x"),
    ("SPOP", "a", "1", "2"), ("SPOP", "one"), ("EXISTS", "one"), ("SADD", "p", "1", "2", "3"),
    ("SPOP", "p", "10"), ("EXISTS", "p"), ("SSCAN", "a", "0"), ("SSCAN", "a", "0", "MATCH", "1*"),
    ("SSCAN", "a", "0", "COUNT", "1"), ("SSCAN", "a", "x"), ("SSCAN", "a", "0", "COUNT", "0"),
    ("SSCAN", "nokey", "0"), ("SSCAN", "a", "0", "TYPE", "set"), ("SSCAN", "a", "-1"),
    ("SADD", "hs", "b", "c"), ("SSCAN", "str", "0"), ("SCARD", "str"), ("SMEMBERS", "str"),
    ("SADD", "str", "a"), ("SREM", "str", "a"), ("SISMEMBER", "str", "a"),
    ("SMISMEMBER", "str", "a"), ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"),
    ("SPOP", "str"), ("SPOP", "str", "2"), ("SPOP", "str", "-2"), ("SINTERSTORE", "d2", "str"),
    ("SADD", "s"), ("SREM", "s"), ("SCARD",), ("SISMEMBER", "s"), ("SMISMEMBER", "s"),
    ("SMEMBERS",), ("SMOVE", "a", "b"), ("SINTER",), ("SINTERCARD", "1"), ("SINTERSTORE", "d"),
    ("SUNION",), ("SDIFFSTORE", "d"), ("SSCAN", "a"), ("SRANDMEMBER",), ("SPOP",),
]

SET_COMMANDS = ["sadd", "srem", "scard", "sismember", "smismember", "smembers",
                "srandmember", "spop", "smove", "sinter", "sintercard", "sinterstore", "sunion",
                "sunionstore", "sdiff", "sdiffstore", "sscan"]


def test_set_commands_match_redis(r, real):
    bad = mismatches(r, real, CASES)
    assert not bad, "\n".join(map(repr, bad))


def test_command_info_matches_redis(r, real):
    assert not command_info_mismatches(r, real, SET_COMMANDS)


def test_resp3_shapes(server, real_redis):
    ours, theirs = resp3_clients(server, real_redis)
    cases = [("SADD", "a", "3", "1", "2"), ("SADD", "b", "2", "3", "7"), ("SMEMBERS", "a"),
             ("SMEMBERS", "none"), ("SINTER", "a", "b"), ("SINTER", "a", "none"),
             ("SUNION", "a", "b"), ("SDIFF", "a", "b"), ("SMISMEMBER", "a", "1", "9"),
             ("SRANDMEMBER", "a", "10"), ("SRANDMEMBER", "none", "2"), ("SRANDMEMBER", "none"),
             ("SPOP", "none"), ("SPOP", "none", "2"), ("SPOP", "a", "0"), ("SSCAN", "a", "0"),
             ("SINTERCARD", "2", "a", "b"), ("SPOP", "b", "5")]
    bad = mismatches(ours, theirs, cases)
    assert not bad, "\n".join(map(repr, bad))


def test_hashtable_sets_match_as_sets(r, real):
    for client in (r, real):
        client.sadd("h1", *[f"m{i}" for i in range(40)], *range(10))
        client.sadd("h2", *[f"m{i}" for i in range(20, 60)])
        client.sadd("big", *range(513))
    for case in [("SMEMBERS", "h1"), ("SINTER", "h1", "h2"), ("SUNION", "h1", "h2"),
                 ("SDIFF", "h1", "h2"), ("SMEMBERS", "big"), ("SRANDMEMBER", "big", "1000")]:
        a, b = same(r, real, *case)
        assert sorted(a) == sorted(b), case
    for case in [("OBJECT", "ENCODING", "h1"), ("OBJECT", "ENCODING", "big"),
                 ("SINTERSTORE", "d", "h1", "h2"), ("OBJECT", "ENCODING", "d"),
                 ("SUNIONSTORE", "d", "big", "h1"), ("SINTERCARD", "2", "h1", "h2", "LIMIT", "7"),
                 ("SDIFFSTORE", "d", "big", "h1"), ("OBJECT", "ENCODING", "d"), ("SCARD", "d")]:
        a, b = same(r, real, *case)
        assert a == b, case


def test_spop_keeps_or_rebuilds_the_encoding_like_redis(r, real):
    for client in (r, real):
        client.sadd("q", *INTS, "x")
        client.srem("q", "x")
        client.sadd("p", *INTS, "x")
        client.sadd("r", *INTS)
    for key, count in (("q", 19), ("p", 2), ("r", 3)):
        a, b = r.spop(key, count), real.spop(key, count)
        assert len(a) == len(b) == count
        for case in (("OBJECT", "ENCODING", key), ("SCARD", key)):
            x, y = same(r, real, *case)
            assert x == y, (key, case)


def test_random_member_contracts(r):
    members = {f"m{i}".encode() for i in range(10)}
    r.sadd("s", *members)
    reps = r.srandmember("s", -25)
    assert len(reps) == 25 and set(reps) <= members
    distinct = r.srandmember("s", 6)
    assert len(distinct) == len(set(distinct)) == 6 and set(distinct) <= members
    assert {r.srandmember("s") for _ in range(300)} == members
    popped = r.spop("s", 4)
    assert len(set(popped)) == 4 and set(popped) <= members
    assert r.smembers("s") == members - set(popped)
    popped += r.spop("s", 5) + [r.spop("s")]
    assert sorted(popped) == sorted(members) and r.exists("s") == 0


def test_sscan_big_set_returns_members_present_throughout(r):
    r.sadd("big", *[f"keep:{i}" for i in range(3000)], *[f"tmp:{i}" for i in range(300)])
    seen, cursor, calls = set(), 0, 0
    while True:
        cursor, page = r.sscan("big", cursor, count=40)
        seen.update(page)
        calls += 1
        r.srem("big", f"tmp:{calls}")
        r.sadd("big", f"new:{calls}")
        if cursor == 0 or calls > 2000:
            break
    assert cursor == 0
    assert {f"keep:{i}".encode() for i in range(3000)} <= seen


def test_concurrent_sadd_srem_exact_state(server):
    threads, rounds = 8, 200
    added_common = []
    client = server.client()
    client.delete("shared", "common")

    def worker(n):
        c = server.client()
        pipe = c.pipeline(transaction=False)
        for i in range(rounds):
            pipe.sadd("shared", f"{n}:{i}")
            pipe.sadd("common", i)
            if i % 2:
                pipe.srem("shared", f"{n}:{i}")
        replies = pipe.execute()
        added_common.append(sum(r for j, r in enumerate(replies) if _is_common(j)))
        c.close()

    def _is_common(j):
        # per round: sadd shared, sadd common[, srem shared]; index of the common SADD
        return j in common_positions

    common_positions = set()
    pos = 0
    for i in range(rounds):
        common_positions.add(pos + 1)
        pos += 3 if i % 2 else 2
    run_threads(threads, worker)
    expected = {f"{n}:{i}".encode() for n in range(threads) for i in range(0, rounds, 2)}
    assert client.smembers("shared") == expected
    assert client.scard("common") == rounds and sum(added_common) == rounds


def test_concurrent_spop_and_smove_conserve_members(server):
    client = server.client()
    total = 4000
    client.delete("pool", "left", "right", "staging")
    client.sadd("pool", *range(total))
    popped, moved = [], []

    def popper(n):
        c = server.client()
        for _ in range(400):
            got = c.spop("pool", 7) if n % 2 else [c.spop("pool")]
            got = [g for g in got if g is not None]
            if not got:
                break
            popped.extend(got)
            for g in got:
                c.sadd("staging", g)
                moved.append(c.smove("staging", "left" if int(g) % 2 else "right", g))
        c.close()

    run_threads(8, popper)
    assert len(popped) == len(set(popped)) == total
    assert client.exists("pool", "staging") == 0 and moved == [True] * total
    assert client.smembers("left") == {b"%d" % i for i in range(1, total, 2)}
    assert client.scard("right") == total // 2


MEMBERS = st.sampled_from(["1", "2", "3", "10", "a", "b", "-1", "01"])
KEYS = st.sampled_from(["s1", "s2", "s3"])
OPS = st.one_of(
    st.tuples(st.just("SADD"), KEYS, MEMBERS, MEMBERS), st.tuples(st.just("SREM"), KEYS, MEMBERS),
    st.tuples(st.just("SISMEMBER"), KEYS, MEMBERS), st.tuples(st.just("SCARD"), KEYS),
    st.tuples(st.just("SMISMEMBER"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SMOVE"), KEYS, KEYS, MEMBERS), st.tuples(st.just("SMEMBERS"), KEYS),
    st.tuples(st.just("SINTER"), KEYS, KEYS), st.tuples(st.just("SUNION"), KEYS, KEYS),
    st.tuples(st.just("SDIFF"), KEYS, KEYS), st.tuples(st.just("SINTERSTORE"), KEYS, KEYS, KEYS),
    st.tuples(st.just("SUNIONSTORE"), KEYS, KEYS, KEYS),
    st.tuples(st.just("SDIFFSTORE"), KEYS, KEYS, KEYS),
    st.tuples(st.just("SINTERCARD"), st.just("2"), KEYS, KEYS),
    st.tuples(st.just("OBJECT"), st.just("ENCODING"), KEYS))
UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF"}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(OPS, max_size=30))
def test_random_set_sequences(server, real_redis, ops):
    ours, theirs = server.client(), real_redis.client()
    ours.flushall()
    theirs.flushall()
    for op in ops:
        x, y = same(ours, theirs, *op)
        if op[0] in UNORDERED and isinstance(x, list) and isinstance(y, list):
            x, y = sorted(x), sorted(y)
        assert x == y, (op, x, y)
    assert sorted(ours.keys()) == sorted(theirs.keys())


def _events(client, commands):
    client.config_set("notify-keyspace-events", "KEA")
    sub = client.pubsub()
    sub.psubscribe("__keyevent@0__:*")
    try:
        sub.get_message(timeout=1.0)                 # the psubscribe confirmation
        for cmd in commands:
            client.execute_command(*cmd)
        events = []
        while True:
            msg = sub.get_message(timeout=0.5)
            if msg is None:
                return events
            events.append((msg["channel"], msg["data"]))
    finally:
        sub.close()
        client.config_set("notify-keyspace-events", "")


def test_keyspace_events_match_redis(r, real):
    commands = [("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "2"), ("HINCRBY", "h", "n", "1"),
                ("HINCRBYFLOAT", "h", "n", "1.5"), ("HDEL", "h", "zz"), ("HDEL", "h", "a", "n"),
                ("SADD", "s", "1", "2"), ("SADD", "s", "1"), ("SREM", "s", "9"),
                ("SMOVE", "s", "t", "1"), ("SMOVE", "s", "t", "2"), ("SPOP", "t"),
                ("SADD", "a", "1", "2"), ("SADD", "b", "2"), ("SINTERSTORE", "d", "a", "b"),
                ("SUNIONSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "b", "a"),
                ("SPOP", "a", "5"), ("SPOP", "b", "0")]
    ours, theirs = _events(r, commands), _events(real, commands)
    assert len(ours) >= 19 and ours == theirs
