"""Request parser: multibulk and inline requests, with Redis's limits and error texts.

The parser is owned by one connection (so by one loop thread) and keeps no locks.
feed() takes bytes from the socket; parse() returns the complete requests found, each
a list of bytes. A ProtocolError carries the exact text Redis replies before it closes
the connection.
"""

INLINE_MAX = 64 * 1024


class ProtocolError(Exception):
    pass


def _read_int(buf, start, end):
    """Strict decimal, as Redis's string2ll: optional '-', digits, no spaces or '+'."""
    text = buf[start:end]
    if text.isdigit():
        return int(text)
    if text[:1] == b"-" and text[1:].isdigit():
        return -int(text[1:])
    return None


class RequestParser:
    __slots__ = ("chunks", "size", "need", "max_bulk")

    def __init__(self, max_bulk=512 * 1024 * 1024):
        self.chunks = []
        self.size = 0          # bytes buffered in chunks
        self.need = 0          # parse() is pointless until size reaches this
        self.max_bulk = max_bulk

    def feed(self, data):
        self.chunks.append(data)
        self.size += len(data)
        return self.size >= self.need

    @property
    def pending(self):
        return self.size

    def parse(self):
        chunks = self.chunks
        if not chunks:
            return []
        buf = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        requests = []
        try:
            pos = self._parse_into(buf, requests)
        except ProtocolError:
            self.chunks = []
            self.size = 0
            raise
        if pos >= len(buf):
            self.chunks = []
            self.size = 0
            self.need = 0
        else:
            rest = buf[pos:]
            self.chunks = [rest]
            self.size = len(rest)
        return requests

    def _parse_into(self, buf, out):
        n = len(buf)
        pos = 0
        find = buf.find
        while pos < n:
            if buf[pos] != 42:  # not '*': inline request
                end = self._parse_inline(buf, pos, out)
                if end < 0:
                    return pos
                pos = end
                continue
            nl = find(b"\r\n", pos)
            if nl < 0:
                if n - pos > INLINE_MAX:
                    raise ProtocolError("Protocol error: too big mbulk count string")
                self.need = n - pos + 1
                return pos
            head = buf[pos + 1:nl]
            if head.isdigit():
                count = int(head)
            else:
                count = _read_int(buf, pos + 1, nl)
                if count is None:
                    raise ProtocolError("Protocol error: invalid multibulk length")
            if count > 2147483647:
                raise ProtocolError("Protocol error: invalid multibulk length")
            p = nl + 2
            if count <= 0:
                pos = p
                continue
            args = []
            append = args.append
            max_bulk = self.max_bulk
            for _ in range(count):
                if p >= n:
                    self.need = n - pos + 1
                    return pos
                if buf[p] != 36:  # '$'
                    raise ProtocolError("Protocol error: expected '$', got '%s'" % chr(buf[p]))
                nl = find(b"\r\n", p)
                if nl < 0:
                    if n - p > INLINE_MAX:
                        raise ProtocolError("Protocol error: too big bulk count string")
                    self.need = n - pos + 1
                    return pos
                head = buf[p + 1:nl]
                if not head.isdigit():
                    raise ProtocolError("Protocol error: invalid bulk length")
                size = int(head)
                if size > max_bulk:
                    raise ProtocolError("Protocol error: invalid bulk length")
                start = nl + 2
                end = start + size
                if end + 2 > n:
                    self.need = end + 2 - pos
                    return pos
                append(buf[start:end])
                p = end + 2
            out.append(args)
            pos = p
        self.need = 0
        return pos

    def _parse_inline(self, buf, pos, out):
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if len(buf) - pos > INLINE_MAX:
                raise ProtocolError("Protocol error: too big inline request")
            self.need = len(buf) - pos + 1
            return -1
        line = buf[pos:nl]
        if line.endswith(b"\r"):
            line = line[:-1]
        args = split_args(line)
        if args is None:
            raise ProtocolError("Protocol error: unbalanced quotes in request")
        if args:
            out.append(args)
        return nl + 1


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}
_HEX = b"0123456789abcdefABCDEF"


def split_args(line):
    """Split an inline request as redis-cli and Redis do (sdssplitargs); None if unbalanced."""
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f":
            i += 1
        if i >= n:
            return args
        current = bytearray()
        quote = 0
        while True:
            if i >= n:
                if quote:
                    return None
                break
            c = line[i]
            if quote == 34:  # inside "..."
                if (c == 92 and i + 3 < n and line[i + 1] == 120
                        and line[i + 2] in _HEX and line[i + 3] in _HEX):
                    current.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    current += _ESCAPES.get(line[i], bytes((line[i],)))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            elif quote == 39:  # inside '...'
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    current.append(39)
                    i += 1
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            elif c in b" \t\n\r\v\f":
                break
            elif c == 34 or c == 39:
                quote = c
            else:
                current.append(c)
            i += 1
        args.append(bytes(current))
