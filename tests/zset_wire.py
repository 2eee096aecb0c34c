"""Byte-exact differential checks for the sorted-set and geo tests: a bare RESP client
that returns each reply's raw bytes, so null bulk vs null array, double vs bulk string
and map vs array all count, in RESP2 and RESP3."""

import socket

import pytest


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, (int, float)):
            arg = repr(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class Wire:
    """One connection; call(*args) -> the reply's raw bytes."""

    def __init__(self, port, protocol=2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        if protocol == 3:
            self.call("HELLO", "3")

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(encode(args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def read(self):
        end = self._reply_end(0)
        data, self.buf = self.buf[:end], self.buf[end:]
        return data

    def _line_end(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _reply_end(self, pos):
        eol = self._line_end(pos)
        kind, head = self.buf[pos:pos + 1], self.buf[pos + 1:eol]
        after = eol + 2
        if kind in b"$=!" and kind:
            size = int(head)
            if size < 0:
                return after
            while len(self.buf) < after + size + 2:
                self._fill()
            return after + size + 2
        if kind in b"*~>%|" and kind:
            count = int(head)
            if kind in b"%|":
                count *= 2
            for _ in range(max(count, 0)):
                after = self._reply_end(after)
            return after
        return after


class Pair:
    """The same protocol on keydb-ft and on redis-server; remembers the short arguments
    it sent, so that a reset can delete them as keys (much cheaper than FLUSHALL)."""

    def __init__(self, ours_port, theirs_port, protocol, touched):
        self.protocol = protocol
        self.ours = Wire(ours_port, protocol)
        self.theirs = Wire(theirs_port, protocol)
        self.touched = touched

    def both(self, *args):
        self.touched.update(a for a in args[1:] if isinstance(a, str) and len(a) <= 40)
        return self.ours.call(*args), self.theirs.call(*args)

    def close(self):
        self.ours.close()
        self.theirs.close()


class Differ:
    """check(*args): identical raw replies in RESP2 and RESP3 (both run, in that order,
    against the same data)."""

    def __init__(self, server, real_redis):
        self.touched = set()
        self.pairs = [Pair(server.port, real_redis.port, p, self.touched) for p in (2, 3)]
        self.run("FLUSHALL")

    def check(self, *args):
        replies = []
        for pair in self.pairs:
            ours, theirs = pair.both(*args)
            assert ours == theirs, (f"RESP{pair.protocol} {args!r}:\n keydb-ft {ours!r}\n"
                                    f" redis    {theirs!r}")
            replies.append(ours)
        return replies[0]

    def run(self, *args):
        """A write (or any command) run once, on RESP2, compared."""
        ours, theirs = self.pairs[0].both(*args)
        assert ours == theirs, f"{args!r}:\n keydb-ft {ours!r}\n redis    {theirs!r}"
        return ours

    def reset(self, *setup):
        """Delete every key the tests may have made, then run each setup command (a
        tuple) on both."""
        if self.touched:
            keys = sorted(self.touched)
            self.touched.clear()
            self.pairs[0].both("DEL", *keys)    # counts differ when others flushed one side
            self.touched.clear()
        for args in setup:
            self.run(*args)

    def write(self, setup, *args):
        """A command that changes data: compared in RESP2 and RESP3, each time on fresh
        copies of the setup; returns the RESP2 reply."""
        replies = []
        for pair in self.pairs:
            self.reset(*setup)
            ours, theirs = pair.both(*args)
            assert ours == theirs, (f"RESP{pair.protocol} {args!r}:\n keydb-ft {ours!r}\n"
                                    f" redis    {theirs!r}")
            replies.append(ours)
        return replies[0]

    def close(self):
        for pair in self.pairs:
            pair.close()


def differ_fixture():
    """A module-scoped `differ` fixture for a test module: `differ = differ_fixture()`."""
    @pytest.fixture(scope="module")
    def differ(server, real_redis):
        d = Differ(server, real_redis)
        yield d
        d.close()
    return differ
