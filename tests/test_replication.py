"""The master side of replication (keydb_ft/replication/master.py): SYNC / PSYNC give an
RDB and then the stream of effects redis-server would send, a real redis-server 7.0
replica follows keydb-ft to the same dataset (DEBUG DIGEST) under concurrent writes,
and WAIT counts its acknowledgements."""

import re
import socket
import threading
import time

import pytest

from conftest import RealRedis, ServerProcess, raw_reply, same
from test_persistence import check_rdb, wait_until

# Commands whose effects both servers propagate the same way (SPOP's member is random,
# and redis-server 7.0 leaves an SADD out of its stream when an SPOP follows).
SEQUENCE = [
    ("SET", "a", "1"), ("INCR", "a"), ("INCRBY", "a", "5"), ("DECR", "a"), ("APPEND", "a", "x"),
    ("SET", "b", "v", "EX", "100"), ("EXPIRE", "b", "50"), ("DEL", "a", "nokey"),
    ("LPUSH", "l", "1", "2"), ("RPOP", "l"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    ("HSET", "h", "f", "v"), ("HINCRBYFLOAT", "h", "n", "1.5"), ("INCRBYFLOAT", "f", "1.5"),
    ("SELECT", "3"), ("SET", "c", "1"), ("GETDEL", "c"), ("GETDEL", "missing"),
    ("SET", "e", "v", "PX", "100000"), ("MSET", "m1", "1", "m2", "2"),
    ("SETEX", "se", "100", "v"), ("GETEX", "m1", "EX", "100"), ("GETEX", "m2", "PERSIST"),
    ("ZADD", "z", "1", "a", "2", "b"), ("ZPOPMIN", "z"), ("XADD", "st", "1-1", "f", "v"),
    ("SELECT", "0"), ("SET", "back", "1"), ("FLUSHDB",), ("SET", "after", "flush"),
    ("PUBLISH", "news", "sent on to replicas"), ("SELECT", "5"), ("PUBLISH", "news", "again"),
    ("SELECT", "0"),
]
TRANSACTION = [("SET", "t1", "1"), ("INCR", "t1"), ("SET", "t2", "x")]


def _attach(port, command=b"SYNC\r\n"):
    """Redis's test harness way in: the RDB's length line and payload, then the stream.
    Returns (socket, RDB payload, stream bytes read past it, the +FULLRESYNC line);
    +OK lines (replies to REPLCONF sent first) are passed over."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(command)
    buf, first = b"", None
    while True:
        while b"\r\n" not in buf:
            buf += sock.recv(65536)
        line, buf = buf.split(b"\r\n", 1)
        if line.startswith(b"+FULLRESYNC"):
            first = line
            continue
        if line == b"+OK":
            continue
        if line:                                  # newlines are keepalives
            break
    assert line.startswith(b"$"), line
    size = int(line[1:])
    while len(buf) < size:
        buf += sock.recv(65536)
    return sock, buf[:size], buf[size:], first


def _commands(data):
    """The RESP commands in data, with millisecond times (PXAT, PEXPIREAT) as '<ms>'."""
    out, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 1] == b"*", data[pos:]
        end = data.index(b"\r\n", pos)
        argc, pos = int(data[pos + 1:end]), end + 2
        argv = []
        for _ in range(argc):
            end = data.index(b"\r\n", pos)
            size = int(data[pos + 1:end])
            arg = data[end + 2:end + 2 + size]
            argv.append(b"<ms>" if re.fullmatch(rb"1[0-9]{12}", arg) else arg)
            pos = end + 4 + size
        out.append(argv)
    return out


def _read_stream(sock, left, until):
    """Stream bytes until the command `until` (a list of bytes) has come."""
    data = left
    sock.settimeout(10)
    while until not in _commands(data[:_whole(data)]):
        data += sock.recv(65536)
    return data[:_whole(data)]


def _whole(data):
    """How much of data is whole commands."""
    pos = good = 0
    try:
        while pos < len(data):
            end = data.index(b"\r\n", pos)
            argc, pos = int(data[pos + 1:end]), end + 2
            for _ in range(argc):
                end = data.index(b"\r\n", pos)
                pos = end + 4 + int(data[pos + 1:end])
            if pos > len(data):
                break
            good = pos
    except ValueError:
        pass
    return good


def test_sync_stream_matches_redis(server, real_redis, tmp_path):
    """After SYNC: a valid RDB, then the same commands, in the same order, as
    redis-server 7.0 streams for the same writes (transactions wrapped in MULTI / EXEC,
    SELECT where the database changes, relative times made absolute)."""
    rc = real_redis.client()
    payload = rc.dump(rc.set("p", "v") and "p")
    rc.close()
    restores = [("RESTORE", "r1", "100000", payload), ("RESTORE", "r2", "0", payload),
                ("restore", "r3", str(int(time.time() * 1000) + 10 ** 6), payload, "absttl")]
    streams = []
    for srv in (server, real_redis):
        c = srv.client()
        c.flushall()
        c.set("before", "in the RDB")
        c.config_set("repl-ping-replica-period", 3600)
        sock, rdb, left, _ = _attach(srv.port)
        try:
            for cmd in SEQUENCE + restores:
                raw_reply(c, *cmd)
            pipe = c.pipeline(transaction=True)
            for cmd in TRANSACTION:
                pipe.execute_command(*cmd)
            pipe.execute()
            pipe = c.pipeline(transaction=True)        # one effect: not wrapped
            pipe.publish("bla", "bla")
            pipe.execute()
            c.set("last", "1")
            streams.append(_commands(_read_stream(sock, left, [b"SET", b"last", b"1"])))
        finally:
            sock.close()
            c.config_set("repl-ping-replica-period", 10)
        c.close()
        path = tmp_path / f"{srv.port}.rdb"
        path.write_bytes(rdb)
        check_rdb(str(path))
        assert b"before" in rdb
    ours, theirs = streams
    assert ours == theirs
    assert [b"GETDEL", b"c"] not in ours and [b"DEL", b"c"] in ours
    assert [b"MULTI"] in ours and [b"SELECT", b"3"] in ours
    assert [b"PUBLISH", b"news", b"again"] in ours and ours[-2] == [b"PUBLISH", b"bla", b"bla"]
    assert [b"restore", b"r3", b"<ms>", payload, b"absttl"] in ours      # as sent
    assert [b"RESTORE", b"r1", b"<ms>", payload, b"ABSTTL"] in ours


def test_psync_replconf_and_introspection(server, real_redis):
    """PSYNC is a full resync with this server's replid; the replica shows in INFO,
    ROLE and CLIENT LIST once its RDB is out; REPLCONF as Redis answers it."""
    c, rc = server.client(), real_redis.client()
    for args in [("REPLCONF", "listening-port"), ("REPLCONF", "nosuch", "1"),
                 ("REPLCONF", "capa", "eof", "capa", "psync2"),
                 ("REPLCONF", "listening-port", "x"), ("REPLICAOF", "127.0.0.1", "x"),
                 ("REPLICAOF", "127.0.0.1", "70000"), ("REPLICAOF", "NO", "ONE"),
                 ("SLAVEOF", "no", "one"), ("REPLICAOF", "127.0.0.1")]:
        ours, theirs = same(c, rc, *args)
        assert ours == theirs, args
    rc.close()
    sock, rdb, left, first = _attach(server.port,
                                     b"REPLCONF listening-port 6399\r\nPSYNC ? -1\r\n")
    try:
        replid = c.info("replication")["master_replid"]     # each stream has its own ID
        assert first is not None and re.fullmatch(rb"[0-9a-f]{40}", first.split()[1])
        assert first.split()[1][:24].decode() == replid[:24]
        assert rdb.startswith(b"REDIS0010")
        wait_until(lambda: c.info("replication")["connected_slaves"] == 1)
        info = c.info("replication")
        assert info["slave0"]["port"] == 6399 and info["slave0"]["state"] == "online"
        role = c.execute_command("ROLE")
        assert role[0] == b"master" and role[2][0][1] == b"6399"
        assert [x for x in c.client_list() if "S" in x["flags"]]
        assert c.client_list(_type="replica")
        sock.sendall(b"REPLCONF ACK 5\r\n")
        c.set("k", "v")
        wait_until(lambda: c.info("replication")["slave0"]["offset"] == 5)
        data = _read_stream(sock, left, [b"SET", b"k", b"v"])
        assert data.startswith(b"*")                           # no reply to the ACK
    finally:
        sock.close()
    wait_until(lambda: c.info("replication")["connected_slaves"] == 0)
    assert c.set("still", "writable") and c.get("still") == b"writable"
    c.close()


def _digest(client):
    return client.execute_command("DEBUG", "DIGEST")


def _writers(srv, stop, errors, count=4):
    def write(n):
        c = srv.client()
        i = 0
        try:
            while not stop.is_set() and i < 20000:
                c.incr(f"counter:{n}")
                c.rpush(f"list:{n}", i)
                c.hset(f"hash:{n}", f"f{i % 50}", i)
                if i % 10 == 0:
                    c.delete(f"gone:{n}")
                    c.set(f"gone:{n}", i)
                i += 1
        except Exception as exc:          # reported by the test
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    return threads


def _settle(m, r, stop, threads, errors):
    """With r's link up: let the writers run a little longer, stop them, write once
    more and wait for r to have it; then r and m must have the same digest."""
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    m.set("final", "write")
    wait_until(lambda: r.get("final") == b"write", timeout=30)
    assert _digest(r) == _digest(m) != b"0" * 40


def _cut_link_and_write(m, r):
    """Once r follows m: kill r's link on m and write while r reconnects."""
    wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
    m.set("before", "1")
    wait_until(lambda: r.get("before") == b"1")
    assert m.client_kill_filter(_type="replica") == 1
    for i in range(200):
        m.incr("during")
        m.rpush("list", i)
        m.hset("h", f"f{i}", i)


def _stop(*servers):
    """Stop the servers a test started (None: never started)."""
    for srv in servers:
        if srv is not None:
            srv.stop()


def _dirs(tmp_path):
    """A directory each for a master and its replica."""
    for name in ("m", "r"):
        (tmp_path / name).mkdir()
    return tmp_path / "m", tmp_path / "r"


def test_redis_server_replica_follows(tmp_path):
    """redis-server 7.0 started with --replicaof this server loads the RDB, applies the
    stream and reaches the same digest, with writes from several threads before, during
    and after its sync."""
    mdir, rdir = _dirs(tmp_path)
    master = ServerProcess(mdir, threads=2)
    replica = None
    stop = threading.Event()
    try:
        m = master.client()
        m.execute_command("DEBUG", "POPULATE", "20000", "pre")
        m.hset("h", mapping={f"f{i}": i for i in range(300)})
        m.zadd("z", {f"m{i}": i for i in range(200)})
        m.xadd("st", {"a": "1"})
        m.set("ttl", "v", px=10 ** 8)
        errors = []
        threads = _writers(master, stop, errors)
        replica = RealRedis(rdir, args=["--replicaof", "127.0.0.1", str(master.port)])
        r = replica.client()
        wait_until(lambda: r.info("replication").get("master_link_status") == "up", timeout=60)
        _settle(m, r, stop, threads, errors)
        assert r.dbsize() == m.dbsize() > 20000
        assert r.get("counter:0") == m.get("counter:0")
        assert m.info("replication")["connected_slaves"] == 1
        # WAIT counts the replica once it acknowledged what was streamed before it
        m.set("durable", "1")
        assert m.wait(1, 10000) == 1
        started = time.monotonic()
        assert m.wait(2, 300) == 1                 # too few: the timeout, then the count
        assert time.monotonic() - started >= 0.25
        pipe = m.pipeline(transaction=True)
        pipe.set("in-multi", "1")
        pipe.execute_command("WAIT", "2", "0")     # inside EXEC: at once
        assert pipe.execute()[1] in (0, 1)
        wait_until(lambda: r.get("in-multi") == b"1")
    finally:
        stop.set()
        _stop(replica, master)
    assert "Unexpected error" not in master.log_text()


def test_replica_that_stops_reading_is_dropped_at_its_limit(tmp_path):
    """A replica whose unsent stream passes client-output-buffer-limit's hard replica
    limit is disconnected, as Redis does; the RDB itself does not count, and the
    server goes on serving."""
    srv = ServerProcess(tmp_path, threads=2,
                        args=["--client-output-buffer-limit", "replica 1mb 0 0"])
    try:
        c = srv.client()
        c.execute_command("DEBUG", "POPULATE", "50000", "k", "100")   # an RDB over 1mb
        sock, rdb, _, _ = _attach(srv.port)
        assert len(rdb) > 1 << 20
        wait_until(lambda: c.info("replication")["connected_slaves"] == 1)
        value = b"x" * 100000
        for i in range(400):                                           # 40mb unread
            c.set(f"big:{i % 10}", value)
            if c.info("replication")["connected_slaves"] == 0:
                break
        wait_until(lambda: c.info("replication")["connected_slaves"] == 0)
        assert "overcoming of output buffer limits" in srv.log_text()
        assert c.set("after", "1") and c.dbsize() == 50011
        sock.close()
    finally:
        srv.stop()


def test_follows_a_redis_server_master(tmp_path):
    """keydb-ft as a replica of redis-server 7.0: the full resync under concurrent
    writes ends at the master's digest; writes to the replica get READONLY; WAIT on
    the master counts keydb-ft's ACKs; REPLICAOF NO ONE keeps the data and writes."""
    mdir, rdir = _dirs(tmp_path)
    master = RealRedis(mdir)
    replica = None
    stop, errors = threading.Event(), []
    try:
        m = master.client()
        m.execute_command("DEBUG", "POPULATE", "20000", "pre")
        m.zadd("z", {f"m{i}": i for i in range(300)})
        m.xadd("st", {"a": "1"})
        m.set("ttl", "v", px=10 ** 8)
        threads = _writers(master, stop, errors)
        replica = ServerProcess(rdir, threads=2,
                                args=["--replicaof", "127.0.0.1", str(master.port)])
        r = replica.client()
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
        _settle(m, r, stop, threads, errors)
        assert r.pttl("ttl") > 0
        ours, theirs = same(r, m, "SET", "x", "1")
        assert ours == ("error", "ReadOnlyError", "You can't write against a read only replica.")
        assert theirs == b"OK"
        role = r.execute_command("ROLE")
        assert role[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"]
        assert m.wait(1, 10000) == 1                 # the replica's ACKs reach the master
        with pytest.raises(Exception, match="WAIT cannot be used with replica instances"):
            r.execute_command("WAIT", "1", "10")
        assert r.execute_command("REPLICAOF", "127.0.0.1", str(master.port)) == \
            b"OK Already connected to specified master"
        assert r.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert r.info("replication")["role"] == "master"
        assert r.set("only-here", "1") and r.dbsize() == m.dbsize() + 1
    finally:
        stop.set()
        _stop(replica, master)
    assert "Unexpected error" not in replica.log_text()


def test_chain_of_keydb_ft_servers(tmp_path):
    """keydb-ft replica of keydb-ft, started by REPLICAOF at run time: same digest,
    including writes made inside MULTI and in another database."""
    mdir, rdir = _dirs(tmp_path)
    master = ServerProcess(mdir, threads=2)
    replica = ServerProcess(rdir, threads=2)
    try:
        m, r = master.client(), replica.client()
        m.execute_command("DEBUG", "POPULATE", "5000")
        r.set("will be", "flushed")
        assert r.execute_command("REPLICAOF", "127.0.0.1", str(master.port)) == b"OK"
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
        pipe = m.pipeline(transaction=True)
        pipe.incr("tx")
        pipe.sadd("set", "a", "b")
        pipe.execute()
        m1 = master.client(db=1)
        m1.set("in db 1", "yes")
        m.set("final", "1")
        wait_until(lambda: r.get("final") == b"1", timeout=30)
        assert _digest(r) == _digest(m)
        assert r.get("will be") is None
        assert replica.client(db=1).get("in db 1") == b"yes"
        assert m.info("replication")["connected_slaves"] == 1
    finally:
        _stop(replica, master)
    for srv in (master, replica):
        assert "Unexpected error" not in srv.log_text()


def test_replica_leaves_expiry_to_its_master(tmp_path):
    """On a replica a key whose time has passed is gone for clients but stays until the
    master's DEL arrives, as on a redis-server replica."""
    mdir, rdir = _dirs(tmp_path)
    master = RealRedis(mdir)
    replica = ServerProcess(rdir, threads=2,
                            args=["--replicaof", "127.0.0.1", str(master.port)])
    try:
        m, r = master.client(), replica.client()
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
        m.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        m.set("short", "v", px=300)
        m.set("marker", "1")
        wait_until(lambda: r.get("marker") == b"1")
        time.sleep(0.4)
        assert r.get("short") is None and r.exists("short") == 0
        assert r.dbsize() == 2                      # still there: the master decides
        assert m.get("short") is None               # the master expires it: DEL follows
        wait_until(lambda: r.dbsize() == 1)
    finally:
        _stop(replica, master)


def test_reconnecting_replica_resumes_with_a_partial_resync(tmp_path):
    """A redis-server replica whose connection is killed reconnects with PSYNC and gets
    only what it missed (+CONTINUE), writes made meanwhile included; a PSYNC past the
    kept history gets a full resync."""
    mdir, rdir = _dirs(tmp_path)
    master = ServerProcess(mdir, threads=2)
    replica = None
    try:
        m = master.client()
        m.execute_command("DEBUG", "POPULATE", "3000")
        replica = RealRedis(rdir, args=["--replicaof", "127.0.0.1", str(master.port)])
        r = replica.client()
        _cut_link_and_write(m, r)
        wait_until(lambda: m.info("stats")["sync_partial_ok"] == 1, timeout=30)
        m.set("after", "1")
        wait_until(lambda: r.get("after") == b"1", timeout=30)
        assert _digest(r) == _digest(m)
        stats = m.info("stats")
        assert stats["sync_full"] == 1 and stats["sync_partial_ok"] == 1
        assert m.info("replication")["connected_slaves"] == 1
        sock = socket.create_connection(("127.0.0.1", master.port), timeout=10)
        sock.sendall(b"PSYNC " + b"0" * 40 + b" 1\r\n")          # nothing kept for that
        assert sock.recv(11) == b"+FULLRESYNC"
        sock.close()
        wait_until(lambda: m.info("stats")["sync_partial_err"] == 1)
    finally:
        _stop(replica, master)
    assert "Unexpected error" not in master.log_text()


def test_a_replica_back_with_a_full_resync_frees_its_old_stream(tmp_path):
    """The stream kept for a gone replica is freed when that replica (same address and
    listening port) comes back asking for a full resync instead."""
    srv = ServerProcess(tmp_path, threads=2)
    try:
        c = srv.client()
        hello = b"REPLCONF listening-port 7777\r\nPSYNC ? -1\r\n"
        sock, _, _, _ = _attach(srv.port, hello)
        wait_until(lambda: c.info("replication")["connected_slaves"] == 1)
        sock.close()
        wait_until(lambda: c.info("replication")["connected_slaves"] == 0)
        assert "Backlog of replica" not in srv.log_text()
        sock, _, _, _ = _attach(srv.port, hello)
        wait_until(lambda: "(port 7777) freed." in srv.log_text())
        sock.close()
        assert c.info("stats")["sync_full"] == 2
    finally:
        srv.stop()


def test_keydb_ft_replica_resumes_from_a_redis_server_master(tmp_path):
    """keydb-ft as a replica: when its link drops it asks PSYNC with the master's ID and
    the offset it applied, and redis-server 7.0 continues the stream (no second RDB)."""
    mdir, rdir = _dirs(tmp_path)
    master = RealRedis(mdir)
    master.client().execute_command("DEBUG", "POPULATE", "3000")   # not propagated
    replica = ServerProcess(rdir, threads=2,
                            args=["--replicaof", "127.0.0.1", str(master.port)])
    try:
        m, r = master.client(), replica.client()
        _cut_link_and_write(m, r)
        wait_until(lambda: m.info("stats")["sync_partial_ok"] == 1, timeout=30)
        m.set("after", "1")
        wait_until(lambda: r.get("after") == b"1", timeout=30)
        assert _digest(r) == _digest(m) and r.dbsize() == 3005     # 3000 + 5 written
        assert m.info("stats")["sync_full"] == 1
        assert "Successful partial resynchronization with master." in replica.log_text()
    finally:
        _stop(replica, master)


def test_sub_replica_follows_the_chain_and_resyncs_with_it(tmp_path):
    """keydb-ft master -> keydb-ft replica -> redis-server replica: writes on the top
    reach the bottom; when the middle one resyncs in full, its own replica does too."""
    for name in ("m", "b", "c"):
        (tmp_path / name).mkdir()
    top = ServerProcess(tmp_path / "m", threads=2)
    middle = ServerProcess(tmp_path / "b", threads=2,
                           args=["--replicaof", "127.0.0.1", str(top.port)])
    bottom = None
    try:
        m, b = top.client(), middle.client()
        wait_until(lambda: b.info("replication")["master_link_status"] == "up", timeout=60)
        bottom = RealRedis(tmp_path / "c", args=["--replicaof", "127.0.0.1", str(middle.port)])
        c = bottom.client()
        wait_until(lambda: c.info("replication").get("master_link_status") == "up", timeout=60)
        m.set("through", "the chain")
        wait_until(lambda: c.get("through") == b"the chain", timeout=30)
        assert b.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        m.set("while", "detached")
        assert b.execute_command("REPLICAOF", "127.0.0.1", str(top.port)) == b"OK"
        wait_until(lambda: middle.client().info("stats")["sync_full"] == 2, timeout=60)
        wait_until(lambda: c.get("while") == b"detached", timeout=60)
        assert _digest(c) == _digest(b) == _digest(m)
    finally:
        _stop(bottom, middle, top)


def test_a_replica_without_its_master_refuses_to_sync_replicas_as_redis(tmp_path):
    """A replica whose link is not up (here its master is not listening) answers SYNC
    and PSYNC with NOMASTERLINK, as redis-server does: until the link is up its data
    set may be about to be replaced, and a sub-replica synced from it then would keep
    the old one."""
    from conftest import free_port
    for name in ("k", "r"):
        (tmp_path / name).mkdir()
    nobody = str(free_port())
    ours = ServerProcess(tmp_path / "k", args=["--replicaof", "127.0.0.1", nobody])
    theirs = RealRedis(tmp_path / "r", args=["--replicaof", "127.0.0.1", nobody])
    try:
        replies = []
        for server in (ours, theirs):
            got = []
            for request in (("PSYNC", "?", "-1"), ("SYNC",)):
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                    got.append(_call(sock, *request))
            replies.append(got)
        assert replies[0] == replies[1] == [
            b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"] * 2
        assert ours.client().info("stats")["sync_full"] == 0
    finally:
        _stop(theirs, ours)


def _call(sock, *args):
    """Send one command over a raw socket; its reply's bytes (one line or more)."""
    sock.sendall(b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
    data = sock.recv(65536)
    while not data.endswith(b"\r\n"):
        more = sock.recv(65536)
        if not more:
            raise ConnectionError(f"closed after {data!r}")
        data += more
    return data


def _gate_session(port, unreachable):
    """The replies and error counts of a session that changes min-replicas-to-write and
    replica-serve-stale-data around writes, reads and transactions."""
    def conn():
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        return sock

    call = _call

    a, b = conn(), conn()
    got = []
    try:
        got.append(call(b, "CONFIG", "RESETSTAT"))
        # a write queued before min-replicas-to-write is raised: EXEC is refused
        got += [call(a, "MULTI"), call(a, "SET", "k", "1")]
        got.append(call(b, "CONFIG", "SET", "min-replicas-to-write", "1"))
        got.append(call(a, "EXEC"))
        got += [call(a, "SET", "k", "2"), call(a, "GET", "k"), call(a, "INCR", "n")]
        got += [call(a, "MULTI"), call(a, "SET", "k", "3"), call(a, "EXEC")]
        got += [call(a, "MULTI"), call(a, "GET", "k"), call(a, "EXEC")]      # reads go on
        got.append(b"good:" + re.search(rb"min_slaves_good_slaves:(\d+)",
                                        call(b, "INFO", "replication")).group(1))
        got.append(call(b, "CONFIG", "SET", "min-replicas-max-lag", "0"))    # off
        got += [call(a, "SET", "k", "4"), call(b, "CONFIG", "SET", "min-replicas-max-lag", "10")]
        got.append(call(b, "CONFIG", "SET", "min-replicas-to-write", "0"))
        got.append(call(a, "SET", "k", "5"))
        # a replica whose link is down, told not to serve stale data
        got += [call(a, "MULTI"), call(a, "GET", "k")]
        got.append(call(b, "CONFIG", "SET", "replica-serve-stale-data", "no"))
        got.append(call(b, "REPLICAOF", "127.0.0.1", str(unreachable)))
        got.append(call(a, "EXEC"))
        for args in (("GET", "k"), ("PING",), ("SET", "k", "6"), ("DBSIZE",), ("ECHO", "x"),
                     ("CONFIG", "GET", "replica-serve-stale-data"), ("MULTI",), ("GET", "k"),
                     ("EXEC",)):
            got.append(call(a, *args))
        got.append(call(b, "CONFIG", "SET", "replica-serve-stale-data", "yes"))
        got += [call(a, "GET", "k"), call(a, "SET", "k", "7")]
        got.append(call(b, "REPLICAOF", "NO", "ONE"))
        got += [call(a, "SET", "k", "8"), call(a, "GET", "k")]
        got.append(call(b, "INFO", "errorstats"))
        got.append(b"".join(re.findall(rb"cmdstat_exec:[^\r]*", call(b, "INFO", "commandstats"))))
        return [re.sub(rb"usec(_per_call)?=[\d.]+", b"", reply) for reply in got]
    finally:
        a.close()
        b.close()


def test_write_gates_match_redis(tmp_path):
    """min-replicas-to-write refuses writes with NOREPLICAS (EXEC with EXECABORT, even
    when the write was queued before the setting), and a replica whose link is down
    refuses what needs fresh data with MASTERDOWN under replica-serve-stale-data no:
    the same replies, error counts and EXEC counts as redis-server 7.0's."""
    mdir, rdir = _dirs(tmp_path)
    ours = ServerProcess(mdir, threads=2)
    theirs = RealRedis(rdir)
    try:
        unreachable = socket.socket()
        unreachable.bind(("127.0.0.1", 0))     # bound, never listening: refused
        port = unreachable.getsockname()[1]
        mine = _gate_session(ours.port, port)
        assert mine == _gate_session(theirs.port, port)
        unreachable.close()
        assert b"NOREPLICAS" in mine[4] and b"MASTERDOWN" in b"".join(mine)
    finally:
        _stop(ours, theirs)


def test_min_replicas_to_write_counts_acknowledging_replicas(tmp_path):
    """With min-replicas-to-write 1 a master refuses writes until a replica is online
    and acknowledging, and again once it has been silent for longer than
    min-replicas-max-lag seconds."""
    mdir, rdir = _dirs(tmp_path)
    master = ServerProcess(mdir, threads=2, args=["--min-replicas-to-write", "1",
                                                  "--min-replicas-max-lag", "2"])
    replica = None
    try:
        m = master.client()
        assert "NOREPLICAS" in str(raw_reply(m, "SET", "k", "1"))
        assert m.info("replication")["min_slaves_good_slaves"] == 0
        replica = RealRedis(rdir, args=["--replicaof", "127.0.0.1", str(master.port)])
        r = replica.client()
        wait_until(lambda: m.info("replication")["min_slaves_good_slaves"] == 1, timeout=60)
        assert m.set("k", "2") is True
        wait_until(lambda: r.get("k") == b"2")
        replica.proc.send_signal(19)            # SIGSTOP: connected, but no more ACKs
        try:
            wait_until(lambda: m.info("replication")["min_slaves_good_slaves"] == 0,
                       timeout=30)
            assert "NOREPLICAS" in str(raw_reply(m, "SET", "k", "3"))
            assert m.get("k") == b"2"
        finally:
            replica.proc.send_signal(18)        # SIGCONT
        wait_until(lambda: m.info("replication")["min_slaves_good_slaves"] == 1, timeout=30)
        assert m.set("k", "4") is True
    finally:
        _stop(replica, master)


def test_handshake_refused_by_the_master_is_logged_as_redis_logs_it(tmp_path):
    """A redis-server master with a binary password: the wrong masterauth gets "Unable
    to AUTH to MASTER: -WRONGPASS ..." in the replica's log and the link stays down;
    the right one (a NUL inside) brings it up. replica-announce-ip is what the master
    then shows as the replica's address."""
    mdir, rdir = _dirs(tmp_path)
    master = RealRedis(mdir)
    replica = ServerProcess(rdir, threads=2, args=["--replica-announce-ip", "10.9.8.7"])
    try:
        m, r = master.client(), replica.client()
        m.config_set("requirepass", "abc\x00def")
        r.config_set("masterauth", "abc")
        r.replicaof("127.0.0.1", master.port)
        wait_until(lambda: "Unable to AUTH to MASTER: -WRONGPASS invalid username-password "
                           "pair or user is disabled." in replica.log_text())
        assert r.info("replication")["master_link_status"] == "down"
        r.config_set("masterauth", "abc\x00def")
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
        m.auth("abc\x00def")
        assert m.info("replication")["slave0"]["ip"] == "10.9.8.7"
    finally:
        _stop(replica, master)


def test_replconf_ip_address_names_the_replica(tmp_path):
    """keydb-ft as the master keeps a replica's REPLCONF ip-address for INFO and ROLE,
    as redis-server does."""
    mdir, rdir = _dirs(tmp_path)
    master = ServerProcess(mdir, threads=2)
    replica = RealRedis(rdir, args=["--replica-announce-ip", "10.9.8.7",
                                    "--replicaof", "127.0.0.1", str(master.port)])
    try:
        m = master.client()
        wait_until(lambda: m.info("replication").get("connected_slaves") == 1, timeout=60)
        assert m.info("replication")["slave0"]["ip"] == "10.9.8.7"
        assert m.execute_command("ROLE")[2][0][0] == b"10.9.8.7"
    finally:
        _stop(replica, master)
