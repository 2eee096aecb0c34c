"""Request parser: multibulk and inline requests, with Redis's limits and error texts.

The parser is owned by one connection (so by one loop thread) and keeps no locks.
feed() takes bytes from the socket; parse() returns the complete requests found, each
a list of bytes. Bad input stops parsing: the requests before it are still returned, and
error holds the exact text Redis replies (after running them) before it closes the
connection.

Two paths. A read that holds only whole, well-formed multibulk requests (the usual
pipelined or single request) is taken whole (take(): by the regex of a request shape the
client has been sending, by a CRLF split, or by hiredis's C reader), and only when it is
exactly what Redis accepts; anything else -- inline requests, a request split across
reads, bad input -- goes through the Python parser below, which owns every error text.
Both paths give the same requests for the same bytes.
"""

import re
from itertools import chain

from hiredis import ProtocolError as _HiredisError
from hiredis import Reader as _Reader

INLINE_MAX = 64 * 1024
UNAUTH_MAX_COUNT = 10          # Redis's limits before AUTH when a password is required
UNAUTH_MAX_BULK = 16384
# an aggregate header with a count of a million or more: hiredis would allocate the
# whole array up front (tens of GiB for '*3000000000'), so such reads take the Python path
_HUGE_ARRAY = re.compile(rb"\n\*[0-9]{7}").search
_HUGE_AGGREGATE_ANYWHERE = re.compile(rb"[*>~|][0-9]{7}").search


class ProtocolError(Exception):
    pass


def _read_int(buf, start, end):
    """Strict decimal, as Redis's string2ll: optional '-', digits without leading zeros,
    no spaces or '+'."""
    text = buf[start:end]
    if text.isdigit() and (text[0] != 48 or len(text) == 1):
        return int(text)
    if text[:1] == b"-" and text[1:].isdigit() and text[1] != 48:
        return -int(text[1:])
    return None


# Tuples, not lists: loops index them, and indexing a list another thread created takes
# the list's lock in the free-threaded interpreter.
_COUNT_HEADERS = tuple(b"*%d" % n for n in range(256))     # canonical '*N' lines
_BULK_HEADERS = tuple(b"$%d" % n for n in range(4096))     # canonical '$len' lines


def _canonical(requests):
    """requests encoded as Redis's parser reads them with no alternative: '*N' and '$len'
    lines without sign or leading zero, CRLF everywhere. TypeError unless requests is a
    list of lists of byte strings; IndexError for 256 arguments or one of 4 KiB or more
    (_canonical_any)."""
    parts = []
    append = parts.append
    counts, bulks, len_ = _COUNT_HEADERS, _BULK_HEADERS, len    # locals: no dict lookups
    for request in requests:
        append(counts[len_(request)])
        for arg in request:
            append(bulks[len_(arg)])
            append(arg)
    append(b"")
    return b"\r\n".join(parts)


_ARGUMENT_COUNTS = {b"*%d" % n: n for n in range(1, 256)}


def _same_length_columns(data):
    """The requests in data by column (columns[j] holds every request's argument j, as
    lists) when all of them have the same number of arguments and data is exactly their
    canonical encoding with no CRLF inside an argument (the usual pipeline: a run of
    GETs, of SETs), else None. Split on CRLF, such a read is a repeating pattern of
    '*N', then N pairs of '$len' and argument, so each header and argument position is
    one slice of the split, checked by C loops: 0.9 us per pipelined SET against 1.2
    through hiredis and _canonical."""
    parts = data.split(b"\r\n")
    n = len(parts) - 1                   # the last part follows the final CRLF: empty
    head = parts[0]
    counts = _ARGUMENT_COUNTS
    k = counts[head] if head in counts else 0       # not counts.get(): threadstate.peek
    if not k or parts[n]:
        return None
    step = 2 * k + 1
    requests, rest = divmod(n, step)
    if rest or parts[0:n:step].count(head) != requests:
        return None
    columns = []
    bulks = _BULK_HEADERS
    try:
        for j in range(2, step, 2):
            column = parts[j:n:step]
            heads = parts[j - 1:n:step]
            size = len(column[0])
            # a column of one length (a command name, fixed-size keys or values): two
            # counts, 0.08 us a request less than the header-by-header comparison
            if (heads.count(bulks[size]) != requests
                    or list(map(len, column)).count(size) != requests):
                if heads != list(map(bulks.__getitem__, map(len, column))):
                    return None
            columns.append(column)
    except IndexError:                   # an argument of 4 KiB or more
        return None
    return tuple(columns)


def _shape(name, sizes):
    """The shape of a request of name and arguments of the given sizes, for
    RequestParser.take to split reads of nothing else by: (request size, the matcher's
    findall, name, argument count).

    The matcher is the canonical encoding of one such request, the name and headers
    literal and each argument a group of exactly its length. A read of n times the
    request size in which findall finds n requests is nothing but them: n matches of
    that size that do not overlap leave no byte over. One regex scan in C splits a read
    of 16 GETs in a quarter of the time the CRLF split takes (perf/README.md), and the
    arguments may hold anything, CRLF included."""
    head = b"*%d\r\n$%d\r\n%s\r\n" % (len(sizes) + 1, len(name), name)
    pattern = re.escape(head) + b"".join(re.escape(b"$%d\r\n" % size) + b"(.{%d})\r\n" % size
                                         for size in sizes)
    size = len(head) + sum(len(b"$%d\r\n\r\n" % size) + size for size in sizes)
    return size, re.compile(pattern, re.DOTALL).findall, name, len(sizes)


def as_requests(taken):
    """take()'s answer as a list of requests (it gives a same-length read by column)."""
    return list(map(list, zip(*taken))) if type(taken) is tuple else taken


def _canonical_any(requests):
    """_canonical() for any count and size (None where that one raises TypeError)."""
    parts = []
    try:
        for request in requests:
            parts.append(b"*%d" % len(request))
            for arg in request:
                parts.append(b"$%d" % len(arg))
                parts.append(arg)
        parts.append(b"")
        return b"\r\n".join(parts)
    except TypeError:
        return None


class RequestParser:
    __slots__ = ("chunks", "size", "need", "max_bulk", "_unauthenticated", "ready", "reader",
                 "error", "shape", "seen", "slow", "seen_heads", "seen_name")

    def __init__(self, max_bulk=512 * 1024 * 1024):
        self.chunks = []
        self.size = 0          # bytes buffered (in chunks and behind ready)
        self.need = 0          # parse() is pointless until size reaches this
        self.max_bulk = max_bulk
        self._unauthenticated = False  # Redis's tighter limits apply (requirepass, no AUTH)
        self.ready = None      # requests split by the fast path, not yet taken by parse()
        self.reader = None     # this connection's hiredis reader, idle between reads
        self.error = None      # the protocol error that ended parsing, if any
        self.shape = None      # the shape this client's reads have had (_shape)
        self.seen = None       # the name and sizes of the last read of one shape
        self.seen_heads = None     # the '$len' lines and name of the last one-request read
        self.seen_name = None
        # error or unauthenticated, in one slot take() reads per read (each slot read
        # counts there); kept by the unauthenticated setter and parse()
        self.slow = False

    @property
    def unauthenticated(self):
        return self._unauthenticated

    @unauthenticated.setter
    def unauthenticated(self, flag):
        self._unauthenticated = flag
        self.slow = flag or self.error is not None

    def take(self, data, counts=_COUNT_HEADERS, bulks=_BULK_HEADERS, len_=len):
        """The requests in data when this parser holds nothing and data is only whole
        requests in the form Redis accepts -- the usual read, pipelined or not; else
        None and data is feed()'s. Either way nothing is buffered. data is not empty.
        Requests that all have the same number of arguments come as a tuple of columns
        (_same_length_columns; dispatch.run_columns runs them so), any others as a list
        of requests (as_requests() turns either into the latter).

        One request (no CRLF-star in the read) is split on CRLF, which lines the
        headers up with the arguments when no argument holds a CRLF; the headers must
        then be exactly the canonical '*N' / '$len' of those arguments (no sign, no
        leading zero, no other type). Several are sliced when they all have the same
        length (_same_length_columns), else go to hiredis (_fast). Before either, a
        read is tried against the shape this client's reads have had (_learn, _shape),
        and comes by column when it is nothing but requests of that shape. The keyword
        arguments are never passed: they make globals locals (see dispatch.run_batch)."""
        # size is 0 exactly when no chunks are buffered and no requests wait in ready
        if self.size or self.slow or data[0] != 42:          # 42: '*'
            return None
        shape = self.shape
        if shape is not None:           # the shape of this client's last read, again?
            size, findall, name, args = shape
            n = len_(data) // size
            if n * size == len_(data):
                found = findall(data)
                if len_(found) == n:
                    if n == 1:          # one request, as the split below gives it
                        if args == 1:
                            return [[name, found[0]]]
                        return [[name, *found[0]]] if args else [[name]]
                    if args == 1:
                        return [name] * n, found
                    return ([name] * n, *zip(*found)) if args else ([name] * n,)
            self.shape = None
        # find(), not `in`: bytes.__contains__ first tries the needle as an integer and
        # builds a TypeError to throw away (0.3 us a call, measured)
        if data.find(b"\r\n*") >= 0:
            columns = _same_length_columns(data)
            if columns is None or (len(data) > self.max_bulk and max(
                    map(len, chain.from_iterable(columns))) > self.max_bulk):
                return self._fast(data)
            self._learn(columns)
            return columns
        parts = data.split(b"\r\n")
        n = len_(parts)
        if n & 1 or n < 4 or parts[n - 1]:
            return None
        args = parts[2:n:2]
        heads = parts[1:n - 1:2]
        try:
            if parts[0] != counts[len_(args)] or heads != [bulks[len_(a)] for a in args]:
                return None
        except IndexError:
            if parts[0] != b"*%d" % len(args) or heads != [b"$%d" % len(a) for a in args]:
                return None
            return [args]
        # Two one-request reads in a row of one shape (the same name, the same argument
        # sizes: an unpipelined client's GETs or SETs): the next ones are matched by that
        # shape's regex, a third of what this split and check cost (0.75 us for a GET).
        # Waiting for the second keeps a client whose requests vary from compiling a
        # matcher per read (_learn).
        if heads == self.seen_heads and args[0] == self.seen_name:
            self.shape = _shape(args[0], [len_(a) for a in args[1:]])
        else:
            self.seen_heads = heads
            self.seen_name = args[0]
        return [args]

    def _learn(self, columns):
        """After a read split by column: when it held one request shape (one name, one
        size per argument) and so did the read before, split this client's next reads
        by that shape (_shape). Waiting for the second read keeps a client whose reads
        change shape from compiling a matcher (about 0.1 ms) per read; shapes that
        recur, across clients too, come from the re module's cache."""
        names = columns[0]
        name = names[0]
        n = len(names)
        if names.count(name) != n:
            self.seen = None
            return
        sizes = [name]
        for column in columns[1:]:
            size = len(column[0])
            if list(map(len, column)).count(size) != n:
                self.seen = None
                return
            sizes.append(size)
        if sizes != self.seen:
            self.seen = sizes
        else:
            self.shape = _shape(name, sizes[1:])

    def feed(self, data):
        if self.error is not None or not data:
            return False
        requests = self.take(data)
        self.size += len(data)          # counted until parse() hands the requests out
        if requests is not None:
            self.ready = as_requests(requests)
            return True
        self.chunks.append(data)
        return self.size >= self.need

    def _fast(self, data):
        """The requests in data if it is nothing but whole multibulk requests in the form
        Redis accepts, else None (then the Python parser takes data from its start).

        hiredis parses any RESP reply and, like Redis, skips the two bytes after a bulk
        string unread, so what it returns proves nothing by itself: a status line, a
        verbatim string or a nested array can pass for arguments, and a header can hide
        behind a bulk whose terminator is not CRLF. The check is therefore exact: the
        requests found must encode back (_canonical) to data byte for byte, and
        whatever encodes that way is what the Python parser reads from it.

        hiredis allocates an aggregate's items as soon as it reads the header, so before
        it sees data no aggregate header may claim a million items or more: where every
        aggregate type byte in data starts a line, the cheap line-start search finds
        them all; otherwise (values holding '*', '>', '~' or '|', or a hidden header)
        the search covers every position."""
        if not data.endswith(b"\r\n") or data[1:8].isdigit():
            return None
        if (data.find(b">") >= 0 or data.find(b"~") >= 0 or data.find(b"|") >= 0
                or data.count(b"*") != data.count(b"\r\n*") + 1):
            if _HUGE_AGGREGATE_ANYWHERE(data):
                return None
        elif _HUGE_ARRAY(data):
            return None
        reader = self.reader
        if reader is None:
            reader = self.reader = _Reader()
        requests = []
        append = requests.append
        gets = reader.gets
        try:
            reader.feed(data)
            while (request := gets()) is not False:
                append(request)
        except _HiredisError:
            self.reader = None
            return None
        if reader.has_data():
            self.reader = None          # possibly inside a reply: start afresh next time
            return None
        try:
            canonical = _canonical(requests)
        except IndexError:              # 256 arguments or more, or one of 4 KiB or more
            canonical = _canonical_any(requests)
        except TypeError:               # not a list of byte strings
            canonical = None
        if canonical != data:
            self.reader = None
            return None
        if len(data) > self.max_bulk and max(map(len, chain.from_iterable(requests))) > self.max_bulk:
            return None
        return requests if all(requests) else [r for r in requests if r]

    @property
    def pending(self):
        return self.size

    def parse(self):
        requests = self.ready
        chunks = self.chunks
        if requests is not None:
            self.ready = None
            if not chunks:
                self.size = 0
                return requests
        elif not chunks:
            return []
        else:
            requests = []
        buf = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            pos = self._parse_into(buf, requests)
        except ProtocolError as exc:
            self.chunks = []
            self.size = 0
            self.error = str(exc)
            self.slow = True
            return requests
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
            count = _read_int(buf, pos + 1, nl)
            if count is None or count > 2147483647:
                raise ProtocolError("Protocol error: invalid multibulk length")
            if count > UNAUTH_MAX_COUNT and self.unauthenticated:
                raise ProtocolError("Protocol error: unauthenticated multibulk length")
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
                if not head.isdigit() or (head[0] == 48 and len(head) > 1):
                    raise ProtocolError("Protocol error: invalid bulk length")
                size = int(head)
                if size > max_bulk:
                    raise ProtocolError("Protocol error: invalid bulk length")
                if size > UNAUTH_MAX_BULK and self.unauthenticated:
                    raise ProtocolError("Protocol error: unauthenticated bulk length")
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
                    current += _ESCAPES[line[i]] if line[i] in _ESCAPES else bytes((line[i],))
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
