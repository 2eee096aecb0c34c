"""Config file parsing, command-line overrides, CONFIG GET/SET/REWRITE/RESETSTAT."""

import os
import subprocess
import sys
import time

import pytest
import redis

from conftest import ROOT, ServerProcess, raw_reply, same


def test_config_get_set_match_redis(r, real):
    cases = [("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "hash-max-*-entries"),
             ("CONFIG", "SET", "maxmemory", "10mb"), ("CONFIG", "GET", "maxmemory"),
             ("CONFIG", "SET", "maxmemory", "abc"), ("CONFIG", "SET", "nosuch", "1"),
             ("CONFIG", "SET", "hz", "1000"), ("CONFIG", "SET", "hz", "x"),
             ("CONFIG", "SET", "protected-mode", "maybe"), ("CONFIG", "SET", "daemonize", "yes"),
             ("CONFIG", "SET", "maxmemory", "0"), ("CONFIG", "SET", "loglevel", "loud"),
             ("CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "2mb"),
             ("CONFIG", "SET", "timeout"), ("CONFIG", "SET", "slowlog-max-len", "64"),
             ("CONFIG", "GET", "slowlog-max-len"), ("CONFIG", "SET", "slowlog-max-len", "128"),
             ("CONFIG", "GET", "nosuch*"), ("CONFIG", "SET", "save", "100 x"),
             ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
             ("CONFIG", "GET", "maxmemory-policy"),
             ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
             ("CONFIG", "GET", "maxmemory*"), ("CONFIG", "SET", "maxmemory-clients", "10%"),
             ("CONFIG", "GET", "maxmemory-clients"),
             ("CONFIG", "SET", "maxmemory-clients", "101%"),
             ("CONFIG", "SET", "maxmemory-clients", "abc"),
             ("CONFIG", "SET", "maxmemory-clients", "64mb"),
             ("CONFIG", "GET", "maxmemory-clients"), ("CONFIG", "SET", "maxmemory-clients", "0")]
    for events in ("gKE", "$lshzxeKE", "KA", "EA", "Ex", "mKExg", "tdnK", "AKEm", "Q", ""):
        cases += [("CONFIG", "SET", "notify-keyspace-events", events),
                  ("CONFIG", "GET", "notify-keyspace-events")]
    for case in cases:
        ours, theirs = same(r, real, *case)
        if case[1] == "GET" and isinstance(ours, list):   # RESP2 pairs, in hash order
            ours, theirs = dict(zip(ours[::2], ours[1::2])), dict(zip(theirs[::2], theirs[1::2]))
        assert ours == theirs, case


def test_config_get_patterns_match_redis(r, real):
    """CONFIG GET's patterns as Redis reads them: a name without * ? [ in any case,
    replied as spelled; otherwise Redis's glob ([^x] negates, [!x] is a class of two
    characters), case-insensitive; a name matched twice shown once."""
    patterns = [("MAXMEMORY",), ("MaxMemory-*",), ("maxmemory-p[!o]*",), ("maxmemory-p[^o]*",),
                ("maxmemory\\-policy",), ("maxmemory-polic\\y*",), ("SLAVEOF",),
                ("replica-read-only", "slave-read-o*"), ("maxmemory", "MAXMEMORY"),
                ("MAXMEMORY", "maxmemory*"), ("maxmemory*", "MAXMEMORY"), ("hz", "HZ", "Hz"),
                ("[h]z",), ("[H-I]Z",), ("h?",), ("maxmemory-polic?",), ("[",), ("hz[",),
                ("lfu-*-*",), ("*-max-listpack-value",)]
    for args in patterns:
        ours, theirs = same(r, real, "CONFIG", "GET", *args)
        assert ours == theirs and isinstance(ours, dict), args    # maps: hash order
    assert same(r, real, "CONFIG", "GET", "MAXMEMORY")[0] == {b"MAXMEMORY": b"0"}


def test_hz_is_kept_within_1_and_500_like_redis(r, real, tmp_path):
    """hz is a hint: values 0..INT_MAX are accepted and kept within 1..500, on CONFIG SET
    and from the file, as redis-server does; INFO reports the kept value."""
    try:
        for value in ("1000", "0", "500", "2147483647", "-1", "37"):
            for c in (r, real):
                raw_reply(c, "CONFIG", "SET", "hz", value)
            ours, theirs = same(r, real, "CONFIG", "GET", "hz")
            assert ours == theirs, value
        assert r.config_get("hz") == {"hz": "37"} and r.info("server")["hz"] == 37
        r.config_set("hz", 0)
        assert r.info("server")["configured_hz"] == 1 and r.ping()
    finally:
        for c in (r, real):
            c.config_set("hz", 10)
    srv = ServerProcess(tmp_path, config_text="hz 100000\n")
    try:
        assert srv.client().config_get("hz") == {"hz": "500"}
    finally:
        srv.stop()


def test_config_file_and_overrides(tmp_path):
    conf = """# comment
port 1
include {inc}
hz 20
save 900 1
save 300 10
"""
    inc = tmp_path / "extra.conf"
    inc.write_text('maxmemory-policy "allkeys-lru"\nslowlog-max-len 7\n')
    srv = ServerProcess(tmp_path, threads=2, config_text=conf.format(inc=inc))
    try:
        c = srv.client()
        got = c.config_get("*")
        assert got["hz"] == "20"
        assert got["maxmemory-policy"] == "allkeys-lru"
        assert got["slowlog-max-len"] == "7"
        assert got["port"] == str(srv.port)          # the command line overrides the file
        assert got["save"] == ""                     # --save "" from the fixture clears points
        assert c.config_set("hz", 15)
        assert c.config_rewrite()
        text = (tmp_path / "keydb.conf").read_text()
        assert "hz 15" in text and "# comment" in text
    finally:
        srv.stop()


def test_bad_directive_is_fatal(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("port 7777\nnot-an-option yes\n")
    env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-m", "keydb_ft", str(conf)], capture_output=True,
                          text=True, timeout=60, env=env)
    assert proc.returncode != 0
    assert "FATAL CONFIG FILE ERROR" in proc.stderr
    assert "at line 2" in proc.stderr
    assert "Bad directive or wrong number of arguments" in proc.stderr


def test_resetstat_clears_counters(r):
    r.set("a", 1)
    r.get("a")
    assert r.info("stats")["total_commands_processed"] > 0
    r.config_resetstat()
    stats = r.info("commandstats")
    assert "cmdstat_get" not in stats


def test_requirepass_and_auth(r, server):
    r.config_set("requirepass", "s3cret")
    try:
        other = server.client()
        with pytest.raises(redis.AuthenticationError):
            other.get("x")
        fresh = server.client(password="wrong")
        with pytest.raises(redis.AuthenticationError) as exc:
            fresh.ping()
        assert "invalid username-password pair" in str(exc.value)
        good = server.client(password="s3cret")
        assert good.ping()
        hello = good.execute_command("HELLO", "3", "AUTH", "default", "s3cret")
        assert hello[b"proto"] == 3
    finally:
        server.client(password="s3cret").config_set("requirepass", "")


def test_listen_and_protected_options_match_redis(r, real):
    """CONFIG SET port / bind to what cannot be taken fails with Redis's words and
    changes nothing; dir and dbfilename are protected configs (enable-protected-configs
    no); rdbchecksum and socket-mark-id are immutable; a value set to itself is OK."""
    import socket
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = str(taken.getsockname()[1])
        for args in (("port", port), ("bind", "10.255.255.254"), ("dir", "/tmp"),
                     ("dbfilename", "x.rdb"), ("dbfilename", "a/b.rdb"), ("rdbchecksum", "yes"),
                     ("socket-mark-id", "0"),
                     ("port", "70000")):
            ours, theirs = same(r, real, "CONFIG", "SET", *args)
            assert ours == theirs, args
            assert isinstance(raw_reply(r, "CONFIG", "SET", *args), redis.ResponseError)
    finally:
        taken.close()
    for srv in (r, real):
        bind = srv.config_get("bind")["bind"]
        assert raw_reply(srv, "CONFIG", "SET", "bind", bind) == b"OK"
        assert srv.ping()


def test_config_set_port_and_bind_move_the_listeners(tmp_path):
    """CONFIG SET port moves the server to a new port (the old one refuses, clients
    already connected stay); CONFIG SET bind likewise; enable-protected-configs local
    lets a client on this host set dir."""
    import socket

    from conftest import free_port
    srv = ServerProcess(tmp_path, threads=2, args=["--enable-protected-configs", "local"])
    try:
        c = srv.client()
        other = srv.client()
        assert other.ping()
        new_port = free_port()
        assert c.config_set("port", new_port)
        moved = redis.Redis(port=new_port)
        assert moved.ping() and moved.config_get("port")["port"] == str(new_port)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        assert other.ping() and c.ping()                 # still connected
        assert moved.config_set("bind", "127.0.0.1 -::1")
        assert redis.Redis(port=new_port).ping()
        assert moved.config_set("dir", str(tmp_path))    # local: allowed
        with pytest.raises(redis.ResponseError, match="can't be a path, just a filename"):
            moved.config_set("dbfilename", "sub/dump.rdb")
        moved.close()
    finally:
        srv.stop()


def test_hidden_configs_are_shown_by_name_only(r, real):
    """rdb-key-save-delay, key-load-delay and loading-process-events-interval-bytes, as
    Redis 7.0 has them: CONFIG GET shows them when asked by name, never for a pattern."""
    hidden = ("rdb-key-save-delay", "key-load-delay", "loading-process-events-interval-bytes")
    for srv in (r, real):
        everything = srv.config_get("*")
        assert not any(name in everything for name in hidden)
        assert srv.config_get("*delay*").keys() == real.config_get("*delay*").keys()
    for name in hidden:
        assert r.config_get(name) == real.config_get(name)


def test_percentiles_are_shown_as_redis_prints_them(r, real):
    """latency-tracking-info-percentiles reads back in Redis's "%f" without trailing
    zeros ("0.0 50.0 100.0" -> "0 50 100"), and INFO latencystats labels likewise."""
    for srv in (r, real):
        srv.config_set("latency-tracking-info-percentiles", "0.0 50.0 99.90 100.0")
    try:
        assert (r.config_get("latency-tracking-info-percentiles")
                == real.config_get("latency-tracking-info-percentiles")
                == {"latency-tracking-info-percentiles": "0 50 99.9 100"})
        r.set("p", 1)
        assert list(r.info("latencystats")["latency_percentiles_usec_set"]) == [
            "p0", "p50", "p99.9", "p100"]
    finally:
        for srv in (r, real):
            srv.config_set("latency-tracking-info-percentiles", "50 99 99.9")


OUTPUT_LIMIT_STEPS = ("wrong number", "invalid_class 10mb 10mb 60", "master 10mb 10mb 60",
                      "normal 10mbs 10mb 60", "replica 10mb 10mbs 60", "pubsub 10mb 10mb 60s",
                      "normal -1 0 0",
                      "normal 1mb 2mb 60 replica 3mb 4mb 70 pubsub 5mb 6mb 80",
                      "pubsub 100000 0 0", "NORMAL 1 2 3", "slave 0 0 0", "")


def test_output_buffer_limit_setting_matches_redis(r, real):
    """client-output-buffer-limit: Redis's errors for a malformed value, and a value
    that names some classes changes only those, read back in bytes for all three."""
    default = real.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    try:
        for step in OUTPUT_LIMIT_STEPS:
            ours, theirs = same(r, real, "CONFIG", "SET", "client-output-buffer-limit", step)
            assert ours == theirs, step
            assert (r.config_get("client-output-buffer-limit")
                    == real.config_get("client-output-buffer-limit")), step
    finally:
        for srv in (r, real):
            srv.config_set("client-output-buffer-limit", default)
    assert r.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == default


def _reply_over_the_limit(srv):
    """A normal client whose one reply is bigger than its class's hard limit: what it
    gets (Redis closes it without a byte of the reply)."""
    import socket
    admin = srv.client()
    admin.set("big", "x" * 200000)
    admin.config_set("client-output-buffer-limit", "normal 100000 0 0")
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
            got = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        return got, admin.ping()
    finally:
        admin.config_set("client-output-buffer-limit", "normal 0 0 0")
        admin.delete("big")
        admin.close()


def test_output_hard_limit_closes_a_normal_client_like_redis(server, real_redis):
    ours = _reply_over_the_limit(server)
    assert ours == _reply_over_the_limit(real_redis) == (b"", True)


def test_output_soft_limit_closes_an_idle_subscriber(tmp_path):
    """A subscriber that stops reading stays past the pubsub soft limit: once it has
    been there longer than the soft seconds it is closed, with no more traffic."""
    import socket
    srv = ServerProcess(tmp_path, threads=2, args=["--client-output-buffer-limit",
                                                   "pubsub 0 100000 2"])
    try:
        sub = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n")
        pub = srv.client()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pub.publish("ch", "m" * 10000)
            subs = [c for c in pub.client_list() if c["sub"] == "1"]
            if subs and int(subs[0]["omem"]) >= 100000:
                break
        started = time.monotonic()
        while pub.pubsub_numsub("ch")[0][1] and time.monotonic() - started < 30:
            time.sleep(0.1)
        assert pub.pubsub_numsub("ch")[0][1] == 0
        assert time.monotonic() - started >= 1.5          # not before the soft seconds
        sub.close()
    finally:
        srv.stop()


def _from_127_0_0_2(port):
    """A connection to 127.0.0.1:port made from the loopback address 127.0.0.2."""
    import socket
    return socket.create_connection(("127.0.0.1", port), timeout=5,
                                    source_address=("127.0.0.2", 0))


@pytest.mark.parametrize("kind", ["keydb-ft", "redis-server"])
def test_protected_mode_serves_only_127_0_0_1_and_1(tmp_path, kind):
    """protected-mode yes and no password: a client from any address but 127.0.0.1 or
    ::1 -- another loopback address included, whatever bind says -- gets DENIED and the
    connection closes, counted in rejected_connections; a password or protected-mode no
    lets it in. Both servers alike."""
    from conftest import RealRedis
    srv = ServerProcess(tmp_path) if kind == "keydb-ft" else RealRedis(tmp_path)
    try:
        c = srv.client()
        assert c.config_get("protected-mode") == {"protected-mode": "yes"}
        with _from_127_0_0_2(srv.port) as sock:      # the reply comes unasked
            got = b""
            while chunk := sock.recv(4096):
                got += chunk
        assert got.startswith(b"-DENIED Redis is running in protected mode because protected "
                              b"mode is enabled and no password is set for the default user.")
        assert got.endswith(b"from the outside.\r\n")
        assert c.info("stats")["rejected_connections"] == 1
        c.config_set("protected-mode", "no")
        with _from_127_0_0_2(srv.port) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(100) == b"+PONG\r\n"
        c.config_set("protected-mode", "yes")
        c.config_set("requirepass", "secret")
        with _from_127_0_0_2(srv.port) as sock:
            sock.sendall(b"AUTH secret\r\nPING\r\n")
            got = b""
            while got.count(b"\r\n") < 2:
                got += sock.recv(100)
            assert got == b"+OK\r\n+PONG\r\n"
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["keydb-ft", "redis-server"])
def test_empty_bind_listens_on_no_address(tmp_path, kind):
    """CONFIG SET bind "" closes every TCP listener (new connections are refused, the
    connected client stays and reads back the empty list); setting it again listens
    again. A server started with nothing to listen on exits, as Redis does."""
    import socket

    from conftest import RealRedis
    srv = ServerProcess(tmp_path) if kind == "keydb-ft" else RealRedis(tmp_path)
    try:
        c = srv.client()
        assert c.config_set("bind", "")
        assert c.config_get("bind") == {"bind": ""}
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=5).close()
        assert c.config_set("bind", "127.0.0.1")
        assert redis.Redis(port=srv.port).ping()
    finally:
        srv.stop()
    if kind == "keydb-ft":
        done = subprocess.run([sys.executable, "-m", "keydb_ft", "--port", "0",
                               "--logfile", ""], cwd=tmp_path, env=dict(os.environ, PYTHON_GIL="0",
                              PYTHONPATH=ROOT), capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert "Configured to not listen anywhere, exiting." in done.stdout + done.stderr


def test_replica_connects_from_bind_source_addr(tmp_path):
    """bind-source-addr: a replica's connection to its master comes from that address,
    as the master's INFO shows (its protected mode off: 127.0.0.2 is not 127.0.0.1)."""
    from conftest import RealRedis
    from test_persistence import wait_until
    (tmp_path / "m").mkdir()
    (tmp_path / "r").mkdir()
    master = RealRedis(tmp_path / "m", args=["--protected-mode", "no"])
    replica = ServerProcess(tmp_path / "r", threads=2)
    try:
        r = replica.client()
        assert r.config_set("bind-source-addr", "127.0.0.2")
        r.replicaof("127.0.0.1", master.port)
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
        assert master.client().info("replication")["slave0"]["ip"] == "127.0.0.2"
    finally:
        replica.stop()
        master.stop()


def test_relative_dir_is_resolved_once(tmp_path):
    """A relative dir (as Redis's test harness gives) is where the server moves at start;
    CONFIG GET dir shows the absolute path, as Redis's getcwd() does, and what the
    server writes there later -- a full sync's snapshot for a replica, a SAVE -- lands
    in it, not in a path made relative twice."""
    from test_persistence import wait_until
    (tmp_path / "sub").mkdir()
    (tmp_path / "r").mkdir()
    master = ServerProcess(tmp_path, threads=2,
                           args=["--dir", "sub", "--enable-protected-configs", "yes"])
    replica = ServerProcess(tmp_path / "r", threads=2)
    try:
        m = master.client()
        assert m.config_get("dir") == {"dir": str(tmp_path / "sub")}
        m.set("k", "v")
        r = replica.client()
        r.replicaof("127.0.0.1", master.port)
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", timeout=60)
        wait_until(lambda: r.get("k") == b"v")
        assert m.save() and (tmp_path / "sub" / "dump.rdb").exists()
        assert m.config_set("dir", "..")          # relative to where it is now
        assert m.config_get("dir") == {"dir": str(tmp_path)}
    finally:
        replica.stop()
        master.stop()


def test_rename_command_renames_removes_and_survives_config_rewrite(tmp_path):
    """rename-command: the old name is an unknown command, the new one (any case) runs
    it, "" removes one; COMMAND INFO answers by the new name with the command's own; the
    lines stay through CONFIG REWRITE, so a restart keeps the renames."""
    text = 'rename-command flushdb badger\nrename-command CONFIG ""\nrename-command get Fetch\n'
    (tmp_path / "a").mkdir()
    server = ServerProcess(tmp_path / "a", config_text=text)
    try:
        c = server.client()
        count = raw_reply(c, "COMMAND", "COUNT")
        c.set("k", "v")
        assert c.execute_command("FETCH", "k") == b"v"
        for argv in (["FLUSHDB"], ["CONFIG", "GET", "port"], ["GET", "k"]):
            with pytest.raises(redis.ResponseError, match=f"^unknown command '{argv[0]}'"):
                c.execute_command(*argv)
        info = raw_reply(c, "COMMAND", "INFO", "badger", "flushdb", "fetch")
        assert info[0][0] == b"flushdb" and info[1] is None and info[2][0] == b"get"
        assert c.execute_command("BADGER") == b"OK"
        assert c.dbsize() == 0
        listed = raw_reply(c, "COMMAND", "LIST")
        assert b"flushdb" in listed and b"config" not in listed
        assert c.execute_command("DEBUG", "CONFIG-REWRITE-FORCE-ALL") == b"OK"
        written = (tmp_path / "a" / "keydb.conf").read_text().splitlines()
        assert 'rename-command CONFIG ""' in written and "rename-command get Fetch" in written
    finally:
        server.stop()
    (tmp_path / "b").mkdir()
    again = ServerProcess(tmp_path / "b", config_text="\n".join(written) + "\n")
    try:
        c = again.client()
        assert raw_reply(c, "COMMAND", "COUNT") == count
        with pytest.raises(redis.ResponseError, match="^unknown command 'FLUSHDB'"):
            c.execute_command("FLUSHDB")
        assert c.execute_command("BADGER") == b"OK"
    finally:
        again.stop()


def test_debug_config_rewrite_force_all_writes_a_file_that_starts_the_same(tmp_path):
    """DEBUG CONFIG-REWRITE-FORCE-ALL writes every option, defaults too; a server started
    from that file reads back every option as the first one had it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = ServerProcess(tmp_path / "a", config_text="maxmemory-samples 7\n")
    try:
        c = first.client()
        c.config_set("hz", "33")
        before = c.config_get("*")
        assert c.execute_command("DEBUG", "CONFIG-REWRITE-FORCE-ALL") == b"OK"
        text = (tmp_path / "a" / "keydb.conf").read_text()
        lines = text.splitlines()
        assert "hz 33" in lines and "maxmemory-samples 7" in lines
        assert "timeout 0" in lines                       # a default, written all the same
    finally:
        first.stop()
    second = ServerProcess(tmp_path / "b", config_text=text)
    try:
        after = second.client().config_get("*")
    finally:
        second.stop()
    for name in ("port", "dir", "logfile"):           # the command line's, per server
        before.pop(name), after.pop(name)
    assert after == before


COMMAND_LINE_ERRORS = [
    ["--port"], ["--port", "6380", "--loglevel"], ["--port", "6379", "6380"],
    ["--port", "--loglevel", "verbose"], ["--port", "--bla", "--loglevel", "verbose"],
    ["--logfile", "--my--log--file", "--loglevel", "--bla"], ["--save", "--port", "70000"],
    ["--hz", "5", "--maxmemory"], ["--save", "x"], ["--nosuchoption", "1"],
    ["--shutdown-on-sigint", "save nosave"], ["--loglevel", "verbose", "--hz"],
    ["--port", 'a"b\\c\x01'], ["--replicaof", "127.0.0.1", "abc"], ["--replicaof", "127.0.0.1"],
    ["--replicaof", "127.0.0.1", "70000"], ["--replicaof", "a", "b", "c"],
    ["--replicaof", "127.0.0.1", "-1"], ["--rename-command", "nosuch", "x"],
    ["--rename-command", "get", "set"], ["--rename-command", "get"],
    ["--rename-command", "flushdb", "", "--rename-command", "flushall", "FLUSHDB",
     "--rename-command", "FLUSHDB", "x", "--rename-command", "flushall", "y"],
]


@pytest.mark.parametrize("args", COMMAND_LINE_ERRORS)
def test_command_line_errors_read_as_redis_reads_them(tmp_path, args):
    """redis-server's command line is config text after the file: a `--name` starts a
    line, the words after it are quoted onto it (a `--word` right after a bare
    `--name` is its value). A bad one is the same fatal error, line number, quoted
    line and reason from both servers."""
    import shutil
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed")
    theirs = subprocess.run([redis_server] + args, capture_output=True, text=True, timeout=30,
                            cwd=tmp_path)
    ours = subprocess.run([sys.executable, "-m", "keydb_ft"] + args, capture_output=True,
                          text=True, timeout=60, cwd=tmp_path,
                          env=dict(os.environ, PYTHON_GIL="0", PYTHONPATH=ROOT))
    assert theirs.returncode == ours.returncode == 1
    fatal = theirs.stderr.strip().splitlines()[-3:]
    assert fatal[0].startswith("Reading the configuration file, at line ")
    assert ours.stderr.strip().splitlines()[-3:] == fatal


@pytest.mark.parametrize("args, expected", [
    (["--maxmemory 700mb", "--maxmemory-policy volatile-lru"],
     {"maxmemory": "734003200", "maxmemory-policy": "volatile-lru"}),
    (["--proc-title-template", "--my--title--template", "--loglevel", "verbose"],
     {"proc-title-template": "--my--title--template", "loglevel": "verbose"}),
    (["--save", "--loglevel", "verbose"], {"save": "", "loglevel": "verbose"}),
    (["--loglevel", "verbose", "--save"], {"save": "", "loglevel": "verbose"}),
    (["--proc-title-template", "--save", "--save", "", "--loglevel", "verbose"],
     {"proc-title-template": "--save", "save": "", "loglevel": "verbose"}),
    (["--shutdown-on-sigint", "nosave", "force", "now", "--shutdown-on-sigterm", "nosave force"],
     {"shutdown-on-sigint": "nosave now force", "shutdown-on-sigterm": "nosave force"}),
    (["--shutdown-on-sigint", "force default save save"], {"shutdown-on-sigint": "save force"}),
    (["--save", "60 10", "--save", "30", "5"], {"save": "60 10 30 5"}),
])
def test_command_line_options_as_redis_reads_them(tmp_path, args, expected):
    """Options and values in one word, values that start with `--`, `--save` with
    nothing after it, several values of an option of several: both servers start and
    read them back alike."""
    from conftest import RealRedis
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for srv in (ServerProcess(tmp_path / "a", args=args), RealRedis(tmp_path / "b", args=args)):
        try:
            c = srv.client()
            assert {name: c.config_get(name)[name] for name in expected} == expected
        finally:
            srv.stop()
