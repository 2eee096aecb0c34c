"""Sorted sets beyond single commands: random command sequences compared with
redis-server 7.0 (hypothesis), exact invariants under many client threads, and the
effects a command leaves besides its reply (keyspace events, the AOF)."""

import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RealRedis, ServerProcess, raw_reply
from test_concurrency import run_threads
from zset_wire import Wire, differ_fixture

differ = differ_fixture()


# -- random sequences against redis-server ----------------------------------------------------
_MEMBERS = st.sampled_from(["a", "b", "c", "d", "e", "ab", "", "\x00", "zz"])
_KEYS = st.sampled_from(["k1", "k2", "k3"])
_SCORE = st.sampled_from(["0", "1", "-1", "2.5", "1e3", "-inf", "+inf", "(1", "(2.5", "3", "x"])
_LEX = st.sampled_from(["-", "+", "[a", "(a", "[b", "(c", "[", "(zz", "[\x00", "d"])
_INT = st.sampled_from(["0", "1", "2", "-1", "-2", "5", "-100", "100"])


def _command():
    flags = st.lists(st.sampled_from(["NX", "XX", "GT", "LT", "CH", "INCR"]), max_size=2)
    pairs = st.lists(st.tuples(_SCORE.filter(lambda s: not s.startswith("(")), _MEMBERS),
                     min_size=1, max_size=4).map(lambda ps: [x for p in ps for x in p])
    return st.one_of(
        st.builds(lambda k, f, p: ["ZADD", k, *f, *p], _KEYS, flags, pairs),
        st.builds(lambda k, s, m: ["ZINCRBY", k, s, m], _KEYS, _SCORE, _MEMBERS),
        st.builds(lambda k, ms: ["ZREM", k, *ms], _KEYS, st.lists(_MEMBERS, min_size=1, max_size=3)),
        st.builds(lambda k, a, b, o: ["ZRANGE", k, a, b, *o], _KEYS, _INT, _INT,
                  st.sampled_from([[], ["WITHSCORES"], ["REV", "WITHSCORES"]])),
        st.builds(lambda k, a, b, o: ["ZRANGE", k, a, b, "BYSCORE", *o], _KEYS, _SCORE, _SCORE,
                  st.sampled_from([[], ["REV"], ["LIMIT", "1", "2"], ["REV", "LIMIT", "0", "1"]])),
        st.builds(lambda k, a, b, o: ["ZRANGE", k, a, b, "BYLEX", *o], _KEYS, _LEX, _LEX,
                  st.sampled_from([[], ["REV"], ["LIMIT", "1", "2"], ["REV", "LIMIT", "1", "1"]])),
        st.builds(lambda k, a, b: ["ZLEXCOUNT", k, a, b], _KEYS, _LEX, _LEX),
        st.builds(lambda k, a, b: ["ZCOUNT", k, a, b], _KEYS, _SCORE, _SCORE),
        st.builds(lambda c, k, a, b: [c, k, a, b], st.sampled_from(
            ["ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZREMRANGEBYRANK"]), _KEYS, _LEX | _SCORE | _INT,
            _LEX | _SCORE | _INT),
        st.builds(lambda c, k, n: [c, k, *n], st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), _KEYS,
                  st.sampled_from([[], ["1"], ["2"], ["0"]])),
        st.builds(lambda c, d, ks, o: [c, d, str(len(ks)), *ks, *o],
                  st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), _KEYS,
                  st.lists(_KEYS, min_size=1, max_size=3),
                  st.sampled_from([[], ["AGGREGATE", "MAX"], ["AGGREGATE", "MIN"]])),
        st.builds(lambda k, m: ["ZRANK", k, m], _KEYS, _MEMBERS),
        st.builds(lambda k, ms: ["ZMSCORE", k, *ms], _KEYS, st.lists(_MEMBERS, min_size=1, max_size=3)),
        st.builds(lambda d, k, a, b: ["ZRANGESTORE", d, k, a, b], _KEYS, _KEYS, _INT, _INT),
        st.builds(lambda ks, w: ["ZMPOP", str(len(ks)), *ks, w, "COUNT", "2"],
                  st.lists(_KEYS, min_size=1, max_size=2), st.sampled_from(["MIN", "MAX"])),
        st.builds(lambda k: ["ZSCAN", k, "0"], _KEYS),
        st.builds(lambda k: ["ZCARD", k], _KEYS),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_command(), min_size=5, max_size=30))
def test_random_sequences_match_redis(differ, program):
    for protocol in (2, 3):
        pair = differ.pairs[protocol - 2]
        differ.reset()
        for args in program:
            ours, theirs = pair.both(*args)
            assert ours == theirs, f"RESP{protocol} {args!r} after {program!r}"
        for key in ("k1", "k2", "k3"):
            for probe in (("ZRANGE", key, "0", "-1", "WITHSCORES"), ("OBJECT", "ENCODING", key)):
                ours, theirs = pair.both(*probe)
                assert ours == theirs, f"RESP{protocol} {probe!r} after {program!r}"


# -- many clients -----------------------------------------------------------------------------
def test_concurrent_zincrby_exact_sums(server, r):
    """Many clients increment shared members of one key (and one key each): the sums are
    exact, nothing lost or doubled."""
    threads, rounds, members = 16, 300, ["m0", "m1", "m2", "m3"]
    deadline = time.monotonic() + 90
    done = [0] * threads

    def work(i):
        client = server.client()
        pipe = client.pipeline(transaction=False)
        for n in range(rounds):
            if time.monotonic() > deadline:
                break
            pipe.zincrby("hot", 1, members[n % 4])
            pipe.zincrby("hot", 0.5, members[(n + i) % 4])
            pipe.zincrby(f"own:{i}", 2, "x")
            done[i] = n + 1
            if n % 50 == 49:
                pipe.execute()
        pipe.execute()
        client.close()

    run_threads(work, threads)
    scores = dict(r.zrange("hot", 0, -1, withscores=True))
    assert sum(done) > 0 and sum(scores.values()) == 1.5 * sum(done)
    expected_m0 = sum(1 for i in range(threads) for n in range(done[i]) if n % 4 == 0) + sum(
        0.5 for i in range(threads) for n in range(done[i]) if (n + i) % 4 == 0)
    assert scores[b"m0"] == expected_m0
    for i in range(threads):
        assert r.zscore(f"own:{i}", "x") == 2 * done[i]


def test_concurrent_pops_take_each_member_once(server, r):
    total, threads = 3000, 12
    r.zadd("queue", {f"job:{i}": i for i in range(total)})
    taken = [[] for _ in range(threads)]

    def work(i):
        client = server.client()
        for _ in range(total):
            got = raw_reply(client, "ZPOPMIN", "queue", "3") if i % 2 else \
                raw_reply(client, "ZMPOP", "1", "queue", "MAX", "COUNT", "2")
            if not got:
                break
            items = [m for m, _ in (got if i % 2 else got[1])]
            taken[i].extend(items)
        client.close()

    run_threads(work, threads)
    everything = [m for part in taken for m in part]
    assert len(everything) == total
    assert set(everything) == {f"job:{i}".encode() for i in range(total)}
    assert r.exists("queue") == 0


# -- effects: keyspace events and what reaches the AOF ----------------------------------------
EFFECT_SCRIPT = [
    ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZADD", "z", "NX", "9", "a"),
    ("ZADD", "z", "INCR", "2", "a"), ("ZINCRBY", "z", "0.5", "b"), ("ZREM", "z", "nope"),
    ("ZREM", "z", "d"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "10"), ("ZADD", "y", "1", "a", "2", "b"),
    ("ZMPOP", "2", "none", "y", "MIN", "COUNT", "5"), ("ZADD", "x", "1", "a", "2", "b", "3", "c"),
    ("ZREMRANGEBYSCORE", "x", "(1", "2"), ("ZREMRANGEBYRANK", "x", "5", "9"),
    ("ZUNIONSTORE", "u", "2", "x", "none"), ("ZINTERSTORE", "u", "2", "x", "none"),
    ("ZRANGESTORE", "r", "x", "0", "-1"), ("ZDIFFSTORE", "r", "1", "none"),
    ("ZREMRANGEBYLEX", "x", "-", "+"), ("GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo"),
    ("GEOSEARCHSTORE", "gs", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"),
    ("GEORADIUS", "g", "13", "38", "100", "km", "STORE", "gr"),
    ("GEORADIUS", "g", "0", "0", "1", "km", "STORE", "gr"),
]


def _collect(pubsub):
    events, quiet = [], time.monotonic() + 1.0
    while time.monotonic() < quiet:
        msg = pubsub.get_message(timeout=0.1)
        if msg and msg["type"] == "pmessage":
            events.append((msg["channel"], msg["data"]))
            quiet = time.monotonic() + 1.0
    return events


def test_keyspace_events_match_redis(server, real_redis, r, real):
    streams = []
    for client in (r, real):
        client.config_set("notify-keyspace-events", "KEA")
        pubsub = client.pubsub()
        pubsub.psubscribe("__keyevent@0__:*")
        try:
            for args in EFFECT_SCRIPT:
                client.execute_command(*args)
            streams.append(_collect(pubsub))
        finally:
            pubsub.close()
            client.config_set("notify-keyspace-events", "")
    assert streams[0] == streams[1]
    assert (b"__keyevent@0__:zpopmax", b"z") in streams[0]


def _aof_commands(directory):
    """The commands of the incremental AOF files, in order, SELECTs dropped."""
    base = os.path.join(directory, "appendonlydir")
    out = []
    for name in sorted(os.listdir(base)):
        if ".incr." not in name:
            continue
        wire = Wire.__new__(Wire)
        with open(os.path.join(base, name), "rb") as fh:
            wire.buf = fh.read()
        while wire.buf:
            raw = wire.read()
            parts = raw.split(b"\r\n")[2:-1:2]
            if parts and parts[0].upper() != b"SELECT":
                out.append([parts[0].upper()] + parts[1:])
    return out


def test_propagated_effects_match_redis(tmp_path):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = ServerProcess(tmp_path / "ours", args=("--appendonly", "yes", "--appendfsync", "always"))
    theirs = RealRedis(tmp_path / "theirs", args=("--appendonly", "yes", "--appendfsync", "always"))
    try:
        for srv in (ours, theirs):
            client = srv.client()
            for args in EFFECT_SCRIPT:
                client.execute_command(*args)
            client.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            mine, redis_own = _aof_commands(ours.dir), _aof_commands(theirs.dir)
            if len(mine) >= len(redis_own) > 0:
                break
            time.sleep(0.2)
        assert mine == redis_own
        assert [b"ZPOPMIN", b"y", b"2"] in mine
        assert [b"ZADD", b"g", b"CH", b"3479099956230698", b"Palermo"] in mine
    finally:
        ours.stop()
        theirs.stop()


def test_concurrent_union_sees_atomic_transfers(server, r):
    """Transfers move score between two keys in MULTI/EXEC while readers union them: every
    ZUNIONSTORE (its keys locked together) must see the same total."""
    r.zadd("left", {"m": 1000})
    r.zadd("right", {"m": 0})
    rounds, deadline = 200, time.monotonic() + 90
    totals, transfers = [], []

    def work(i):
        client = server.client()
        for n in range(rounds):
            if time.monotonic() > deadline:
                break
            if i % 2:
                pipe = client.pipeline(transaction=True)
                pipe.zincrby("left", -3, "m").zincrby("right", 3, "m").execute()
                transfers.append(1)
            else:
                client.zunionstore(f"sum:{i}", ["left", "right"])
                totals.append(client.zscore(f"sum:{i}", "m"))
                totals.append(raw_reply(client, "ZUNION", "2", "left", "right", "WITHSCORES")[0][1])
        client.close()

    run_threads(work, 8)
    assert totals and set(totals) == {1000.0}
    assert r.zscore("left", "m") + r.zscore("right", "m") == 1000
    assert r.zscore("right", "m") == 3 * len(transfers) > 0
