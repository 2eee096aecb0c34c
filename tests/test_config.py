"""Config file parsing, command-line overrides, CONFIG GET/SET/REWRITE/RESETSTAT."""

import os
import subprocess
import sys

import pytest
import redis

from conftest import ROOT, ServerProcess, same


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
