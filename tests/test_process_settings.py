"""What a redis.conf sets about the process itself: Debian's stock redis.conf loads as it
is, daemonize, the OOM score, what SIGTERM does (shutdown-on-sigterm), SHUTDOWN FORCE,
and the options keydb-ft accepts for compatibility read and refuse as redis-server's."""

import os
import signal
import subprocess
import sys
import time

import pytest
import redis

from conftest import ROOT, ServerProcess, free_port, same

STOCK_CONF = "/etc/redis/redis.conf"
ACCEPTED = ["disable-thp", "jemalloc-bg-thread", "oom-score-adj", "oom-score-adj-values",
            "proc-title-template", "repl-disable-tcp-nodelay", "repl-diskless-sync-max-replicas",
            "io-threads", "io-threads-do-reads", "shutdown-timeout", "shutdown-on-sigint",
            "shutdown-on-sigterm", "crash-log-enabled", "crash-memcheck-enabled", "syslog-ident",
            "syslog-facility", "latency-tracking-info-percentiles", "ignore-warnings",
            "enable-module-command", "replica-ignore-maxmemory", "slave-ignore-maxmemory",
            "repl-ping-replica-period", "repl-ping-slave-period", "replica-announce-ip",
            "replica-announce-port", "replica-announced", "tracking-table-max-keys",
            "acl-pubsub-default", "propagation-error-behavior",
            "replica-ignore-disk-write-errors", "socket-mark-id", "bind-source-addr",
            "activedefrag", "active-defrag-ignore-bytes", "active-defrag-threshold-lower",
            "active-defrag-threshold-upper", "active-defrag-cycle-min",
            "active-defrag-cycle-max", "active-defrag-max-scan-fields", "slave-lazy-flush",
            "server_cpulist", "bgsave_cpulist", "aof_rewrite_cpulist", "bio_cpulist"]


def test_stock_debian_redis_conf_loads(tmp_path):
    if not os.path.exists(STOCK_CONF):
        pytest.skip("redis-server's package config is not installed")
    with open(STOCK_CONF) as fh:
        text = fh.read()
    srv = ServerProcess(tmp_path, config_text=text,
                        args=["--daemonize", "no", "--pidfile", "", "--oom-score-adj", "no"])
    try:
        c = srv.client()
        assert c.ping()
        assert c.config_get("proc-title-template")["proc-title-template"] == \
            "{title} {listen-addr} {server-mode}"
        assert c.config_get("oom-score-adj-values")["oom-score-adj-values"] == "0 200 800"
    finally:
        srv.stop()


def test_accepted_options_read_and_refuse_like_redis(r, real):
    for name in ACCEPTED:
        ours, theirs = same(r, real, "CONFIG", "GET", name)
        assert ours == theirs, name
    for args in [("oom-score-adj", "maybe"), ("oom-score-adj-values", "1 2"),
                 ("oom-score-adj-values", "1 2 3000"),
                 ("oom-score-adj-values", "1 2 x"), ("proc-title-template", "{bad}"),
                 ("proc-title-template", "{title}"), ("proc-title-template", "x{"),
                 ("proc-title-template", "{}"), ("shutdown-on-sigint", "bogus"),
                 ("latency-tracking-info-percentiles", "50 200"), ("io-threads", "2"),
                 ("repl-diskless-sync-max-replicas", "-1"), ("acl-pubsub-default", "x"),
                 ("replica-announce-port", "70000"), ("syslog-ident", "x"),
                 ("activedefrag", "yes"), ("active-defrag-cycle-max", "100"),
                 ("active-defrag-ignore-bytes", "0"), ("server_cpulist", "0")]:
        ours, theirs = same(r, real, "CONFIG", "SET", *args)
        assert ours == theirs, args
    for args in [("shutdown-on-sigint", "save now"), ("proc-title-template", "{title} {port}"),
                 ("proc-title-template", "{listen-addr}"), ("proc-title-template", "{{title}}"),
                 ("latency-tracking-info-percentiles", "50 99.99"),
                 ("replica-announce-ip", "10.0.0.1"), ("active-defrag-cycle-max", "50")]:
        ours, theirs = same(r, real, "CONFIG", "SET", *args)
        assert ours == theirs == b"OK", args
        ours, theirs = same(r, real, "CONFIG", "GET", args[0])
        assert ours == theirs, args
    for c in (r, real):      # back to the defaults the session's other tests expect
        c.config_set("shutdown-on-sigint", "default")
        c.config_set("proc-title-template", "{title} {listen-addr} {server-mode}")
        c.config_set("latency-tracking-info-percentiles", "50 99 99.9")
        c.config_set("replica-announce-ip", "")
        c.config_set("active-defrag-cycle-max", "25")


def _oom(pid):
    with open(f"/proc/{pid}/oom_score_adj") as fh:
        return int(fh.read())


def test_oom_score_adj(tmp_path):
    srv = ServerProcess(tmp_path, args=["--oom-score-adj", "absolute",
                                        "--oom-score-adj-values", "300 400 500"])
    try:
        c = srv.client()
        assert _oom(srv.proc.pid) == 300
        c.config_set("oom-score-adj-values", "250 400 500")
        assert _oom(srv.proc.pid) == 250
        c.config_set("oom-score-adj", "relative")     # added to the score found first
        assert _oom(srv.proc.pid) == 250 + 0
        assert c.config_get("oom-score-adj") == {"oom-score-adj": "yes"}   # as Redis
        c.execute_command("REPLICAOF", "127.0.0.1", "1")   # the replica's value
        assert _oom(srv.proc.pid) == 400
        c.execute_command("REPLICAOF", "NO", "ONE")
        assert _oom(srv.proc.pid) == 250
        c.config_set("oom-score-adj", "no")          # the score it found comes back
        assert _oom(srv.proc.pid) == 0
        with open(f"/proc/{srv.proc.pid}/oom_score_adj", "w") as fh:
            fh.write("22\n")                         # set from outside: yes adds to it
        c.config_set("oom-score-adj-values", "9 9 9")
        c.config_set("oom-score-adj", "yes")
        assert _oom(srv.proc.pid) == 31
        c.config_set("oom-score-adj", "no")
        assert _oom(srv.proc.pid) == 22
        with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
            c.config_set("oom-score-adj-values", "1 2")
        assert c.config_get("oom-score-adj-values")["oom-score-adj-values"] == "9 9 9"
    finally:
        srv.stop()


@pytest.mark.parametrize("flags, saved", [("nosave", False), ("default", True),
                                          ("save", True)])
def test_sigterm_follows_shutdown_on_sigterm(tmp_path, flags, saved):
    srv = ServerProcess(tmp_path, args=["--save", "3600 1" if flags != "save" else "",
                                        "--shutdown-on-sigterm", flags])
    c = srv.client()
    c.set("k", "v")
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(30) == 0
    assert os.path.exists(tmp_path / "dump.rdb") == saved


def test_shutdown_force_exits_when_the_save_fails(tmp_path):
    srv = ServerProcess(tmp_path, args=["--save", "3600 1", "--enable-protected-configs", "yes"])
    try:
        c = srv.client()
        c.set("k", "v")
        (tmp_path / "a-directory").mkdir()
        c.config_set("dbfilename", "a-directory")      # the save cannot rename onto it
        with pytest.raises(redis.ResponseError, match="Errors trying to SHUTDOWN"):
            c.shutdown()
        assert c.ping()                              # still serving
        with pytest.raises(redis.ConnectionError):
            c.execute_command("SHUTDOWN", "FORCE")
        assert srv.proc.wait(30) == 0
    finally:
        srv.stop()


def test_daemonize(tmp_path):
    port = free_port()
    pidfile = tmp_path / "server.pid"
    env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=ROOT)
    launcher = subprocess.run(
        [sys.executable, "-m", "keydb_ft", "--port", str(port), "--bind", "127.0.0.1",
         "--daemonize", "yes", "--pidfile", str(pidfile), "--dir", str(tmp_path),
         "--logfile", str(tmp_path / "log"), "--save", ""], env=env, timeout=60)
    assert launcher.returncode == 0                  # the parent returns at once
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    try:
        c = redis.Redis(port=port)
        for _ in range(300):
            try:
                assert c.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        assert c.info("server")["process_id"] == pid
        assert os.getsid(pid) == pid                 # its own session, no terminal
        c.shutdown(nosave=True)                      # redis-py takes the closed connection
        for _ in range(300):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{pid}")
        assert not pidfile.exists()                  # removed on the way out
    finally:
        if os.path.exists(f"/proc/{pid}"):
            os.kill(pid, signal.SIGKILL)


def _affinities(pid):
    """CPU list of each of pid's threads."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as fh:
                for line in fh:
                    if line.startswith("Cpus_allowed_list:"):
                        out.append(line.split()[1])
        except OSError:
            pass
    return sorted(out)


def test_cpulists_pin_their_threads(tmp_path):
    from keydb_ft.process import parse_cpulist
    assert parse_cpulist("0-7:2,10") == {0, 2, 4, 6, 10}
    assert parse_cpulist("3") == {3} and parse_cpulist("") is None
    assert parse_cpulist("3-1") is None and parse_cpulist("x") is None
    cpus = sorted(os.sched_getaffinity(0))
    first, last = str(cpus[0]), str(cpus[-1])
    srv = ServerProcess(tmp_path, threads=2, args=["--server_cpulist", first,
                                                   "--bio_cpulist", last,
                                                   "--appendonly", "yes"])
    try:
        client = srv.client()
        assert client.config_get("*_cpulist") == {
            "server_cpulist": first, "bio_cpulist": last, "bgsave_cpulist": "",
            "aof_rewrite_cpulist": ""}
        # two loops and the cron on the first CPU, the AOF writer on the last (each
        # thread pins itself as it starts)
        deadline = time.time() + 10
        while True:
            pinned = _affinities(srv.proc.pid)
            if (pinned.count(first) >= 3 + (first == last) and last in pinned) \
                    or time.time() > deadline:
                break
            time.sleep(0.05)
        assert pinned.count(first) >= 3 + (first == last) and last in pinned, pinned
    finally:
        srv.stop()
    (tmp_path / "bad").mkdir()
    bad = ServerProcess(tmp_path / "bad", threads=1, args=["--server_cpulist", "7-2"])
    try:
        assert bad.client().ping()
        assert "Could not pin the loop 0 thread to server_cpulist 7-2" in bad.log_text()
    finally:
        bad.stop()


def test_config_set_rolls_back_what_applied_before_a_failure(tmp_path):
    """CONFIG SET oom-score-adj yes oom-score-adj-values ... port <taken>: the port
    cannot be had, so every option goes back, and the oom score the first two applied
    is put back too (Redis's test of the same)."""
    import socket
    srv = ServerProcess(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        c = srv.client()
        before = _oom(srv.proc.pid)
        with pytest.raises(redis.ResponseError, match="^CONFIG SET failed \\(possibly related "
                           "to argument 'port'\\) - Unable to listen on this port"):
            c.config_set("oom-score-adj", "yes", "oom-score-adj-values", "1 1 1",
                         "maxmemory", "10000001", "port", str(taken.getsockname()[1]))
        assert _oom(srv.proc.pid) == before
        assert c.config_get("oom-score-adj") == {"oom-score-adj": "no"}
        assert c.config_get("maxmemory") == {"maxmemory": "0"}
        assert srv.client().ping()                       # the old port still listens
    finally:
        taken.close()
        srv.stop()
