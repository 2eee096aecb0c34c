"""RDB persistence against the real tools: our files pass redis-check-rdb 7.0 and load in
redis-server 7.0 with every key, type, value and TTL; files redis-server writes load
here; SAVE / BGSAVE / save points / shutdown / FLUSHALL saves; corrupt files stop
start-up naming the offset; BGSAVE under concurrent writes is exactly the epoch."""

import os
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis

from conftest import RealRedis, ServerProcess

FAR = 4102444800000          # 2100-01-01 in ms: a fixed expiry both servers keep as is


# ---- shared helpers (test_aof / test_dump_restore / test_crash import these) -------------

def wait_loaded(client, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.info("persistence")["loading"] == 0:
                return
        except redis.BusyLoadingError:
            pass
        time.sleep(0.05)
    raise AssertionError("still loading")


def wait_until(fn, timeout=30, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached")


def populate(c, big=True):
    """One key of every type and encoding, some with TTLs, in db 0 and db 3."""
    c.set(b"s:text", b"hello")
    c.set(b"s:int", 12345)
    c.set(b"s:neg", -42)
    c.set(b"s:i64", 2 ** 40)
    c.set(b"s:lzf", b"abc" * 200)
    c.set(b"s:bin", bytes(range(256)) * 3)
    c.set(b"s:empty", b"")
    c.set(b"s:ttl", b"v")
    c.pexpireat(b"s:ttl", FAR)
    c.rpush(b"l:small", b"a", b"b", 1, 2, -3, b"x" * 100)
    c.sadd(b"set:int", 1, 2, 3, -7, 2 ** 40)
    c.sadd(b"set:str", b"a", b"b", b"c")
    c.zadd(b"z:small", {b"a": 1, b"b": 2.5, b"c": -1e300, b"d": float("inf")})
    c.hset(b"h:small", mapping={b"f": b"v", b"n": 12, b"e": b""})
    c.pexpireat(b"h:small", FAR + 5)
    c.xadd(b"st", {b"f": b"v", b"g": b"w"}, id=b"1-1")
    c.xadd(b"st", {b"f": b"v2", b"g": b"w2"}, id=b"2-1")
    c.xadd(b"st", {b"other": b"x"}, id=b"3-0")
    c.xgroup_create(b"st", b"g1", id=b"0")
    c.xreadgroup(b"g1", b"alice", {b"st": b">"}, count=2)
    c.xgroup_create(b"st", b"g2", id=b"$")
    if big:
        c.rpush(b"l:big", *[b"elem-%d" % i for i in range(3000)])
        c.sadd(b"set:big", *[b"m%d" % i for i in range(700)])
        c.sadd(b"set:bigint", *range(600))
        c.zadd(b"z:big", {b"m%d" % i: i / 3 for i in range(300)})
        c.zadd(b"z:long", {b"x" * 100: 1})
        c.hset(b"h:big", mapping={b"f%d" % i: b"v%d" % i for i in range(600)})
        c.hset(b"h:long", b"f", b"y" * 100)
        for i in range(250):
            c.xadd(b"st:big", {b"n": i, b"payload": b"p" * (i % 50)}, id=b"%d-0" % (i + 1))
    c.execute_command("SELECT", 3)
    c.set(b"db3:key", b"in db 3")
    c.pexpireat(b"db3:key", FAR + 9)
    c.execute_command("SELECT", 0)


def _value(c, key, kind):
    if kind == b"string":
        return c.get(key)
    if kind == b"list":
        return c.lrange(key, 0, -1)
    if kind == b"set":
        return sorted(c.smembers(key))
    if kind == b"zset":
        return c.zrange(key, 0, -1, withscores=True)
    if kind == b"hash":
        return sorted(c.hgetall(key).items())
    if kind == b"stream":
        info = c.xinfo_stream(key)
        groups = []
        for g in c.xinfo_groups(key):
            groups.append((g["name"], g["consumers"], g["pending"], g["last-delivered-id"],
                           g.get("entries-read"), g.get("lag")))
            groups.append(c.xpending_range(key, g["name"], b"-", b"+", 100))
        return (c.xrange(key), info["length"], info["last-generated-id"],
                info.get("entries-added"), info.get("max-deleted-entry-id"), groups)
    raise AssertionError(kind)


def dataset(client, dbs=(0, 3)):
    """{db: {key: (type, value, pexpiretime)}} of a server."""
    out = {}
    for dbid in dbs:
        c = redis.Redis(port=client.connection_pool.connection_kwargs["port"], db=dbid)
        keys = {}
        for key in c.keys(b"*"):
            kind = c.type(key)
            value = _value(c, key, kind)
            if kind == b"stream":
                value = _normalize_pending(value)
            keys[key] = (kind, value, c.pexpiretime(key))
        out[dbid] = keys
        c.close()
    return out


def _normalize_pending(value):
    rows = []
    for item in value[5]:
        if isinstance(item, list):
            rows.append([(p["message_id"], p["consumer"], p["times_delivered"]) for p in item])
        else:
            rows.append(item)
    return value[:5] + (rows,)


def check_rdb(path):
    out = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True,
                         errors="replace", timeout=120)
    assert out.returncode == 0 and "RDB looks OK" in out.stdout, out.stdout + out.stderr
    return out.stdout


def real_from(dirpath, tmp, name, extra=()):
    """A redis-server 7.0 started on an existing directory (RDB or AOF)."""
    target = tmp / name
    shutil.copytree(dirpath, target, dirs_exist_ok=True)
    srv = RealRedis(target, args=list(extra))
    c = srv.client()
    wait_loaded(c)
    return srv, c


@pytest.fixture
def keydb(tmp_path):
    started = []

    def start(*args, sub="k", threads=4, config_text=None, password=None):
        d = tmp_path / sub
        d.mkdir(exist_ok=True)
        srv = ServerProcess(d, threads=threads, args=list(args), config_text=config_text)
        started.append(srv)
        wait_loaded(srv.client(password=password))
        return srv
    yield start
    for srv in started:
        srv.stop()
    for srv in started:
        problems = [line for line in srv.log_text().splitlines()
                    if "Unexpected error" in line or "LockOrderError" in line]
        assert not problems, "\n".join(problems)


# ---- round trips ----------------------------------------------------------------------------

def test_save_loads_in_redis(keydb, tmp_path):
    srv = keydb()
    c = srv.client()
    populate(c)
    assert c.save()
    path = os.path.join(srv.dir, "dump.rdb")
    check_rdb(path)
    ours = dataset(c)
    real, rc = real_from(srv.dir, tmp_path, "real")
    try:
        assert dataset(rc) == ours
        assert rc.object("encoding", b"l:small") == b"quicklist"
        assert rc.object("encoding", b"set:int") == b"intset"
        assert rc.object("encoding", b"z:small") == b"listpack"
        assert rc.object("encoding", b"z:big") == b"skiplist"
        assert rc.object("encoding", b"h:big") == b"hashtable"
    finally:
        real.stop()


def test_redis_rdb_loads_here(keydb, tmp_path):
    (tmp_path / "real").mkdir()
    real = RealRedis(tmp_path / "real")
    try:
        rc = real.client()
        populate(rc)
        rc.save()
        theirs = dataset(rc)
    finally:
        real.stop()
    d = tmp_path / "k"
    shutil.copytree(tmp_path / "real", d)
    srv = keydb(sub="k")
    c = srv.client()
    assert dataset(c) == theirs
    assert c.object("encoding", b"set:int") == b"intset"
    assert c.object("encoding", b"h:big") == b"hashtable"


def test_bgsave_and_info(keydb):
    srv = keydb()
    c = srv.client()
    populate(c, big=False)
    before = c.lastsave()
    info = c.info("persistence")
    assert info["rdb_changes_since_last_save"] > 0
    assert c.bgsave() in (True, b"Background saving started")
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
    info = c.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_saves"] >= 1
    assert c.lastsave() >= before
    check_rdb(os.path.join(srv.dir, "dump.rdb"))
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("BGSAVE", "NOW")
    assert c.execute_command("BGSAVE", "SCHEDULE") in (True, b"Background saving started",
                                                     b"Background saving scheduled")


def test_debug_reload_keeps_everything(keydb):
    srv = keydb()
    c = srv.client()
    populate(c)
    ours = dataset(c)
    assert c.execute_command("DEBUG", "RELOAD") == b"OK"
    assert dataset(c) == ours


def test_save_points_shutdown_and_flushall(keydb):
    srv = keydb("--save", "1 1")
    c = srv.client()
    path = os.path.join(srv.dir, "dump.rdb")
    c.set(b"a", b"1")
    wait_until(lambda: os.path.exists(path) and c.info("persistence")["rdb_saves"] >= 1,
               timeout=15)
    c.set(b"b", b"2")
    c.flushall()
    wait_until(lambda: c.info("persistence")["rdb_saves"] >= 2, timeout=15)
    c.set(b"after", b"flush")
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(30) == 0
    records = _rdb_keys(path)
    assert records == {(0, b"after"): b"flush"}


def test_shutdown_save_and_nosave(keydb):
    srv = keydb()
    c = srv.client()
    c.set(b"k", b"v")
    path = os.path.join(srv.dir, "dump.rdb")
    _shutdown(c, nosave=True)
    srv.proc.wait(30)
    assert not os.path.exists(path)
    srv2 = keydb(sub="k")
    c = srv2.client()
    c.set(b"k", b"v2")
    _shutdown(c, save=True)
    srv2.proc.wait(30)
    assert _rdb_keys(path) == {(0, b"k"): b"v2"}


def _shutdown(c, save=False, nosave=False):
    """SHUTDOWN over a plain socket (redis-py retries with back-off when the server goes)."""
    import socket
    word = b"SAVE" if save else b"NOSAVE" if nosave else b""
    argv = [b"SHUTDOWN"] + ([word] if word else [])
    port = c.connection_pool.connection_kwargs["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a)
                                                         for a in argv))
        while sock.recv(1024):
            pass


def _rdb_keys(path):
    from keydb_ft.persistence.rdbvalue import iter_rdb
    with open(path, "rb") as fh:
        data = fh.read()
    return {(rec[1].db, rec[1].key): rec[1].value for rec in iter_rdb(data) if rec[0] == "key"}


# ---- broken files ---------------------------------------------------------------------------

def start_fails(d, args=()):
    """Start keydb-ft on d and expect it to exit with 1 (maybe after opening its port)."""
    try:
        srv = ServerProcess(d, args=list(args))
    except RuntimeError as exc:
        assert "exited with 1" in str(exc)
        return str(exc)
    assert srv.proc.wait(60) == 1
    return srv.log_text()


def _start_fails(tmp_path, data, sub):
    d = tmp_path / sub
    d.mkdir()
    (d / "dump.rdb").write_bytes(data)
    return start_fails(d)


def test_truncated_and_corrupt_rdb_stop_startup(keydb, tmp_path):
    srv = keydb()
    c = srv.client()
    populate(c, big=False)
    c.save()
    with open(os.path.join(srv.dir, "dump.rdb"), "rb") as fh:
        data = fh.read()
    text = _start_fails(tmp_path, data[:len(data) // 2], "trunc")
    assert "offset" in text and "Fatal error loading" in text
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xFF
    text = _start_fails(tmp_path, bytes(bad), "corrupt")
    assert "Fatal error loading" in text
    text = _start_fails(tmp_path, b"REDIS0099" + data[9:], "version")
    assert "can't handle RDB format version" in text


# ---- BGSAVE is a point in time ----------------------------------------------------------------

def test_bgsave_is_exactly_the_epoch(keydb):
    srv = keydb()
    c = srv.client()
    n = 30000
    pipe = c.pipeline(transaction=False)
    for i in range(n):
        pipe.set(b"p:%d" % i, b"old")
        if i % 1000 == 0:
            pipe.rpush(b"list:%d" % (i // 1000), *range(50))
            pipe.hset(b"hash:%d" % (i // 1000), mapping={b"f": b"old"})
    pipe.execute()
    stop = threading.Event()
    errors = []

    def before_and_during(t):
        """INCR c:t then SET k:t:j: a point-in-time copy has k:t:0..m-1 (or m-2), c:t = m."""
        cl = srv.client()
        j = 0
        try:
            while not stop.is_set() and j < 5000:
                cl.incr(b"c:%d" % t)
                cl.set(b"k:%d:%d" % (t, j), j)
                j += 1
        except Exception as exc:       # pragma: no cover
            errors.append(exc)

    writers = [threading.Thread(target=before_and_during, args=(t,)) for t in range(3)]
    for w in writers:
        w.start()
    time.sleep(0.3)
    assert c.bgsave()

    def after(t):
        cl = srv.client()
        pipe = cl.pipeline(transaction=False)
        for i in range(t, n, 4):
            pipe.set(b"p:%d" % i, b"new")
            if i % 1000 == 0:
                pipe.rpush(b"list:%d" % (i // 1000), b"new")
                pipe.hset(b"hash:%d" % (i // 1000), b"f", b"new")
                pipe.delete(b"p:%d" % (i + 1))
            if i % 10 == 0:
                pipe.set(b"fresh:%d" % i, b"x")
            if len(pipe) >= 50:
                pipe.execute()
        pipe.execute()
    afters = [threading.Thread(target=after, args=(t,)) for t in range(4)]
    for a in afters:
        a.start()
    for a in afters:
        a.join()
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=120)
    stop.set()
    for w in writers:
        w.join()
    assert not errors
    assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
    keys = _rdb_keys(os.path.join(srv.dir, "dump.rdb"))
    for i in range(n):
        assert keys[(0, b"p:%d" % i)] == b"old"
    assert not any(k.startswith(b"fresh:") for _db, k in keys)
    for b in range(n // 1000):
        assert keys[(0, b"list:%d" % b)] == [b"%d" % x for x in range(50)]
        assert keys[(0, b"hash:%d" % b)] == [(b"f", b"old")]
    for t in range(3):
        m = int(keys.get((0, b"c:%d" % t), b"0"))
        present = sorted(int(k.split(b":")[2]) for _db, k in keys
                         if k.startswith(b"k:%d:" % t))
        assert present == list(range(len(present)))
        assert len(present) in (m, m - 1), (t, m, len(present))
    assert srv.alive()


# ---- functions, member expiries, loading progress ---------------------------------------------

LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)"


def test_function_libraries_survive_a_round_trip(keydb, tmp_path):
    (tmp_path / "real").mkdir()
    real = RealRedis(tmp_path / "real")
    try:
        rc = real.client()
        rc.execute_command("FUNCTION", "LOAD", LIB)
        rc.set(b"k", b"v")
        rc.save()
    finally:
        real.stop()
    shutil.copytree(tmp_path / "real", tmp_path / "k")
    os.unlink(tmp_path / "k" / "redis.log")
    srv = keydb(sub="k")
    c = srv.client()
    assert c.get(b"k") == b"v"
    c.save()
    out = check_rdb(os.path.join(srv.dir, "dump.rdb"))
    assert "function" in out.lower() or "FUNCTION" in out
    real2, rc2 = real_from(srv.dir, tmp_path, "real2")
    try:
        libs = rc2.execute_command("FUNCTION", "LIST")
        assert b"mylib" in repr(libs).encode()
        assert rc2.get(b"k") == b"v"
    finally:
        real2.stop()


def test_member_expiries_persist(keydb, tmp_path):
    srv = keydb()
    c = srv.client()
    c.hset(b"h", mapping={b"a": 1, b"b": 2})
    c.sadd(b"s", b"x", b"y")
    c.execute_command("PEXPIREMEMBERAT", b"h", b"a", FAR)
    c.execute_command("PEXPIREMEMBERAT", b"s", b"x", FAR + 1)
    c.save()
    check_rdb(os.path.join(srv.dir, "dump.rdb"))
    c.execute_command("DEBUG", "RELOAD")
    assert c.execute_command("PTTL", b"h", b"a") > 0
    assert c.execute_command("PTTL", b"s", b"x") > 0
    assert c.execute_command("PTTL", b"h", b"b") == -1
    payload = c.dump(b"h")
    c.restore(b"h2", 0, payload)
    assert c.execute_command("PTTL", b"h2", b"a") > 0
    real, rc = real_from(srv.dir, tmp_path, "real")
    try:      # Redis 7.0 ignores the member-expiry AUX record: members stay, without TTL
        assert rc.hgetall(b"h") == {b"a": b"1", b"b": b"2"}
        assert rc.smembers(b"s") == {b"x", b"y"}
    finally:
        real.stop()


def test_loading_progress_in_info(tmp_path):
    (tmp_path / "real").mkdir()
    real = RealRedis(tmp_path / "real")
    try:
        rc = real.client()
        rc.execute_command("DEBUG", "POPULATE", 400000, "key", 20)
        rc.save()
    finally:
        real.stop()
    d = tmp_path / "k"
    shutil.copytree(tmp_path / "real", d)
    srv = ServerProcess(d)
    try:
        c = srv.client()
        seen = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            info = c.info("persistence")
            if info["loading"]:
                seen = info
                try:
                    c.get(b"key:1")
                    assert c.info("persistence")["loading"] == 0
                except redis.BusyLoadingError:
                    pass
            else:
                break
            time.sleep(0.05)
        assert seen is not None, "never saw loading:1"
        assert 0 <= float(seen["loading_loaded_perc"]) <= 100
        assert "loading_eta_seconds" in seen
        assert c.dbsize() == 400000
        assert c.info("persistence")["rdb_last_load_keys_loaded"] == 400000
    finally:
        srv.stop()


def _rdb12_file():
    """An RDB 12 image (Redis 7.4 types) built with the codec: set listpack, hash with a
    field TTL, stream with the 7.2 consumer fields, module AUX data, FUNCTION2."""
    from keydb_ft.persistence import rdbconst as C
    from keydb_ft.persistence.listpack import encode_listpack
    from keydb_ft.persistence.rdbformat import Writer
    from keydb_ft.persistence.rdbvalue import (StreamConsumer, StreamGroup, StreamPending,
                                               StreamValue, write_stream)
    from keydb_ft.persistence.streamlp import StreamEntry, StreamNode
    w = Writer()
    w.write_header(12)
    w.write_aux(b"redis-ver", b"7.4.0")
    w.buf.append(C.RDB_OPCODE_MODULE_AUX)
    w.write_length(C.module_type_id("fakemodul", 1))
    w.write_length(C.RDB_MODULE_OPCODE_UINT)
    w.write_length(2)
    w.write_length(C.RDB_MODULE_OPCODE_STRING)
    w.write_string(b"opaque")
    w.write_length(C.RDB_MODULE_OPCODE_EOF)
    w.write_selectdb(0)
    w.write_resizedb(3, 0)
    w.buf.append(C.RDB_TYPE_SET_LISTPACK)
    w.write_string(b"s")
    w.write_string(encode_listpack([b"a", b"b", 7]))
    w.buf.append(C.RDB_TYPE_HASH_LISTPACK_EX)
    w.write_string(b"h")
    w.write_ms_time(FAR)
    w.write_string(encode_listpack([b"f", b"v", FAR, b"g", b"w", 0]))
    entries = [StreamEntry(1, 0, ((b"a", b"1"),)), StreamEntry(2, 0, ((b"a", b"2"),))]
    s = StreamValue([StreamNode(1, 0, 2, 0, [b"a"], entries)], 2, (2, 0), (1, 0), (0, 0), 2)
    s.groups.append(StreamGroup(b"g", (1, 0), 1, [StreamPending((1, 0), 1000, 3)],
                                [StreamConsumer(b"bob", 1000, 900, [(1, 0)])]))
    w.buf.append(C.RDB_TYPE_STREAM_LISTPACKS_3)
    w.write_string(b"st")
    write_stream(w, s, C.RDB_TYPE_STREAM_LISTPACKS_3)
    w.write_eof()
    return w.getvalue()


def test_newer_rdb_versions_load(tmp_path):
    d = tmp_path / "k"
    d.mkdir()
    (d / "dump.rdb").write_bytes(_rdb12_file())
    srv = ServerProcess(d)
    try:
        c = srv.client()
        wait_loaded(c)
        assert c.smembers(b"s") == {b"a", b"b", b"7"}
        assert c.hgetall(b"h") == {b"f": b"v", b"g": b"w"}
        assert c.execute_command("HPEXPIRETIME", b"h", "FIELDS", 2, b"f", b"g") == [FAR, -1]
        assert [e[0] for e in c.xrange(b"st")] == [b"1-0", b"2-0"]
        pending = c.xpending_range(b"st", b"g", b"-", b"+", 10)
        assert [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending] == \
            [(b"1-0", b"bob", 3)]
        assert "module AUX" in srv.log_text()
    finally:
        srv.stop()


def test_save_and_load_delay_knobs(tmp_path):
    """rdb-key-save-delay keeps a BGSAVE running (microseconds after each key, as Redis's
    test suite uses it) and key-load-delay slows a load the same way; both at 0 again,
    the saved file loads whole."""
    srv = ServerProcess(tmp_path, threads=2, args=["--enable-debug-command", "yes"])
    try:
        c = srv.client()
        c.execute_command("DEBUG", "POPULATE", "1000")
        c.config_set("rdb-key-save-delay", 2000)           # 1,000 keys: 2 s at least
        started = time.monotonic()
        c.bgsave()
        time.sleep(0.5)
        assert c.info("persistence")["rdb_bgsave_in_progress"] == 1
        assert c.set("during", "1")                         # the loops go on serving
        wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=60)
        assert time.monotonic() - started >= 2.0
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        c.config_set("rdb-key-save-delay", 0)
        c.config_set("key-load-delay", 1000)                # 1 ms a key on the way in
        started = time.monotonic()
        assert c.execute_command("DEBUG", "RELOAD") == b"OK"
        assert time.monotonic() - started >= 1.0
        assert c.dbsize() == 1001
    finally:
        srv.stop()


def test_config_set_while_loading_refuses_dir_and_appendonly(tmp_path):
    """While a dataset loads, CONFIG SET takes most options (loglevel here) but refuses
    dir and appendonly with LOADING, as Redis does."""
    srv = ServerProcess(tmp_path, args=["--enable-protected-configs", "yes"])
    try:
        c = srv.client()
        c.execute_command("DEBUG", "POPULATE", 3000, "key", 10)
        c.save()
    finally:
        srv.stop()
    srv = ServerProcess(tmp_path, args=["--enable-protected-configs", "yes",
                                        "--key-load-delay", "1000"])      # 1 ms a key
    try:
        c = srv.client()
        assert c.info("persistence")["loading"] == 1
        assert c.config_set("loglevel", "debug")
        assert c.config_get("loglevel") == {"loglevel": "debug"}
        for name, value in (("dir", "elsewhere"), ("appendonly", "yes")):
            # on a connection of its own: redis-py's client retries a LOADING error
            conn = c.connection_pool.get_connection()
            try:
                conn.send_command("CONFIG", "SET", name, value)
                with pytest.raises(redis.BusyLoadingError,
                                   match="^Redis is loading the dataset in memory$"):
                    conn.read_response()
            finally:
                c.connection_pool.release(conn)
        assert c.info("persistence")["loading"] == 1
        wait_loaded(c, 60)
        assert c.dbsize() == 3000 and c.config_get("appendonly") == {"appendonly": "no"}
    finally:
        srv.stop()
