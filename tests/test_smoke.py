"""First contact: the server starts GIL-free, answers redis-py in both protocols, and
the real redis-cli (commands, inline, --pipe)."""

import shutil
import subprocess

import pytest


def test_ping_set_get(r):
    assert r.ping() is True
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"


def test_gil_disabled_in_info(r):
    info = r.info("server")
    assert info["gil_enabled"] == 0
    assert info["redis_version"] == "7.0.15"
    assert "keydb_ft_version" in info


def test_resp3_hello(r3):
    assert r3.set("a", 1)
    hello = r3.execute_command("HELLO", "3")
    assert hello[b"proto"] == 3
    assert hello[b"version"] == b"7.0.15"


def _cli(server, *args, stdin=None):
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli missing")
    return subprocess.run([cli, "-p", str(server.port), *args], input=stdin,
                          capture_output=True, timeout=60).stdout


def test_redis_cli_roundtrip(server, r):
    assert _cli(server, "set", "x", "hello world").strip() == b"OK"
    assert _cli(server, "get", "x").strip() == b"hello world"
    assert _cli(server, "incrby", "n", "5").strip() == b"5"


def test_redis_cli_pipe_mass_insert(server, r):
    lines = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n"
                     % (len(b"key:%d" % i), i, len(b"val:%d" % i), i) for i in range(5000))
    out = _cli(server, "--pipe", stdin=lines)
    assert b"errors: 0, replies: 5000" in out
    assert r.dbsize() == 5000
    assert r.get("key:4999") == b"val:4999"


def test_inline_commands(server, r):
    import socket
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b'SET greeting "hello \\"there\\""\r\nGET greeting\r\nPING\r\n')
        data = b""
        while data.count(b"\r\n") < 4:
            data += s.recv(4096)
    assert data == b'+OK\r\n$13\r\nhello "there"\r\n+PONG\r\n'
