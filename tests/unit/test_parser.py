"""The request parser's paths (take(): hiredis or a CRLF split for whole well-formed
reads; the Python parser for the rest) must give the same requests and the same protocol
error for the same bytes, however the bytes are split into reads."""

import random
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from keydb_ft.persistence.aof import encode_command as encode
from keydb_ft.resp.parser import RequestParser, _same_length_columns, as_requests


class PythonOnly(RequestParser):
    __slots__ = ()

    def take(self, data):
        return None


def run(parser, reads):
    """Hand reads over as a client does (take(), else feed() and parse()); collect
    requests until the first protocol error."""
    requests = []
    for data in reads:
        taken = parser.take(data)
        if taken is not None:
            requests += as_requests(taken)
        elif parser.feed(data):
            requests += parser.parse()
        if parser.error is not None:
            break
    return requests, parser.error




ARG = st.binary(max_size=40) | st.sampled_from([b"\r\n*1", b"\r\n+OK", b"\r\n$", b"x" * 300])
REQUEST = st.lists(ARG, min_size=1, max_size=5)
# what a hostile or broken client may put where a bulk string belongs
ODD_ELEMENT = st.sampled_from([b"+PING\r\n", b":12\r\n", b"(123\r\n", b"=8\r\ntxt:PING\r\n",
                               b"_\r\n", b"#t\r\n", b",1.5\r\n", b"$-1\r\n", b"$04\r\nPING\r\n",
                               b"*1\r\n$1\r\na\r\n", b"~1\r\n_\r\n", b"%1\r\n+a\r\n+b\r\n",
                               b"-ERR x\r\n", b"|1\r\n+a\r\n+b\r\n", b"$+4\r\nPING\r\n",
                               b"+0123456789\r\n", b"=7\r\ntxt:abc\r\n"])


@st.composite
def stream(draw):
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parts.append(b"*%d\r\n" % draw(st.sampled_from([0, -1])))
        elif kind == 1:
            parts.append(b"*2\r\n$4\r\nECHO\r\n" + draw(ODD_ELEMENT))
        elif kind == 3:
            # a bulk whose two terminator bytes are not CRLF (skipped unread) hides what
            # follows from any line-start check
            parts.append(b"*4\r\n$4\r\nECHO\r\n$1\r\na" + draw(st.sampled_from([b"XY", b"\n\r"]))
                         + draw(ODD_ELEMENT) + draw(ODD_ELEMENT))
        elif kind == 2:
            parts.append(draw(st.sampled_from([b"PING\r\n", b"*01\r\n$4\r\nPING\r\n",
                                               b"*1\r\n$4\r\nPING", b"$4\r\nPING\r\n",
                                               b"*3000000000\r\n", b"*2000000000\r\n",
                                               b"*2\r\n$1\r\na\r\n~3000000000\r\n"])))
        else:
            parts.append(encode(draw(REQUEST)))
    data = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=3)))
    reads, last = [], 0
    for cut in cuts + [len(data)]:
        if cut > last:
            reads.append(data[last:cut])
            last = cut
    return reads


@settings(max_examples=400, deadline=None)
@given(stream())
def test_both_paths_agree(reads):
    assert run(RequestParser(), reads) == run(PythonOnly(), reads)


def test_fast_path_takes_a_pipelined_read():
    parser = RequestParser()
    data = b"".join(encode([b"SET", b"key:%d" % i, b"v" * 64]) for i in range(16))
    assert as_requests(parser.take(data)) == [[b"SET", b"key:%d" % i, b"v" * 64] for i in range(16)]
    assert parser.take(encode([b"GET", b"k" * 5000])) == [[b"GET", b"k" * 5000]]
    big = [[b"SET", b"k", b"v" * 5000], [b"GET", b"k"], [b"DEL"] + [b"k"] * 300]
    assert parser.take(b"".join(map(encode, big))) == big
    starry = [[b"SET", b"k|1", b"a*123>~"], [b"GET", b"*30"]]
    assert as_requests(parser.take(b"".join(map(encode, starry)))) == starry
    # what might be a huge hidden header goes to the Python parser, with the same result
    huge = b"".join(map(encode, [[b"SET", b"k", b"*3000000000"], [b"GET", b"k"]]))
    assert parser.take(huge) is None
    assert run(RequestParser(), [huge]) == ([[b"SET", b"k", b"*3000000000"], [b"GET", b"k"]], None)
    assert parser.take(b"*1\r\n$4\r\nPING") is None          # incomplete: feed()'s
    assert parser.pending == 0
    assert parser.feed(data)
    assert parser.ready is not None and not parser.chunks
    assert parser.parse() == [[b"SET", b"key:%d" % i, b"v" * 64] for i in range(16)]
    assert parser.pending == 0


def test_same_length_pipelines_are_split_without_hiredis():
    """Requests of one length are taken by slicing the CRLF split; the rest (a CRLF in
    an argument, requests of different lengths, arguments of 4 KiB) by hiredis, with
    the same result."""
    sets = [[b"SET", b"k%d" % i, b"v" * i] for i in range(20)]
    gets = [[b"GET", b"k%d" % i] for i in range(20)]
    crlf = [[b"SET", b"k", b"a\r\nb"], [b"GET", b"k"], [b"SET", b"k", b"*2\r\n$1"]]
    big = [[b"SET", b"k", b"v" * 5000], [b"SET", b"j", b"w"]]
    for requests, split in ((sets, True), (gets, True), (sets + gets, False),
                            (crlf, False), (big, False), (gets[:1] + [[b"PING"]], False)):
        data = b"".join(map(encode, requests))
        columns = _same_length_columns(data)
        assert (columns is not None and as_requests(columns) == requests) is split
        assert as_requests(RequestParser().take(data)) == requests
    # a header that is not canonical, or a count that does not match, is never split
    for data in (b"*2\r\n$3\r\nGET\r\n$01\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
                 b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$2\r\nk\r\n",
                 b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*02\r\n$3\r\nGET\r\n$1\r\nk\r\n",
                 # every header of a column alike, and an argument that does not fit it
                 # (the lengths of the second pair add up to what the headers say)
                 b"*2\r\n$3\r\nGET\r\n$2\r\nkk\r\n*2\r\n$3\r\nGET\r\n$2\r\nkkk\r\n",
                 b"*2\r\n$3\r\nGET\r\n$2\r\nk\r\n*2\r\n$3\r\nGET\r\n$2\r\nkkk\r\n",
                 b"*2\r\n$3\r\nGET\r\n$2\r\nkk\r\n*2\r\n$3\r\nGEX\r\n$3\r\nkk\r\n"):
        assert _same_length_columns(data) is None
        assert run(RequestParser(), [data]) == run(PythonOnly(), [data])
    limited = RequestParser(max_bulk=10)
    data = b"".join(map(encode, [[b"SET", b"k", b"v" * 11], [b"SET", b"k", b"v"]]))
    assert limited.take(data) is None
    assert run(RequestParser(max_bulk=10), [data]) == ([], "Protocol error: invalid bulk length")


def test_reads_of_a_learned_shape_are_matched_whole():
    """After two reads of one request shape (one name, one size per argument) a
    client's reads of that shape are split by its matcher, which takes any argument
    bytes and nothing that is not the shape's canonical encoding from end to end."""
    def read(requests):
        return b"".join(map(encode, requests))

    cases = [  # learned from plain reads, then reads of the same shape
        ([[b"SET", b"k%03d" % i, b"v" * 8] for i in range(4)],
         [[[b"SET", b"a\r\n*", b"\r\n$3\r\nGET"]] * 3,            # CRLF and headers inside
          [[b"SET", b"kkkk", b"vvvvvvvv"]],                         # one request
          [[b"SET", b"kkkkk", b"vvvvvvv"]] * 2,                     # same size, other split
          [[b"SET", b"k", b"v"]] * 2]),
        ([[b"GET", b"key:%012d" % i] for i in range(3)],
         [[[b"GET", b"x" * 16], [b"TTL", b"y" * 16]],               # another name, same size
          [[b"GET", b"*2\r\n$3\r\nGET\r\n$2\r\n"]] * 5]),
        ([[b"PING"]] * 3, [[[b"PING"]] * 7, [[b"ping"]] * 2]),
        ([[b"MSET", b"a", b"1", b"b", b"2"]] * 2,
         [[[b"MSET", b"\r", b"\n", b"*", b"$"]] * 4]),
    ]
    for plain, later in cases:
        parser = RequestParser()
        for learned in (False, True):
            assert as_requests(parser.take(read(plain))) == plain
            assert (parser.shape is not None) is learned
        for requests in later:
            assert as_requests(parser.take(read(requests))) == requests
            assert run(PythonOnly(), [read(requests)]) == (requests, None)
    # bytes of the shape's size that are not its requests: the Python parser's answer
    gets = read([[b"GET", b"kk"]] * 2)
    for data in (gets.replace(b"$2\r\nkk", b"$02\r\nk"),
                 gets.replace(b"GET", b"GEX", 1),
                 gets[:-2] + b"\n\n",
                 # a short argument and a stray byte: Redis skips the two bytes after
                 # a bulk unread, so this is GET "k\r" and GET "kk"
                 b"*2\r\n$3\r\nGET\r\n$2\r\nk\r\nX*2\r\n$3\r\nGET\r\n$2\r\nkk\r\n",
                 b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$3\r\nkkk\r\n"):
        parser = RequestParser()
        parser.take(gets), parser.take(gets)
        assert parser.shape is not None and len(data) in (len(gets), len(gets) + 1)
        assert run(parser, [data]) == run(PythonOnly(), [data])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_learned_shapes_agree_with_the_python_parser(data):
    """Two plain reads of one shape, then reads of that shape's size with any argument
    bytes and a few bytes changed anywhere."""
    name = data.draw(st.sampled_from([b"GET", b"SET", b"PING", b"hset"]))
    sizes = data.draw(st.lists(st.integers(0, 12), max_size=3))

    def request(plain):
        args = [data.draw(st.binary(min_size=size, max_size=size)) for size in sizes]
        return [name] + [a.replace(b"\r", b"x") if plain else a for a in args]

    def read(plain):
        return b"".join(encode(request(plain)) for _ in range(data.draw(st.integers(1, 4))))

    reads = [read(True) + read(True), read(True) + read(True)]
    for _ in range(data.draw(st.integers(1, 3))):
        raw = bytearray(read(False))
        for _ in range(data.draw(st.integers(0, 2))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        reads.append(bytes(raw))
    assert run(RequestParser(), reads) == run(PythonOnly(), reads)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_one_request_reads_learn_their_shape(data):
    """An unpipelined client: two one-request reads of one shape teach the parser that
    shape, and later one-request reads of its size -- any argument bytes, a few bytes
    changed anywhere -- are read as the Python parser reads them, one request at a
    time (a list, for run_batch), not by column."""
    name = data.draw(st.sampled_from([b"GET", b"SET", b"PING", b"hset"]))
    sizes = data.draw(st.lists(st.integers(0, 12), max_size=3))

    def request(plain):
        args = [data.draw(st.binary(min_size=size, max_size=size)) for size in sizes]
        # plain: no CRLF, and no "*" after one (a read with CRLF-star goes by column)
        return [name] + [a.replace(b"\r", b"x").replace(b"*", b"x") if plain else a
                         for a in args]

    parser = RequestParser()
    for learned in (False, True):
        one = request(True)
        assert as_requests(parser.take(encode(one))) == [one]
        assert (parser.shape is not None) is learned
    reads = []
    for _ in range(data.draw(st.integers(1, 3))):
        raw = bytearray(encode(request(False)))
        for _ in range(data.draw(st.integers(0, 2))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        reads.append(bytes(raw))
    expected = run(PythonOnly(), reads)
    assert run(parser, reads) == expected
    parser = RequestParser()
    parser.take(encode(one)), parser.take(encode(one))
    taken = parser.take(reads[0])
    if taken is not None:           # else the Python parser's, as run() checked
        assert as_requests(taken) == run(PythonOnly(), reads[:1])[0]


def test_one_request_shapes_are_learned_only_when_they_repeat():
    parser = RequestParser()
    for key in (b"a", b"bb", b"c", b"dd"):          # sizes alternate: nothing learned
        assert parser.take(encode([b"GET", key])) == [[b"GET", key]]
        assert parser.shape is None
    for name in (b"GET", b"TTL"):                   # same sizes, another name
        assert parser.take(encode([name, b"ee"])) == [[name, b"ee"]]
    assert parser.shape is None
    assert parser.take(encode([b"TTL", b"ff"])) == [[b"TTL", b"ff"]]
    assert parser.shape is not None
    assert parser.take(encode([b"TTL", b"\r\n"])) == [[b"TTL", b"\r\n"]]
    assert parser.take(encode([b"TTL", b"g"])) == [[b"TTL", b"g"]]   # other size: split
    assert parser.shape is None


def test_strict_lengths_and_unauthenticated_limits():
    for bad, text in [(b"*1\r\n$04\r\nPING\r\n", "invalid bulk length"),
                      (b"*01\r\n$4\r\nPING\r\n", "invalid multibulk length"),
                      (b"*-0\r\n", "invalid multibulk length")]:
        assert run(RequestParser(), [bad]) == ([], "Protocol error: " + text)
    parser = RequestParser()
    parser.unauthenticated = True
    assert run(parser, [encode([b"a"] * 11)]) == (
        [], "Protocol error: unauthenticated multibulk length")
    parser = RequestParser()
    parser.unauthenticated = True
    assert run(parser, [encode([b"AUTH", b"x" * 16385])]) == (
        [], "Protocol error: unauthenticated bulk length")


def test_requests_before_a_protocol_error_are_kept():
    data = encode([b"SET", b"a", b"1"]) + b"*1\r\n+PING\r\n"
    for parser in (RequestParser(), PythonOnly()):
        assert run(parser, [data]) == ([[b"SET", b"a", b"1"]],
                                       "Protocol error: expected '$', got '+'")


def test_hidden_elements_are_not_taken():
    """hiredis does not look at the two bytes after a bulk string, so a header can hide
    behind them. A verbatim string (4 bytes longer than the bulk hiredis makes of it)
    and a status line (4 shorter) add up to the right length; a hidden array header of
    fifty million items made hiredis allocate 400 MB before anything was checked."""
    ping = encode([b"PING"])
    balanced = ping + b"*3\r\n$1\r\naXY=7\r\ntxt:abc\r\n+0123456789\r\n"
    assert RequestParser().take(balanced) is None
    assert run(RequestParser(), [balanced]) == ([[b"PING"]], "Protocol error: expected '$', got '='")
    for header in (b"*", b">", b"~", b"|"):
        hidden = ping + b"*2\r\n$1\r\naXY" + header + b"50000000\r\n"
        tracemalloc.start()
        try:
            assert RequestParser().take(hidden) is None
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 1 << 20, (header, peak)


def test_random_splits_of_a_long_pipeline():
    rnd = random.Random(7)
    requests = [[b"SET", b"k%d" % i, bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 90)))]
                for i in range(300)]
    data = b"".join(map(encode, requests))
    for _ in range(20):
        cuts = sorted(rnd.sample(range(1, len(data)), 12))
        reads = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
        assert run(RequestParser(), reads) == (requests, None)
