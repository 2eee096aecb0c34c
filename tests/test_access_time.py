"""When keys were last used: OBJECT IDLETIME under the LRU policies, OBJECT FREQ under the
LFU ones, which commands count as an access, RESTORE IDLETIME / FREQ, DEBUG OBJECT, and
RDB files that carry idle times -- against redis-server 7.0."""

import shutil
import time

import pytest
import redis

from conftest import RealRedis, ServerProcess, raw_reply

LRU_MAX = (1 << 24) - 1
from test_persistence import check_rdb, wait_loaded


@pytest.fixture
def policy(r, real):
    """set(policy, log_factor) on both servers; back to noeviction / 10 afterwards.
    lfu-decay-time is 0 meanwhile: a minute boundary falling between two reads of one
    counter would otherwise take one from the second, and exact comparisons would flake."""
    def apply(name, log_factor=10, decay_time=0):
        for c in (r, real):
            c.config_set("maxmemory-policy", name)
            c.config_set("lfu-log-factor", str(log_factor))
            c.config_set("lfu-decay-time", str(decay_time))
    yield apply
    apply("noeviction", decay_time=1)


# With lfu-log-factor 0 every access adds one to the counter, so the counters are exact.
# (Values are not small integers: Redis shares one object, and so one counter, between
# all keys holding the same integer below 10000.)
SEQUENCE = [
    ("SET", "a", "hello"), ("GET", "a"), ("TYPE", "a"), ("EXISTS", "a"), ("TTL", "a"),
    ("PTTL", "a"), ("EXPIRETIME", "a"), ("OBJECT", "ENCODING", "a"), ("SET", "a", "x"),
    ("SET", "a", "y", "EX", "100"), ("SET", "a", "z", "KEEPTTL"), ("MSET", "a", "q", "b", "r"),
    ("APPEND", "a", "s"), ("STRLEN", "a"), ("SETRANGE", "a", "1", "t"), ("GETRANGE", "a", "0", "1"),
    ("SET", "n", "123456"), ("INCR", "n"), ("INCRBY", "n", "5"), ("INCRBYFLOAT", "n", "1.5"),
    ("GETSET", "a", "u"), ("GETEX", "a", "PERSIST"), ("SETEX", "a", "100", "v"),
    ("PSETEX", "a", "100000", "w"), ("SETNX", "a", "x"), ("SETNX", "c", "x"),
    ("LPUSH", "l", "a"), ("LPUSH", "l", "b"), ("LRANGE", "l", "0", "-1"), ("HSET", "h", "f", "v"),
    ("HGET", "h", "f"), ("SADD", "s", "m"), ("SMEMBERS", "s"), ("ZADD", "z", "1", "m"),
    ("ZSCORE", "z", "m"), ("COPY", "a", "a2"), ("RENAME", "a2", "a3"), ("TOUCH", "a3", "b"),
    ("EXPIRE", "a3", "100"), ("PERSIST", "a3"), ("SCAN", "0"), ("KEYS", "*"), ("RANDOMKEY",),
    ("DUMP", "a3"), ("SETBIT", "bm", "3", "1"), ("GETBIT", "bm", "3"), ("PFADD", "hl", "x"),
    ("PFCOUNT", "hl"), ("BITOP", "OR", "dest", "bm"), ("SUNIONSTORE", "s2", "s"),
    ("SUNIONSTORE", "s2", "s"), ("XADD", "st", "1-1", "f", "v"), ("XLEN", "st"),
    ("LPOP", "l"), ("RPOPLPUSH", "l", "l2"), ("MOVE", "a3", "1"), ("DEL", "b"),
]
KEYS = ["a", "b", "c", "n", "l", "l2", "h", "s", "s2", "z", "a2", "a3", "bm", "hl", "dest", "st"]


def _counters(client):
    return [raw_reply(client, "OBJECT", "FREQ", k) for k in KEYS]


def test_lfu_counters_follow_redis(r, real, policy):
    policy("allkeys-lfu", log_factor=0)
    for cmd in SEQUENCE:
        for c in (r, real):
            raw_reply(c, *cmd)
        assert _counters(r) == _counters(real), cmd
    assert _counters(r)[KEYS.index("a")] > 5          # the sequence did count accesses
    ours, theirs = (redis.Redis(port=c.connection_pool.connection_kwargs["port"], db=1)
                    for c in (r, real))
    assert ours.object("freq", "a3") == theirs.object("freq", "a3") > 5    # MOVE kept it


def test_lfu_restore_freq_and_errors(r, real, policy, diff):
    r.set("k", "value")
    real.set("k", "value")
    diff("OBJECT", "FREQ", "k")                   # not under an LFU policy: an error
    policy("allkeys-lfu")
    diff("OBJECT", "IDLETIME", "k")               # and the other way round
    diff("OBJECT", "FREQ", "nokey")
    payload = real.dump("k")
    for c in (r, real):
        c.restore("f", 0, payload, frequency=42)
        c.restore("g", 0, payload, frequency=0)
    diff("OBJECT", "FREQ", "f")
    diff("OBJECT", "FREQ", "g")
    diff("RESTORE", "x", "0", payload, "FREQ", "256")
    diff("RESTORE", "x", "0", payload, "FREQ", "-1")
    diff("RESTORE", "x", "0", payload, "IDLETIME", "5", "FREQ", "5")
    diff("CONFIG", "GET", "lfu-*")
    diff("CONFIG", "SET", "lfu-decay-time", "-1")
    diff("CONFIG", "SET", "lfu-log-factor", "2147483648")


def test_default_log_factor_grows_slowly(r):
    """lfu-log-factor 10: the counter is logarithmic, 1,000 GETs leave it far below 255."""
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.config_set("lfu-decay-time", "0")           # no minute boundary takes one away
    try:
        r.set("hot", "v")
        assert r.object("freq", "hot") == 5
        pipe = r.pipeline(transaction=False)
        for _ in range(1000):
            pipe.get("hot")
        pipe.execute()
        assert 8 <= r.object("freq", "hot") <= 30
    finally:
        r.config_set("maxmemory-policy", "noeviction")
        r.config_set("lfu-decay-time", "1")


def test_idletime_reads_and_resets_like_redis(r, real, policy, diff):
    payload = real.dump(real.set("seed", "v") and "seed")
    for c in (r, real):
        c.restore("old", 0, payload, idletime=1000)
    for cmd in [("TYPE", "old"), ("EXISTS", "old"), ("TTL", "old"), ("OBJECT", "ENCODING", "old"),
                ("SCAN", "0"), ("KEYS", "*"), ("RANDOMKEY",)]:
        for c in (r, real):
            raw_reply(c, *cmd)
        assert r.object("idletime", "old") in (1000, 1001), cmd     # a second may tick
    assert real.object("idletime", "old") in (1000, 1001)
    for c in (r, real):
        c.get("old")
    assert r.object("idletime", "old") <= 1 and real.object("idletime", "old") <= 1
    for idle in (300000, 16777215, 16777216, 10 ** 9, 10 ** 12, 2 ** 53, 2 ** 62, 2 ** 63 - 1):
        for c in (r, real):                    # beyond the 24-bit clock, and overflowing
            c.restore("older", 0, payload, idletime=idle, replace=True)
        ours, theirs = r.object("idletime", "older"), real.object("idletime", "older")
        assert abs(ours - theirs) <= 1 or {ours, theirs} <= {0, LRU_MAX}, idle
    diff("RESTORE", "x", "0", payload, "IDLETIME", "-1")
    diff("OBJECT", "IDLETIME", "nokey")
    policy("allkeys-lru")
    for c in (r, real):
        c.restore("lru", 0, payload, idletime=77)
    assert r.object("idletime", "lru") in (77, 78)
    info = raw_reply(r, "DEBUG", "OBJECT", "lru").decode()
    assert "lru_seconds_idle:77" in info or "lru_seconds_idle:78" in info


def test_idletime_counts_seconds(r):
    r.set("k", "v")
    r.set("touched", "v")
    assert r.object("idletime", "k") <= 1      # the clock may tick in between
    time.sleep(2.2)
    r.touch("touched")
    r.type("k")                                # not an access
    assert 2 <= r.object("idletime", "k") <= 4
    assert r.object("idletime", "touched") <= 1
    r.rename("k", "k2")                        # RENAME reads the key: an access
    assert r.object("idletime", "k2") <= 1


def test_every_key_has_an_access_word(r):
    """Keys made any way answer OBJECT IDLETIME (never an internal error)."""
    r.set("s", "v")
    r.rpush("l", "a")
    r.hset("h", "f", "v")
    r.sadd("st", "m")
    r.zadd("z", {"m": 1})
    r.xadd("x", {"f": "v"})
    r.pfadd("hl", "a")
    r.setbit("b", 1, 1)
    r.copy("s", "s-copy")
    r.sort("l", store="sorted", alpha=True)
    r.sunionstore("st2", ["st"])
    r.zunionstore("z2", ["z"])
    r.geoadd("g", [13.36, 38.11, "m"])
    r.lmove("l", "l2")
    r.execute_command("SWAPDB", "0", "1")
    r.execute_command("SWAPDB", "0", "1")
    r.move("s-copy", 2)
    for key in r.scan_iter():
        assert r.object("idletime", key) <= 1
    db2 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=2)
    assert db2.object("idletime", "s-copy") <= 1


def test_idle_times_load_from_a_redis_rdb(tmp_path):
    """redis-server writes each key's idle time (opcode IDLE) under an LRU policy."""
    (tmp_path / "real").mkdir()
    real = RealRedis(tmp_path / "real", args=["--maxmemory-policy", "allkeys-lru"])
    try:
        rc = real.client()
        payload = rc.dump(rc.set("seed", "v") and "seed")
        rc.restore("idle", 0, payload, idletime=5000)
        rc.set("fresh", "v")
        rc.save()
    finally:
        real.stop()
    d = tmp_path / "k"
    shutil.copytree(tmp_path / "real", d)
    srv = ServerProcess(d, args=["--maxmemory-policy", "allkeys-lru"])
    try:
        c = srv.client()
        wait_loaded(c)
        assert 5000 <= c.object("idletime", "idle") <= 5002
        assert c.object("idletime", "fresh") <= 2
    finally:
        srv.stop()


@pytest.mark.parametrize("policy_name", ["allkeys-lru", "volatile-lfu", "noeviction"])
def test_saved_access_words_load_in_redis(tmp_path, policy_name):
    """Our RDB carries IDLE (LRU policies) or FREQ (LFU policies) per key, as Redis's
    does; redis-check-rdb accepts it and redis-server 7.0 loads the same idle times and
    counters (under noeviction neither is written: loaded keys are new)."""
    (tmp_path / "k").mkdir()
    srv = ServerProcess(tmp_path / "k", args=["--maxmemory-policy", policy_name])
    try:
        c = srv.client()
        payload = c.dump(c.set("seed", "v") and "seed")
        c.restore("idle", 0, payload, idletime=5000, frequency=None)
        c.restore("freq", 0, payload, frequency=42) if "lfu" in policy_name else None
        c.set("plain", "v", px=10 ** 9)
        assert c.save()
    finally:
        srv.stop()
    check_rdb(str(tmp_path / "k" / "dump.rdb"))
    (tmp_path / "real").mkdir()
    shutil.copy(tmp_path / "k" / "dump.rdb", tmp_path / "real" / "dump.rdb")
    real = RealRedis(tmp_path / "real", args=["--maxmemory-policy", policy_name])
    try:
        rc = real.client()
        assert rc.get("plain") == b"v" and rc.pttl("plain") > 0
        if policy_name == "allkeys-lru":
            assert 5000 <= rc.object("idletime", "idle") <= 5003
        elif "lfu" in policy_name:
            assert rc.object("freq", "freq") == 42
        else:
            assert rc.object("idletime", "idle") <= 2
    finally:
        real.stop()


@pytest.mark.parametrize("policy_name", ["allkeys-lfu", "allkeys-lru"])
def test_access_words_under_concurrent_writers_and_bgsave(tmp_path, policy_name):
    """Eight clients across the loops INCR shared counters, SET / DEL and read keys while
    BGSAVE runs and the policy flips between LRU and LFU: totals are exact, every key
    answers OBJECT with a sane value, and the saved file loads in redis-server."""
    import threading
    srv = ServerProcess(tmp_path, args=["--maxmemory-policy", policy_name])
    try:
        c = srv.client()
        errors = []

        def work(t):
            cl = srv.client()
            try:
                for i in range(400):
                    cl.incr(f"counter:{i % 8}")
                    cl.set(f"t{t}:{i}", "v")
                    cl.get(f"t{(t + 1) % 8}:{i}")
                    if i % 3 == 0:
                        cl.delete(f"t{t}:{i - 1}")
            except Exception as exc:       # reported below
                errors.append(exc)
        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for flip in range(6):
            try:
                c.bgsave()
            except redis.ResponseError as exc:       # the previous one still runs
                assert "already in progress" in str(exc)
            c.config_set("maxmemory-policy", "allkeys-lru" if flip % 2 else "allkeys-lfu")
            time.sleep(0.05)
        for th in threads:
            th.join()
        assert not errors
        assert sum(int(c.get(f"counter:{i}")) for i in range(8)) == 8 * 400
        c.config_set("maxmemory-policy", policy_name)
        for key in c.scan_iter(count=1000):
            if "lfu" in policy_name:
                assert 0 <= c.object("freq", key) <= 255
            else:
                assert 0 <= c.object("idletime", key) < LRU_MAX
        for _ in range(200):
            if c.info("persistence")["rdb_bgsave_in_progress"] == 0:
                break
            time.sleep(0.05)
        assert c.save()
    finally:
        srv.stop()
    problems = [line for line in srv.log_text().splitlines()
                if "Unexpected error" in line or "LockOrderError" in line]
    assert not problems, problems
    check_rdb(str(tmp_path / "dump.rdb"))
