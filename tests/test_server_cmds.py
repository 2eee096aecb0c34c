"""INFO, CLIENT, SLOWLOG, MONITOR, TIME, DEBUG: what operators and tools read."""

import os
import socket
import subprocess
import threading
import time

import pytest
import redis

from conftest import RealRedis, ServerProcess, raw_reply, same, send_until


def test_info_sections(r):
    info = r.info("everything")
    for field in ("redis_version", "connected_clients", "used_memory", "total_commands_processed",
                  "role", "gil_enabled", "server_threads", "keyspace_hits", "uptime_in_seconds"):
        assert field in info, field
    r.set("k", "v")
    r.get("k")
    r.get("nope")
    stats = r.info("stats")
    assert stats["keyspace_hits"] >= 1 and stats["keyspace_misses"] >= 1
    cmd = r.info("commandstats")
    assert cmd["cmdstat_get"]["calls"] >= 2
    assert r.info("keyspace")["db0"]["keys"] == 1
    threads = r.info("threads")
    assert len(threads) == 4


def test_errorstats(r):
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCH")
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCRBY", "k", "x")
    errs = r.info("errorstats")
    assert errs["errorstat_ERR"]["count"] >= 2


def test_client_commands(server, r, real):
    for case in [("CLIENT", "SETNAME", "has space"), ("CLIENT", "SETNAME", "ok-name"),
                 ("CLIENT", "GETNAME"), ("CLIENT", "KILL", "1.2.3.4:5"),
                 ("CLIENT", "KILL", "ID", "abc"), ("CLIENT", "KILL", "TYPE", "bogus"),
                 ("CLIENT", "KILL", "MAXAGE", "10"), ("CLIENT", "KILL", "USER", "nobody"),
                 ("CLIENT", "KILL", "USER", "default\x00x"),
                 ("CLIENT", "KILL", "USER", "default", "ID", "999999"),
                 ("CLIENT", "LIST", "TYPE", "bogus"), ("CLIENT", "REPLY", "MAYBE"),
                 ("CLIENT", "NO-EVICT", "maybe"), ("CLIENT", "PAUSE", "abc"),
                 ("CLIENT", "NOSUCH")]:
        a, b = same(r, real, *case)
        assert a == b, case
    other = server.client()
    other.client_setname("victim")
    victim_id = other.client_id()
    listing = r.client_list()
    names = {c["name"] for c in listing}
    assert "victim" in names
    assert any(int(c["id"]) == victim_id for c in listing)
    assert r.client_kill_filter(_id=victim_id) == 1
    time.sleep(0.2)
    assert victim_id not in {int(c["id"]) for c in r.client_list()}
    info = r.client_info()
    assert info["cmd"] == "client|info"


def test_client_list_qbuf_counts_the_running_command(server, real_redis):
    """The client asking about itself has its own command in the query buffer, as in
    Redis (qbuf=26 for CLIENT LIST / INFO); an idle client has nothing there."""
    for srv in (server, real_redis):
        c, idle = srv.client(), srv.client()
        idle_id, own_id = idle.client_id(), str(c.client_id()).encode()
        assert c.client_info()["qbuf"] == 26
        lines = {x["id"]: x for x in c.client_list()}
        assert lines[str(c.client_id())]["qbuf"] == "26" and lines[str(idle_id)]["qbuf"] == "0"
        asked = [b"CLIENT", b"LIST", b"ID", own_id]
        size = len(b"*4\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in asked))
        assert b" qbuf=%d " % size in c.execute_command(*asked), srv


def test_client_reply_off_skip(server):
    import socket
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\nCLIENT REPLY OFF\r\nGET a\r\n"
                  b"CLIENT REPLY ON\r\nPING\r\n")
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            data += s.recv(1024)
    assert data == b"$1\r\n1\r\n+OK\r\n+PONG\r\n"


def test_client_pause_write_blocks_writers_only(server, r):
    r.set("p", 1)
    r.client_pause(500, all=False)
    start = time.monotonic()
    assert r.get("p") == b"1"                    # reads flow
    assert time.monotonic() - start < 0.4
    writer = server.client()
    writer.incr("p")                             # waits for the pause to end
    assert time.monotonic() - start >= 0.4
    assert r.get("p") == b"2"


def _expiry_under_pause(srv):
    """Keys that expire while writes are paused: what GET, expired_keys and DBSIZE say
    during the pause and after it."""
    c = srv.client()
    try:
        c.flushall()
        before = c.info("stats")["expired_keys"]
        pipe = c.pipeline(transaction=True)
        pipe.set("foo", "bar", px=10)
        pipe.set("bar", "foo", px=10)
        pipe.execute_command("CLIENT", "PAUSE", "50000", "WRITE")
        pipe.execute()
        time.sleep(0.3)                           # both have expired, and the cron ran
        seen = [c.get("foo"), c.info("stats")["expired_keys"] - before, c.exists("bar")]
        c.client_unpause()
        seen += [c.dbsize(), c.get("foo"), c.get("bar"), c.info("stats")["expired_keys"] - before,
                 c.dbsize()]
        return seen
    finally:
        c.client_unpause()
        c.close()


def test_nothing_expires_while_clients_are_paused(server, real_redis):
    """CLIENT PAUSE keeps the dataset as it is: a key whose time passes is gone for
    clients but neither the active cycle nor a read deletes it (expired_keys stays)
    until the pause ends, as redis-server 7.0 does."""
    ours = _expiry_under_pause(server)
    assert ours == _expiry_under_pause(real_redis)
    assert ours[1] == 0 and ours[-2:] == [2, 0]


def _held_and_waiting(srv):
    """A writer held by CLIENT PAUSE WRITE and two BLPOPs (no timeout, a timeout): what
    INFO and CLIENT LIST say of them, then the replies once all go on."""
    from test_blocking import wait_info_blocked
    admin = srv.client(protocol=2)
    admin.flushall()
    clients = [srv.client(protocol=2) for _ in range(3)]
    conns = [client.connection_pool.get_connection() for client in clients]
    for conn in conns:
        conn.send_command("CLIENT", "ID")
    ids = {str(conn.read_response()) for conn in conns}
    try:
        conns[0].send_command("BLPOP", "a", "0")
        conns[1].send_command("BLPOP", "b", "30")
        wait_info_blocked(admin, 2)
        admin.client_pause(30000, all=False)
        conns[2].send_command("SET", "k", "v")
        wait_info_blocked(admin, 3)
        info = admin.info("clients")
        flags = sorted(line["flags"] for line in admin.client_list() if line["id"] in ids)
        admin.client_unpause()
        admin.rpush("a", "1")
        admin.rpush("b", "2")
        replies = [conn.read_response() for conn in conns]
        return ({k: info[k] for k in ("blocked_clients", "clients_in_timeout_table")},
                flags, replies)
    finally:
        for client, conn in zip(clients, conns):
            client.connection_pool.release(conn)
            client.close()
        admin.client_unpause()
        admin.close()


def test_paused_clients_count_as_blocked(server, real_redis):
    ours, theirs = _held_and_waiting(server), _held_and_waiting(real_redis)
    assert ours == theirs
    assert ours[0] == {"blocked_clients": 3, "clients_in_timeout_table": 1}


@pytest.mark.parametrize("cmd", [("PFCOUNT", "h"), ("PUBLISH", "ch", "m"),
                                 ("SPUBLISH", "ch", "m"), ("PFADD", "h", "x")])
def test_pause_write_holds_commands_that_may_propagate(server, real_redis, cmd):
    """PFCOUNT can rewrite its key and PUBLISH feeds replicas: CLIENT PAUSE WRITE holds
    them as it holds writes (GET goes on)."""
    from test_blocking import wait_info_blocked
    for srv in (server, real_redis):
        admin = srv.client()
        admin.pfadd("h", "a")
        client = srv.client()
        conn = client.connection_pool.get_connection()
        try:
            admin.client_pause(30000, all=False)
            conn.send_command(*cmd)
            wait_info_blocked(admin, 1)
            assert admin.get("h") is not None
            admin.client_unpause()
            assert conn.read_response() in (0, 1)
        finally:
            admin.client_unpause()
            client.connection_pool.release(conn)
            client.close()
            admin.delete("h")


def test_debug_digest_matches_redis(server, real_redis):
    """DEBUG DIGEST / DIGEST-VALUE give redis-server's digits for the same data: every
    type and encoding, TTLs, two databases, a stream with deleted entries."""
    from test_persistence import populate
    digests = []
    for srv in (server, real_redis):
        c = srv.client()
        c.flushall()
        empty = c.execute_command("DEBUG", "DIGEST")
        populate(c)
        c.xdel(b"st:big", b"7-0", b"8-0")
        c.zadd(b"z:small", {b"e": -0.0, b"f": 1 / 3})
        keys = sorted(c.keys())
        digests.append((empty, c.execute_command("DEBUG", "DIGEST"),
                        c.execute_command("DEBUG", "DIGEST-VALUE", *keys, b"missing"),
                        c.execute_command("DEBUG", "DIGEST-VALUE")))
        c.flushall()
        c.close()
    assert digests[0] == digests[1]
    assert digests[0][0] == b"0" * 40 and digests[0][1] != b"0" * 40


def test_debug_subcommands_match_redis(diff, r, real):
    ours, theirs = same(r, real, "DEBUG", "HELP")   # Redis's text, for what we have
    lines = iter(theirs)
    assert all(line in lines for line in ours) and ours[-2:] == theirs[-2:]
    assert b"POPULATE <count> [<prefix>] [<size>]" in ours and len(ours) < len(theirs)
    for args in [("DEBUG", "HELP", "x"), ("DEBUG", "DIGEST", "x"),
                 ("DEBUG", "NOSUCH"), ("DEBUG", "ERROR", "MYERR some\r\ntext"),
                 ("DEBUG", "LOG", "from the test"), ("DEBUG", "LOG"),
                 ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"),
                 ("DEBUG", "POPULATE", "3", "p", "-2"), ("DEBUG", "POPULATE", "1", "a", "2", "3"),
                 ("SET", "key:1", "taken"), ("DEBUG", "POPULATE", "5"),
                 ("DEBUG", "POPULATE", "4", "pad", "12"), ("DEBUG", "POPULATE", "3", "cut", "3"),
                 ("DEBUG", "POPULATE", "2", "x" * 200), ("DEBUG", "POPULATE", "0"),
                 ("DEBUG", "POPULATE", "2", "nul\0byte"),
                 ("DBSIZE",), ("GET", "key:1"), ("GET", "key:4"), ("GET", "pad:3"),
                 ("GET", "cut:2"), ("DEBUG", "DIGEST"), ("INFO", "nosuchsection"),
                 *[("DEBUG", "QUICKLIST-PACKED-THRESHOLD", size) for size in
                   ("1b", "5B", "100", "0", "1kb", "2mb", "4gb", "4095mb", "4096mb", "-1", "x",
                    "1.5k", "1 k")],
                 ("DEBUG", "QUICKLIST-PACKED-THRESHOLD"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")]:
        diff(*args)
    assert r.dbsize() == 15      # 5 key:, 4 pad:, 3 cut:, 2 nul: and 1 cut at 127 bytes
    assert r.get("pad:3") == b"value:3" + b"\0" * 5


PROTOCOL_TYPES = [b"string", b"integer", b"double", b"bignum", b"null", b"array", b"set",
                  b"map", b"attrib", b"push", b"verbatim", b"true", b"false", b"nosuch"]


def _protocol_session(port, resp3):
    """DEBUG PROTOCOL for every type, alone and inside MULTI, on one connection: the
    bytes that came back after HELLO's reply, up to the closing PONG."""
    body = b"".join(b"DEBUG PROTOCOL %s\r\n" % t for t in PROTOCOL_TYPES)
    body += b"DEBUG PROTOCOL\r\nDEBUG PROTOCOL a b\r\nDEBUG protocol MAP\r\n"
    body += b"MULTI\r\nDEBUG PROTOCOL attrib\r\nDEBUG PROTOCOL push\r\nDEBUG PROTOCOL bignum\r\nEXEC\r\n"
    got, closed = send_until(port, b"HELLO %d\r\n" % (3 if resp3 else 2) + body + b"PING\r\n",
                             b"+PONG\r\n")
    assert not closed, got
    return got.split(b"modules\r\n*0\r\n", 1)[1]


@pytest.mark.parametrize("resp3", [False, True])
def test_debug_protocol_bytes_match_redis(server, real_redis, resp3):
    """DEBUG PROTOCOL sends redis-server's exact bytes for each type: RESP3's bignum,
    attribute, push, verbatim, set, map and booleans, and their RESP2 stand-ins."""
    ours = _protocol_session(server.port, resp3)
    assert ours == _protocol_session(real_redis.port, resp3)
    assert (b"|1\r\n" in ours and b">2\r\n" in ours) == resp3


def test_slowlog(r):
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.slowlog_reset()
        r.set("slow", "x")
        entries = r.slowlog_get(10)
        assert any(e["command"] == b"SET slow x" for e in entries)
        assert r.slowlog_len() >= 1
        assert raw_reply(r, "SLOWLOG", "GET", "-2").args[0].startswith("count should be")
    finally:
        r.config_set("slowlog-log-slower-than", 10000)


def test_monitor_sees_commands_from_other_loops(server, r):
    mon = server.client()
    got = []
    with mon.monitor() as m:
        def read():
            for item in m.listen():
                got.append(item["command"])
                if "marker" in item["command"]:
                    return
        t = threading.Thread(target=read)
        t.start()
        time.sleep(0.2)
        r.set("marker", "1")
        t.join(10)
    assert any(cmd == "SET marker 1" for cmd in got)


def test_time_and_debug(r, diff):
    sec, usec = r.time()
    assert abs(sec - time.time()) < 5 and 0 <= usec < 1_000_000
    assert r.execute_command("DEBUG", "SLEEP", "0") == b"OK"
    diff("DEBUG", "NOSUCH")
    r.set("o", "123")
    assert b"encoding:int" in r.execute_command("DEBUG", "OBJECT", "o")


# Every read counts a keyspace hit or miss per key, as Redis's lookupKeyRead does; writes
# that only look (lookupKeyWrite) count nothing.
_STAT_COMMANDS = [
    ["TYPE", "s"], ["TYPE", "nope"], ["EXISTS", "a", "nope", "l"], ["TOUCH", "a", "nope"],
    ["OBJECT", "ENCODING", "a"], ["OBJECT", "ENCODING", "nope"], ["OBJECT", "REFCOUNT", "a"],
    ["OBJECT", "IDLETIME", "a"], ["OBJECT", "FREQ", "a"], ["DEBUG", "OBJECT", "a"],
    ["DUMP", "a"], ["DUMP", "nope"], ["PTTL", "a"], ["EXPIRETIME", "a"], ["PERSIST", "a"],
    ["EXPIRE", "a", "100"], ["STRLEN", "nope"], ["GETRANGE", "a", "0", "1"], ["LLEN", "l"],
    ["HGET", "h", "f"], ["HGET", "nope", "f"], ["ZSCORE", "z", "m"], ["SCAN", "0"],
    ["RANDOMKEY"], ["KEYS", "*"], ["APPEND", "a", "x"], ["INCR", "n"], ["GETSET", "a", "2"],
    ["GETDEL", "nope"], ["GETEX", "a"], ["MGET", "a", "nope"], ["SETNX", "a", "1"],
    ["SET", "a", "1", "NX"], ["SET", "a", "1", "GET"], ["SET", "a", "1", "XX"],
    ["SET", "nope", "1", "XX", "GET"], ["SISMEMBER", "s", "m"], ["RENAME", "a", "b"],
    ["COPY", "b", "c"], ["MOVE", "c", "1"], ["SORT", "l", "ALPHA"], ["BITCOUNT", "b"],
    ["PFCOUNT", "nope"], ["LCS", "b", "nope"], ["SUNION", "s", "nope"], ["GET", "b"],
]


def _hits_and_misses(client):
    client.config_resetstat()
    client.set("a", "1")
    client.rpush("l", "x")
    client.sadd("s", "m")
    client.hset("h", "f", "v")
    client.zadd("z", {"m": 1})
    seen = []
    for args in _STAT_COMMANDS:
        before = client.info("stats")
        try:
            client.execute_command(*args)
        except redis.ResponseError:
            pass
        after = client.info("stats")
        seen.append((" ".join(args), after["keyspace_hits"] - before["keyspace_hits"],
                     after["keyspace_misses"] - before["keyspace_misses"]))
    return seen


def test_keyspace_hits_and_misses_match_redis(r, real):
    assert _hits_and_misses(r) == _hits_and_misses(real)


# What each write adds to rdb_changes_since_last_save (what the save points compare):
# Redis counts one per command, or per element for the commands below.
_CHANGE_COMMANDS = [
    ["SET", "a", "1"], ["SET", "a", "1", "EX", "100"], ["SETEX", "a", "100", "v"],
    ["PSETEX", "b", "100000", "v"], ["SET", "z", "y", "EX", "100", "GET"], ["SET", "k", "v", "KEEPTTL"],
    ["SET", "k", "v", "NX"], ["GETEX", "k", "PERSIST"], ["COPY", "a", "cp"], ["RENAME", "cp", "rn"],
    ["RENAMENX", "rn", "rn2"], ["MOVE", "rn2", "1"], ["MSET", "m1", "1", "m2", "2"],
    ["MSETNX", "n1", "1", "n2", "2"], ["DEL", "m1", "m2", "nope"], ["UNLINK", "n1", "n2"],
    ["HSET", "h", "a", "1", "b", "2"], ["HSET", "h", "a", "1", "c", "3"], ["HMSET", "h", "x", "1"],
    ["HSETNX", "h", "q", "1"], ["HDEL", "h", "a", "b", "zz"], ["HINCRBY", "h", "n", "1"],
    ["LPUSH", "l", "1", "2", "3"], ["RPUSH", "l", "4", "5"], ["LPUSHX", "l", "6", "7"], ["LPOP", "l"],
    ["RPOP", "l", "2"], ["LSET", "l", "0", "x"], ["LREM", "l", "0", "x"], ["LTRIM", "l", "1", "-1"],
    ["RPOPLPUSH", "l", "l2"], ["LMOVE", "l2", "l", "LEFT", "RIGHT"], ["LMPOP", "1", "l", "LEFT", "COUNT", "2"],
    ["SADD", "s", "a", "b", "c", "a"], ["SREM", "s", "a", "zz"], ["SPOP", "s"], ["SADD", "s", "1", "2", "3", "4"],
    ["SPOP", "s", "2"], ["SPOP", "s", "9"], ["SADD", "s", "a", "b"], ["SMOVE", "s", "s2", "a"],
    ["SINTERSTORE", "s3", "s", "s2"], ["ZADD", "z1", "1", "a", "2", "b"], ["ZADD", "z1", "5", "a", "3", "c"],
    ["ZINCRBY", "z1", "1", "a"], ["ZREM", "z1", "a", "zz"], ["ZPOPMIN", "z1"], ["ZADD", "z2", "1", "a", "2", "b", "3", "c"],
    ["ZPOPMAX", "z2", "2"], ["ZADD", "z2", "1", "a", "2", "b", "3", "c"], ["ZREMRANGEBYRANK", "z2", "0", "1"],
    ["ZUNIONSTORE", "z3", "1", "z2"], ["INCR", "i"], ["INCRBYFLOAT", "fl", "1.5"], ["APPEND", "ap", "x"],
    ["SETRANGE", "sr", "5", "x"], ["SETBIT", "bt", "7", "1"], ["BITOP", "AND", "bo", "bt", "bt"],
    ["SETBIT", "bn", "0", "0"], ["SETBIT", "bn", "0", "0"], ["BITFIELD", "bf", "SET", "i5", "0", "0"],
    ["BITFIELD", "bf", "SET", "i5", "0", "0"], ["BITFIELD", "bf", "SET", "i5", "0", "1", "SET",
                                                "i5", "0", "1", "INCRBY", "u4", "20", "3"],
    ["BITFIELD", "bf2", "SET", "u8", "0", "1", "SET", "u8", "8", "0", "GET", "u8", "0"],
    ["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"],
    ["PFADD", "hl", "a", "b"], ["PFADD", "hl", "a"], ["PFMERGE", "hl2", "hl"], ["XADD", "x", "*", "f", "v"],
    ["EXPIRE", "i", "100"], ["PERSIST", "i"], ["GETDEL", "i"], ["GETSET", "ap", "z"],
    ["GEOADD", "g", "13.36", "38.11", "P", "15.08", "37.50", "C"], ["FLUSHDB"], ["FLUSHDB"],
]


def _changes(client):
    client.flushall()
    client.set("src", "v", ex=100)
    client.execute_command("RESTORE", "r", "100000", client.dump("src"))
    seen = []
    for args in _CHANGE_COMMANDS:
        before = client.info("persistence")["rdb_changes_since_last_save"]
        try:
            client.execute_command(*args)
        except redis.ResponseError:
            pass
        after = client.info("persistence")["rdb_changes_since_last_save"]
        seen.append((" ".join(args), after - before))
    return seen


def test_changes_since_last_save_match_redis(r, real):
    assert _changes(r) == _changes(real)


# Errors in commandstats (rejected before the command ran: arity, unknown subcommand,
# MULTI; failed while it ran) and errorstats, against redis-server.
_ERROR_COMMANDS = [
    ["GET", "l"], ["INCR", "s"], ["SET", "a"], ["SET", "a", "b", "XX", "NX"], ["NOSUCH"], ["GET"],
    ["LPUSH", "s", "x"], ["EXPIRE", "s", "abc"], ["OBJECT", "NOPE"], ["CONFIG", "GET"], ["CONFIG"],
    ["CLIENT", "NOPE"], ["ZADD", "z", "x", "m"], ["SELECT", "99"], ["EXEC"], ["DISCARD"], ["MULTI"],
    ["GET", "s"], ["INCR", "s"], ["BADCMD"], ["HSET", "h", "f"], ["EXEC"], ["WATCH", "x"],
    ["XADD", "x", "bad-id", "f", "v"], ["SETRANGE", "s", "-1", "x"], ["SCAN", "abc"],
    ["GETEX", "s", "EX", "0"],
]


def _error_counts(client):
    client.config_resetstat()
    client.set("s", "x")
    client.rpush("l", "a")
    conn = client.connection_pool.get_connection()
    try:
        for args in _ERROR_COMMANDS:
            conn.send_command(*args)
            try:
                conn.read_response()
            except redis.ResponseError:
                pass
    finally:
        client.connection_pool.release(conn)
    stats = {name: (row["calls"], row["rejected_calls"], row["failed_calls"])
             for name, row in client.info("commandstats").items()}
    return stats, client.info("errorstats"), client.info("stats")["total_error_replies"]


def test_rejected_and_failed_calls_match_redis(r, real):
    ours, theirs = _error_counts(r), _error_counts(real)
    assert ours == theirs
    assert ours[0]["cmdstat_get"][1] == 1 and ours[0]["cmdstat_config|get"][1] == 1


def _info_fields(client):
    conn = client.connection_pool.get_connection()
    try:
        conn.send_command("INFO", "everything")
        text = conn.read_response(disable_decoding=True).decode()
    finally:
        client.connection_pool.release(conn)
    section, fields = None, set()
    for line in text.splitlines():
        if line.startswith("# "):
            section = line[2:]
        elif ":" in line:
            name = line.split(":", 1)[0]
            if name.startswith(("cmdstat_", "errorstat_", "latency_percentiles_usec_")):
                name = name.split("_")[0]
            fields.add((section, "db*" if name[:2] == "db" and name[2:].isdigit() else name))
    return fields


def test_info_has_every_field_redis_has(r, real):
    """Exporters and dashboards read INFO by name: every field redis-server 7.0 shows is
    there (keydb-ft adds its own: threads, GIL, version)."""
    for client in (r, real):
        client.set("k", "v")
    missing = _info_fields(real) - _info_fields(r)
    assert not missing


def test_reads_and_writes_are_counted_per_socket_operation(r):
    before = r.info("stats")
    r.pipeline(transaction=False).set("a", "1").get("a").incr("n").incr("n").execute()
    after = r.info("stats")
    # the INFO call itself is one more read and write on top of the pipeline's one each
    assert after["total_commands_processed"] - before["total_commands_processed"] == 5
    assert 2 <= after["total_reads_processed"] - before["total_reads_processed"] <= 3
    assert 2 <= after["total_writes_processed"] - before["total_writes_processed"] <= 3


def test_debug_and_migrate_inside_multi(server, real_redis, r):
    """DEBUG and MIGRATE take their own locks; inside EXEC, which then holds every
    stripe, they must not wait on it (they used to hang the connection and its keys)."""
    real = real_redis.client()
    real.delete("moved")
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "1")
        pipe.execute_command("DEBUG", "DIGEST-VALUE", "a")
        pipe.execute_command("DEBUG", "POPULATE", "2", "pop")
        pipe.execute_command("DEBUG", "DIGEST")
        pipe.set("moved", "v")
        pipe.execute_command("MIGRATE", "127.0.0.1", real_redis.port, "moved", "0", "5000")
        pipe.execute_command("DEBUG", "RELOAD")
        replies = pipe.execute(raise_on_error=False)
    assert replies[:3] == [True, [r.execute_command("DEBUG", "DIGEST-VALUE", "a")[0]], b"OK"]
    assert replies[3] == r.execute_command("DEBUG", "DIGEST") != b"0" * 40
    assert replies[5] == b"OK" and real.get("moved") == b"v" and r.get("moved") is None
    assert str(replies[6]) == "DEBUG RELOAD is not supported inside MULTI"
    assert r.mget("pop:0", "pop:1") == [b"value:0", b"value:1"]
    real.delete("moved")
    real.close()


# what each secret-bearing command looks like in MONITOR and SLOWLOG: passwords hidden
_SECRET_COMMANDS = (
    ("MIGRATE", "127.0.0.1", "1", "key", "9", "5000"),
    ("MIGRATE", "127.0.0.1", "1", "key", "9", "5000", "AUTH", "pw"),
    ("MIGRATE", "127.0.0.1", "1", "key", "9", "5000", "COPY", "AUTH2", "user", "pw"),
    ("MIGRATE", "127.0.0.1", "1", "", "9", "5000", "AUTH", "pw", "KEYS", "a", "b"),
    ("AUTH", "not-real"),
    ("AUTH", "not-real", "not-a-password"),
    ("AUTH", "a", "b", "c"),
    ("HELLO", "2", "AUTH", "not-real", "not-a-password", "SETNAME", "n"),
    ("HELLO", "2", "AUTH", "only-one"),
    ("HELLO", "9", "AUTH", "u", "p"),
    ("CONFIG", "SET", "masterauth", "s3cret"),
    ("CONFIG", "SET", "masterauth", "", "maxclients", "10000"),
)


_SECRET_NAMES = {b'"%s"' % args[0].encode() for args in _SECRET_COMMANDS}


def _encode(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode())
                                            for a in args)


def _secrets_seen(srv):
    """Run _SECRET_COMMANDS on srv; what a MONITOR and the slowlog showed of them."""
    watcher = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    client = srv.client()
    try:
        watcher.sendall(b"*1\r\n$7\r\nMONITOR\r\n")
        assert watcher.recv(100) == b"+OK\r\n"
        client.config_set("slowlog-log-slower-than", 0)
        client.slowlog_reset()
        sender = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        with sender:                     # raw: redis-py raises on a failed AUTH
            sender.sendall(b"".join(_encode(*args) for args in _SECRET_COMMANDS)
                           + _encode("ECHO", "sent"))
            replies = b""
            while not replies.endswith(b"$4\r\nsent\r\n"):
                replies += sender.recv(65536)
        client.config_set("slowlog-log-slower-than", 10000)
        logged = [entry["command"] for entry in client.slowlog_get(100)][::-1]
        client.execute_command("PING", "end-of-monitor")
        seen = b""
        while b"end-of-monitor" not in seen:
            seen += watcher.recv(65536)
        lines = [line.split(b"] ", 1)[1] for line in seen.split(b"\r\n") if b"] " in line]
        lines = [line for line in lines if line.split(b" ")[0].upper() in _SECRET_NAMES]
        return lines, [e for e in logged if not e.startswith((b"SLOWLOG", b"CONFIG SET slow",
                                                              b"ECHO"))]
    finally:
        watcher.close()
        client.close()


def test_secrets_are_redacted_as_redis_does(server, real_redis):
    """MIGRATE's AUTH / AUTH2, AUTH, HELLO AUTH and CONFIG SET of requirepass or
    masterauth show "(redacted)" in MONITOR and SLOWLOG wherever redis-server 7.0 hides
    them (and only there: a malformed AUTH or HELLO stays as sent)."""
    ours, theirs = _secrets_seen(server), _secrets_seen(real_redis)
    fix_port = lambda rows: [row.replace(b'"%d"' % server.port, b"P").replace(  # noqa: E731
        b'"%d"' % real_redis.port, b"P") for row in rows]
    assert fix_port(ours[0]) == fix_port(theirs[0])
    assert ours[1] == theirs[1]
    assert b'"AUTH" "(redacted)" "(redacted)"' in ours[0]
    assert b"CONFIG SET masterauth (redacted)" in ours[1]
    assert not any(b"pw" in row or b"s3cret" in row for row in ours[0] + ours[1])


def _unix_session(srv, path):
    """What a unix socket client sees: replies, and its CLIENT INFO fields."""
    c = redis.Redis(unix_socket_path=path)
    try:
        c.set("over-unix", "1")
        info = c.client_info()
        cli = subprocess.run(["redis-cli", "-s", path, "GET", "over-unix"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
        return (c.get("over-unix"), cli, info["addr"], info["laddr"], info["flags"],
                c.config_get("unixsocket*"))
    finally:
        c.close()


def test_unix_socket_like_redis(tmp_path):
    """unixsocket / unixsocketperm: clients connect by the socket file (redis-py,
    redis-cli -s), CLIENT INFO shows them by its path with the U flag, the file gets the
    octal mode asked for and goes when the server shuts down, as with redis-server."""
    import stat
    seen = []
    for kind in ("keydb", "redis"):
        d = tmp_path / kind
        d.mkdir()
        path = str(d / "s.sock")
        args = ["--unixsocket", path, "--unixsocketperm", "700"]
        srv = ServerProcess(d, threads=2, args=args) if kind == "keydb" else RealRedis(d, args)
        try:
            seen.append(_unix_session(srv, path))
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
            srv.client().shutdown(nosave=True)
        except redis.ConnectionError:
            pass
        finally:
            srv.stop()
        assert not os.path.exists(path)
        seen[-1] = tuple(x.replace(path, "PATH") if isinstance(x, str) else x
                         for x in seen[-1][:-1]) + ({k: v.replace(path, "PATH")
                                                     for k, v in seen[-1][-1].items()},)
    assert seen[0] == seen[1]
    assert seen[0][2:5] == ("PATH:0", "PATH:0", "U")
