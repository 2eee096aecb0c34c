"""Multi-part AOF: restart from it, redis-check-aof 7.0 accepts our directory, redis-server
7.0 starts from it with the same data and we start from a directory redis-server wrote;
BGREWRITEAOF without fork; truncated files; timestamps; INFO fields."""

import os
import shutil
import signal
import subprocess

import pytest
import redis

from conftest import RealRedis
from test_persistence import (dataset, keydb, populate, real_from, start_fails,  # noqa: F401
                              wait_loaded, wait_until)

AOF = ("--appendonly", "yes")


def _aof_dir(srv):
    return os.path.join(srv.dir, "appendonlydir")


def _manifest(srv):
    with open(os.path.join(_aof_dir(srv), "appendonly.aof.manifest")) as fh:
        return fh.read()


def check_aof(directory):
    out = subprocess.run(["redis-check-aof", os.path.join(directory, "appendonly.aof.manifest")],
                         capture_output=True, text=True, errors="replace", timeout=120)
    assert out.returncode == 0 and "is valid" in out.stdout and "not valid" not in out.stdout, \
        out.stdout + out.stderr
    return out.stdout


def _writes(c):
    populate(c)
    with c.pipeline(transaction=True) as p:
        p.set(b"tx:a", 1)
        p.incr(b"tx:a")
        p.execute_command("SELECT", 3)
        p.set(b"tx:db3", b"x")
    c.set(b"exp:rel", b"v", ex=1000)
    c.incrbyfloat(b"float", 1.5)
    c.spop(b"set:big")
    c.delete(b"s:empty")


def replayed(ds):
    """XREADGROUP propagates XCLAIM ... LASTID without the group's entries-read (the stream
    commands' effect, not the AOF's): compare replayed streams without entries-read / lag."""
    out = {}
    for dbid, keys in ds.items():
        out[dbid] = {}
        for key, (kind, value, ttl) in keys.items():
            if kind == b"stream":
                groups = [g[:4] if isinstance(g, tuple) else g for g in value[5]]
                value = value[:5] + (groups,)
            out[dbid][key] = (kind, value, ttl)
    return out


def _restart(keydb, srv, *args):
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(30) == 0
    return keydb(*args, sub=os.path.basename(srv.dir))


def test_manifest_format_and_restart(keydb):
    srv = keydb(*AOF)
    c = srv.client()
    _writes(c)
    ours = dataset(c)
    assert _manifest(srv) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                              "file appendonly.aof.1.incr.aof seq 1 type i\n")
    srv2 = _restart(keydb, srv, *AOF)
    c2 = srv2.client()
    assert replayed(dataset(c2)) == replayed(ours)
    info = c2.info("persistence")
    assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok"
    assert info["aof_current_size"] > 0


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_check_aof_and_redis_loads_ours(keydb, tmp_path, preamble):
    srv = keydb(*AOF, "--aof-use-rdb-preamble", preamble)
    c = srv.client()
    _writes(c)
    c.bgrewriteaof()
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
    c.set(b"after:rewrite", b"1")
    c.rpush(b"l:small", b"more")
    ours = dataset(c)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(30) == 0
    assert ".2.base." in _manifest(srv)
    assert sorted(os.listdir(_aof_dir(srv))) == sorted(
        ["appendonly.aof.manifest", "appendonly.aof.2.incr.aof",
         "appendonly.aof.2.base." + ("rdb" if preamble == "yes" else "aof")])
    check_aof(_aof_dir(srv))
    os.unlink(os.path.join(srv.dir, "server.log"))
    real, rc = real_from(srv.dir, tmp_path, "real", ["--appendonly", "yes"])
    try:
        assert replayed(dataset(rc)) == replayed(ours)
    finally:
        real.stop()


def test_redis_aof_loads_here(keydb, tmp_path):
    d = tmp_path / "real"
    d.mkdir()
    real = RealRedis(d, args=["--appendonly", "yes"])
    try:
        rc = real.client()
        _writes(rc)
        rc.bgrewriteaof()
        wait_until(lambda: rc.info("persistence")["aof_rewrite_in_progress"] == 0)
        rc.set(b"after:rewrite", b"1")
        theirs = dataset(rc)
    finally:
        real.stop()
    shutil.copytree(d, tmp_path / "k")
    srv = keydb(*AOF, sub="k")
    assert replayed(dataset(srv.client())) == replayed(theirs)


def test_appendfsync_modes_and_turning_on(keydb):
    srv = keydb()
    c = srv.client()
    c.set(b"before", b"1")
    c.config_set("appendonly", "yes")
    wait_until(lambda: c.info("persistence")["aof_enabled"] == 1
               and c.info("persistence")["aof_rewrite_in_progress"] == 0)
    wait_until(lambda: os.path.exists(os.path.join(_aof_dir(srv), "appendonly.aof.manifest")))
    for mode in ("always", "everysec", "no"):
        c.config_set("appendfsync", mode)
        c.set(b"mode:" + mode.encode(), b"1")
    ours = dataset(c)
    srv2 = _restart(keydb, srv, *AOF)
    assert replayed(dataset(srv2.client())) == replayed(ours)


def test_truncated_aof(keydb, tmp_path):
    srv = keydb(*AOF, "--appendfsync", "always")
    c = srv.client()
    for i in range(100):
        c.set(b"k%d" % i, i)
    srv.proc.kill()
    srv.proc.wait()
    incr = os.path.join(_aof_dir(srv), "appendonly.aof.1.incr.aof")
    with open(incr, "ab") as fh:
        fh.write(b"*3\r\n$3\r\nSET\r\n$4\r\ntrun")
    d = tmp_path / "strict"
    shutil.copytree(srv.dir, d)
    os.unlink(d / "server.log")
    start_fails(d, [*AOF, "--aof-load-truncated", "no"])
    srv2 = keydb(*AOF, sub=os.path.basename(srv.dir))
    c2 = srv2.client()
    assert c2.dbsize() == 100 and c2.get(b"k99") == b"99"
    assert "Truncating the AOF" in srv2.log_text()
    check_aof(_aof_dir(srv2))
    with open(incr, "ab") as fh:
        fh.write(b"garbage\r\n")
    d = tmp_path / "bad"
    shutil.copytree(srv2.dir, d)
    os.unlink(d / "server.log")
    assert "Bad file format" in start_fails(d, AOF)


def test_aof_timestamps(keydb):
    srv = keydb(*AOF, "--aof-timestamp-enabled", "yes")
    c = srv.client()
    c.set(b"a", b"1")
    c.set(b"b", b"2")
    wait_until(lambda: os.path.getsize(os.path.join(_aof_dir(srv), "appendonly.aof.1.incr.aof")))
    with open(os.path.join(_aof_dir(srv), "appendonly.aof.1.incr.aof"), "rb") as fh:
        assert fh.read().startswith(b"#TS:")
    srv2 = _restart(keydb, srv, *AOF)
    assert srv2.client().mget(b"a", b"b") == [b"1", b"2"]
    check_aof(_aof_dir(srv2))


def test_auto_rewrite(keydb):
    srv = keydb(*AOF, "--auto-aof-rewrite-min-size", "1mb", "--auto-aof-rewrite-percentage", "50")
    c = srv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(20000):
        pipe.set(b"key:%d" % (i % 100), b"v" * 64)
    pipe.execute()
    wait_until(lambda: c.info("persistence")["aof_rewrites"] >= 1, timeout=30)
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
    assert c.info("persistence")["aof_current_size"] < 1 << 20
    srv2 = _restart(keydb, srv, *AOF)
    assert srv2.client().dbsize() == 100


def test_bgrewriteaof_replies(keydb):
    srv = keydb()
    c = srv.client()
    c.set(b"a", b"1")
    assert c.execute_command("BGREWRITEAOF") in (b"Background append only file rewriting started",
                                                 True)
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
    assert c.info("persistence")["aof_rewrites"] == 1
    assert c.info("persistence")["aof_enabled"] == 0
    with pytest.raises(redis.ResponseError):
        c.execute_command("BGREWRITEAOF", "extra")


def test_writes_after_debug_loadaof_reach_the_aof(keydb):
    """DEBUG LOADAOF replays on the loop thread of the client that sent it; that loop's
    later writes, and its INFO counters, must still count (one loop, so every connection
    shares the thread that loaded)."""
    srv = keydb(*AOF, threads=1)
    c = srv.client()
    c.set(b"before", b"1")
    assert c.execute_command("DEBUG", "LOADAOF")
    hits = c.info("stats")["keyspace_hits"]
    c.xadd(b"stream", {b"f": b"v"})
    c.hset(b"hash", b"f", b"v")
    c.set(b"str", b"v", ex=1000)
    assert c.get(b"before") == b"1"
    assert c.info("stats")["keyspace_hits"] == hits + 1
    ours = dataset(c)
    assert c.execute_command("DEBUG", "LOADAOF")
    assert dataset(c) == ours
    srv2 = _restart(keydb, srv, *AOF)
    assert dataset(srv2.client()) == ours


@pytest.mark.parametrize("lazy", ["no", "yes"])
def test_expiry_propagates_del_or_unlink(keydb, lazy):
    """An expired key's deletion reaches the AOF as DEL, or as UNLINK under
    lazyfree-lazy-expire, as Redis writes it."""
    srv = keydb(*AOF, "--lazyfree-lazy-expire", lazy, threads=1)
    c = srv.client()
    c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.sadd(b"gone", *range(100))
    c.pexpire(b"gone", 1)
    wait_until(lambda: c.pttl(b"gone") == -2)        # expired on this access
    c.set(b"after", b"1")
    c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    incr = [name for name in os.listdir(_aof_dir(srv)) if ".incr." in name]

    def written():
        with open(os.path.join(_aof_dir(srv), incr[0]), "rb") as fh:
            text = fh.read()
        return text if b"after" in text else None
    text = wait_until(written)
    word = b"UNLINK" if lazy == "yes" else b"DEL"
    assert b"$%d\r\n%s\r\n$4\r\ngone\r\n" % (len(word), word) in text
    assert text.index(word) < text.index(b"after")


def test_published_messages_stay_out_of_the_aof(keydb):
    """PUBLISH goes to replicas (their subscribers get it too) but not into the AOF: a
    restart would deliver old messages to nobody."""
    srv = keydb(*AOF)
    c = srv.client()
    c.publish("news", "not for the aof")
    c.set("after", "1")
    incr = os.path.join(_aof_dir(srv), "appendonly.aof.1.incr.aof")
    wait_until(lambda: os.path.getsize(incr))
    with open(incr, "rb") as fh:
        data = fh.read()
    assert b"after" in data and b"PUBLISH" not in data.upper()
