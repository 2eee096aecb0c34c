"""COMMAND DOCS is byte for byte redis-server 7.0's, in RESP2 and RESP3, for every command
and subcommand both servers have; a container lists the subcommands keydb-ft has. So is
CONTAINER HELP where keydb-ft has every subcommand; CLIENT HELP is Redis's without the
subcommands keydb-ft lacks (TRACKING, CACHING, TRACKINGINFO) plus 7.2's SETINFO."""

import socket

import hiredis
import pytest

from conftest import raw_reply
from keydb_ft.persistence.aof import encode_command as encode


class RawConnection:
    """One connection; call() returns a reply's exact bytes (hiredis only finds its end)."""

    def __init__(self, port, resp3):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if resp3:
            self.call(b"HELLO", b"3")

    def call(self, *args):
        self.sock.sendall(encode(list(args)))
        reader, data = hiredis.Reader(notEnoughData=Ellipsis), b""
        while True:
            chunk = self.sock.recv(1 << 20)
            assert chunk, "connection closed"
            data += chunk
            reader.feed(chunk)
            if reader.gets() is not Ellipsis:
                return data

    def close(self):
        self.sock.close()


def _names(client):
    """Every command and subcommand name the server lists."""
    return {n.decode() for n in raw_reply(client, "COMMAND", "LIST")}


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_docs_match_redis_byte_for_byte(server, real_redis, r, real, resp3):
    ours, theirs = _names(r), _names(real)
    shared = sorted(ours & theirs)
    assert len(shared) > 250
    mine, redis_conn = RawConnection(server.port, resp3), RawConnection(real_redis.port, resp3)
    try:
        bad = []
        for name in shared:
            if "|" not in name and raw_reply(r, "COMMAND", "INFO", name)[0][9]:
                continue                # containers: compared below, without subcommands
            a = mine.call(b"COMMAND", b"DOCS", name.encode())
            b = redis_conn.call(b"COMMAND", b"DOCS", name.encode())
            if a != b:
                bad.append(f"{name}:\n  ours   {a[:300]!r}\n  theirs {b[:300]!r}")
        assert not bad, "\n".join(bad[:5]) + f"\n({len(bad)} commands differ)"
    finally:
        mine.close()
        redis_conn.close()


def _doc(client, name):
    """The fields of one command's document, whichever protocol the client speaks."""
    reply = raw_reply(client, "COMMAND", "DOCS", name)
    if isinstance(reply, dict):
        return dict(next(iter(reply.values())))
    fields = reply[1]
    return dict(zip(fields[0::2], fields[1::2]))


def _keys(mapping):
    return set(mapping) if isinstance(mapping, dict) else set(mapping[0::2])


def test_containers_list_their_subcommands(r, real):
    for name in ("config", "client", "object", "xinfo", "command"):
        ours, theirs = _doc(r, name), _doc(real, name)
        ours_subs, theirs_subs = ours.pop(b"subcommands"), theirs.pop(b"subcommands")
        assert ours == theirs, name
        implemented = {n for n in raw_reply(r, "COMMAND", "LIST")
                       if n.startswith(name.encode() + b"|")}
        assert _keys(ours_subs) == implemented, name
        assert implemented <= _keys(theirs_subs) | {b"client|setinfo"}, name


def test_extension_commands_keep_their_declared_docs(r):
    doc = _doc(r, "expiremember")
    assert doc[b"group"] and doc[b"since"] and doc[b"summary"]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_help_matches_redis_byte_for_byte(server, real_redis, resp3):
    mine, redis_conn = RawConnection(server.port, resp3), RawConnection(real_redis.port, resp3)
    try:
        for container in (b"OBJECT", b"CONFIG", b"COMMAND", b"SLOWLOG", b"PUBSUB", b"XINFO",
                          b"XGROUP"):
            assert mine.call(container, b"HELP") == redis_conn.call(container, b"HELP"), container
        ours = mine.call(b"CLIENT", b"HELP").split(b"\r\n")
        theirs = redis_conn.call(b"CLIENT", b"HELP").split(b"\r\n")
    finally:
        mine.close()
        redis_conn.close()
    assert all(line.startswith(b"+") for line in ours[1:-1])       # status lines, as Redis
    setinfo = ours.index(b"+SETINFO <option> <value>")
    kept = ours[1:setinfo] + ours[setinfo + 2:-1]
    assert [line for line in theirs[1:-1] if line in kept] == kept     # Redis's, in order
    assert b"+CACHING (YES|NO)" in theirs and b"+CACHING (YES|NO)" not in ours
