"""Bad input: protocol errors close the connection with Redis's text, other clients are
unaffected, and the server stays alive with bounded memory."""

import os
import random
import socket
import threading
import time

import pytest

from conftest import raw_reply, send_until


def exchange(port, payload, wait=1.0):
    """Send payload; collect what comes back within `wait` seconds (or until closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        s.settimeout(wait)
        data = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                return data, True
            data += chunk
        return data, False


ERROR_CASES = [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n+PING\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$99999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b'SET "unbalanced\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$04\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*01\r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*2\r\n$4\r\nECHO\r\n=8\r\ntxt:abcd\r\n", b"-ERR Protocol error: expected '$', got '='\r\n"),
    (b"*2\r\n$4\r\nECHO\r\n(12345\r\n", b"-ERR Protocol error: expected '$', got '('\r\n"),
    (b"*2\r\n$4\r\nECHO\r\n~2000000000\r\n", b"-ERR Protocol error: expected '$', got '~'\r\n"),
    # the requests before the bad one run and are answered first
    (b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n+PING\r\n",
     b"$2\r\nhi\r\n-ERR Protocol error: expected '$', got '+'\r\n"),
]


@pytest.mark.parametrize("payload,expected", ERROR_CASES)
def test_protocol_errors_match_redis(server, real_redis, payload, expected):
    ours, closed = exchange(server.port, payload)
    theirs, their_closed = exchange(real_redis.port, payload)
    assert ours == theirs == expected
    assert closed and their_closed


def test_too_big_inline_and_count(server, real_redis):
    for payload in (b"a" * 70000, b"*" + b"1" * 70000):
        ours, closed = exchange(server.port, payload)
        theirs, _ = exchange(real_redis.port, payload)
        assert ours == theirs
        assert closed


def test_unknown_command_and_arity(server, diff):
    diff("NOSUCHCOMMAND", "a", "b")
    diff("nosuch", "x" * 200)
    diff("GET")
    diff("GET", "a", "b")
    diff("CONFIG")
    diff("CONFIG", "NOPE")
    help_text = raw_reply(server.client(), "OBJECT", "HELP")
    assert help_text[0].startswith(b"OBJECT <subcommand>") and b"HELP" in help_text


def test_random_garbage_never_kills_server(server):
    rnd = random.Random(1234)
    for _ in range(200):
        blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300)))
        if rnd.random() < 0.5:
            blob = b"*" + blob
        try:
            exchange(server.port, blob, wait=0.01)
        except OSError:
            pass
    c = server.client()
    assert c.ping()
    assert server.alive()


def test_unauthenticated_limits_match_redis(server, real_redis):
    """Before AUTH, with a password set, Redis refuses more than 10 arguments and bulk
    strings over 16 KiB."""
    server.client().config_set("requirepass", "pw")
    real_redis.client().config_set("requirepass", "pw")
    try:
        for payload in (b"*11\r\n", b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
                        b"*2\r\n$4\r\nAUTH\r\n$16384\r\n" + b"x" * 16384 + b"\r\n"):
            ours = exchange(server.port, payload)
            assert ours == exchange(real_redis.port, payload)
            assert ours[0].startswith(b"-")
    finally:
        real_redis.client(password="pw").config_set("requirepass", "")
        server.client(password="pw").config_set("requirepass", "")


def test_truncated_frames_wait_for_more(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        frame = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
        for i in range(len(frame)):
            s.sendall(frame[i:i + 1])
            time.sleep(0.001)
        assert s.recv(100) == b"+OK\r\n"


def test_disconnect_mid_pipeline_leaves_others_unaffected(server):
    c = server.client()
    c.flushall()
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"*3\r\n$4\r\nINCR\r\n$1\r\nn\r\n" * 0
                  + b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n" * 100 + b"*2\r\n$4\r\nINC")
        s.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and int(c.get("n") or 0) < 2000:
        time.sleep(0.05)
    assert int(c.get("n")) == 2000          # every complete request ran, the partial one did not
    assert c.ping()


def test_huge_bulk_length_does_not_allocate(server):
    """A client announcing a 500 MB bulk and sending little must not make the server
    allocate it; the server keeps serving others."""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"*2\r\n$3\r\nGET\r\n$500000000\r\nabc")
        c = server.client()
        assert c.ping()
        info = c.info("memory")
        assert info["used_memory"] < 400 * 1024 * 1024


def test_many_clients_in_parallel(server):
    errors = []

    def worker(i):
        try:
            c = server.client()
            for j in range(200):
                c.set(f"p:{i}:{j}", j)
                assert int(c.get(f"p:{i}:{j}")) == j
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors


def _pipeline_case(rnd):
    """A read of 1-8 requests: well-formed GET / SET / ECHO, some whose bulk ends in two
    bytes other than CRLF with an odd element behind them, some odd elements alone."""
    def enc(args):
        return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    odd = [b"+OK\r\n", b":1\r\n", b"=7\r\ntxt:abc\r\n", b"+0123456789\r\n", b"$-1\r\n",
           b"*-1\r\n", b"*0\r\n", b"~1\r\n$1\r\na\r\n", b"$03\r\nabc\r\n", b"*1\r\n$1\r\na\r\n",
           b"|1\r\n$1\r\na\r\n$1\r\nb\r\n", b"PING\r\n", b"*2\r\n$3\r\nGET\r\n"]
    values = [b"k", b"v", b"x" * 20, b"a\r\nb", b"*3", b"$4", b"\r\n*1\r\n", b"", b"=5\r\n",
              b"*1234567", b"~9", b"|2"]
    parts = []
    for _ in range(rnd.randint(1, 8)):
        kind = rnd.random()
        if kind < 0.5:
            parts.append(enc([b"SET", rnd.choice(values), rnd.choice(values)]))
        elif kind < 0.8:
            parts.append(enc([b"GET", rnd.choice(values)]))
        elif kind < 0.9:
            parts.append(enc([b"ECHO", rnd.choice(values)])[:-2]
                         + rnd.choice([b"XY", b"\n\r", b"\r\n"]) + rnd.choice(odd))
        else:
            parts.append(rnd.choice(odd))
    return b"".join(parts) + enc([b"PING", b"end of case"])


def test_random_pipelines_answered_byte_for_byte_as_redis(server, real_redis):
    """Whole reads through every path of the parser (one request, same-length pipelines,
    hiredis, the Python parser): the same reply bytes as redis-server, and the
    connection closed after the same protocol errors. A read whose every request ran is
    known to be answered in full when the final PING's echo arrives."""
    rnd = random.Random(20261122)
    end = b"$11\r\nend of case\r\n"
    ping = b"*2\r\n$4\r\nPING\r\n$11\r\nend of case\r\n"
    # found by this generator against the parser of 17:52: a top-level '~' set, its count
    # made up by a value holding CRLF-star, was taken as a request
    found = [
        b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n*3\r\n$3\r\nSET\r\n$20\r\n" + b"x" * 20
        + b"\r\n$6\r\n\r\n*1\r\n\r\n~1\r\n$1\r\na\r\n" + ping,
        b"*2\r\n$4\r\nECHO\r\n$6\r\n\r\n*1\r\n\r\n~1\r\n$1\r\na\r\n"
        b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n" + ping,
    ]
    for case in range(len(found) + 120):
        data = found[case] if case < len(found) else _pipeline_case(rnd)
        replies = [send_until(port, data, end) for port in (server.port, real_redis.port)]
        assert replies[0] == replies[1], data
