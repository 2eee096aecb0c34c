"""RDB codec layer, checked against a real redis-server 7.0 (DUMP/RESTORE, SAVE, load).

The server is /usr/bin/redis-server started on a free 127.0.0.1 port with a temp dir.
"""

import math
import os
import random
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keydb_ft.persistence import intset as IS
from keydb_ft.persistence import listpack as LP
from keydb_ft.persistence import lzf
from keydb_ft.persistence import rdbformat as F
from keydb_ft.persistence import rdbvalue as V
from keydb_ft.persistence import streamlp as SL
from keydb_ft.persistence import ziplist as ZL
from keydb_ft.persistence.crc64 import CRC64_CHECK, crc64, crc64_footer
from keydb_ft.persistence.formaterror import RDBFormatError

REDIS_SERVER = "/usr/bin/redis-server"
pytestmark = pytest.mark.skipif(not os.path.exists(REDIS_SERVER), reason="no redis-server")
INT64 = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)


# ---- server fixture and helpers -------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(workdir: Path, *extra: str):
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--enable-debug-command", "yes",
         "--logfile", str(workdir / "redis.log"), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, client
        except redis.ConnectionError:
            if proc.poll() is not None:
                break
            time.sleep(0.025)
    proc.kill()
    raise RuntimeError((workdir / "redis.log").read_text(errors="replace"))


def stop_redis(proc, client) -> None:
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("redis")
    proc, client = start_redis(workdir)
    yield client, workdir
    stop_redis(proc, client)


@pytest.fixture
def r(server):
    client, _ = server
    client.flushall()
    return client


def dump_body(client, key) -> tuple[int, F.Reader]:
    """RDB type of a DUMP payload and a Reader positioned on the object."""
    body, version = F.parse_dump_payload(client.dump(key))
    assert version == 10
    reader = F.Reader(body)
    return reader.read_type(), reader


def decode_dump(client, key):
    rdbtype, reader = dump_body(client, key)
    value = V.read_object(reader, rdbtype)
    assert reader.at_end()
    return rdbtype, value


def dump_blob(client, key) -> tuple[int, bytes]:
    rdbtype, reader = dump_body(client, key)
    return rdbtype, reader.read_string()


def restore(client, key, rdbtype: int, body: bytes) -> None:
    client.restore(key, 0, F.build_dump_payload(bytes([rdbtype]) + body), replace=True)


def ref_crc64(data: bytes, crc: int = 0) -> int:
    """Bit-at-a-time reflected CRC-64/Jones, the plain definition."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def zl_build(entries) -> bytes:
    """Test-side ziplist builder. entries: (kind, value), kind in str/imm/i8..i64."""
    tags = {"i8": (0xFE, 1), "i16": (0xC0, 2), "i24": (0xF0, 3), "i32": (0xD0, 4),
            "i64": (0xE0, 8)}
    body, prev, tail = b"", 0, 10
    for kind, value in entries:
        if kind == "str":
            n = len(value)
            head = (bytes([n]) if n < 64 else bytes([0x40 | n >> 8, n & 0xFF]) if n < 16384
                    else b"\x80" + n.to_bytes(4, "big"))
            payload = head + value
        elif kind == "imm":
            payload = bytes([0xF1 + value])
        else:
            tag, width = tags[kind]
            payload = bytes([tag]) + value.to_bytes(width, "little", signed=True)
        entry = (bytes([prev]) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")) + payload
        tail = 10 + len(body)
        body += entry
        prev = len(entry)
    return ((11 + len(body)).to_bytes(4, "little") + tail.to_bytes(4, "little")
            + min(len(entries), 0xFFFF).to_bytes(2, "little") + body + b"\xff")


def zl_auto(values) -> bytes:
    def kind(v):
        if isinstance(v, bytes):
            return "str"
        if 0 <= v <= 12:
            return "imm"
        for name, bits in (("i8", 8), ("i16", 16), ("i24", 24), ("i32", 32)):
            if -(1 << bits - 1) <= v < 1 << bits - 1:
                return name
        return "i64"
    return zl_build([(kind(v), v) for v in values])


# ---- CRC64 ----------------------------------------------------------------------

def test_crc64_check_value_and_reference():
    assert crc64(b"123456789") == CRC64_CHECK == ref_crc64(b"123456789")
    assert crc64(b"") == 0
    rng = random.Random(7)
    # lengths straddle every engine tier (table, rows of 374/1333/3216/18718 bytes)
    for n in (1, 7, 8, 399, 400, 401, 2047, 2048, 2049, 16383, 16384, 65535, 65536,
              65537 + 18718 * 2 + 5):
        data = rng.randbytes(n)
        start = rng.getrandbits(64)
        assert crc64(data) == ref_crc64(data), n
        assert crc64(data, start) == ref_crc64(data, start), n


@given(st.binary(max_size=3000), st.binary(max_size=3000), st.integers(0, (1 << 64) - 1))
def test_crc64_is_incremental(a, b, start):
    assert crc64(b, crc64(a, start)) == crc64(a + b, start)
    assert crc64(bytearray(a + b), start) == crc64(memoryview(a + b), start)


def test_crc64_matches_dump_footers(r):
    r.set("s", "x" * 5000)
    r.rpush("l", *[str(i) * 30 for i in range(3000)])
    for key in ("s", "l"):
        payload = r.dump(key)
        assert crc64_footer(payload[:-8]) == payload[-8:]
        assert crc64(payload[:-8]) == ref_crc64(payload[:-8])


# ---- LZF --------------------------------------------------------------------------

COMPRESSIBLE = [
    b"a" * 21, b"abcabcabcabcabcabcabcabc", b"x" * 100 + b"abcabcabc" * 20,
    b"hello world " * 500, bytes(range(256)) * 40, b"0123456789" * 3 + b"!",
    b"".join(b"key:%d:value:%d;" % (i, i * i) for i in range(3000)),
]


def test_lzf_strings_from_redis_decompress_and_match_ours(r):
    rng = random.Random(1)
    values = COMPRESSIBLE + [rng.randbytes(40), rng.randbytes(5000)]
    for i, value in enumerate(values):
        r.set(f"k{i}", value)
        rdbtype, reader = dump_body(r, f"k{i}")
        encoded = bytes(reader.read_view(reader.remaining()))
        assert rdbtype == F.RDB_TYPE_STRING
        assert F.Reader(encoded).read_string() == value
        # our encoder picks the same encoding and (LZF) produces the same bytes
        assert F.encode_string(value) == encoded
        assert (encoded[0] == 0xC3) == (value in COMPRESSIBLE)


@settings(max_examples=300)
@given(st.one_of(
    st.binary(max_size=2000),
    st.lists(st.sampled_from([b"a", b"ab", b"abc", b"\x00", b"xyzxyzxyz", b"q" * 300]),
             max_size=200).map(b"".join)))
def test_lzf_roundtrip(data):
    packed = lzf.compress(data)
    if not data:
        assert packed is None
        return
    assert lzf.decompress(packed, len(data)) == data
    limited = lzf.compress(data, len(data) - 4)
    assert limited is None or (len(limited) <= len(data) - 4 and limited == packed)


def test_lzf_string_we_compress_is_read_by_redis(r):
    for i, value in enumerate(COMPRESSIBLE):
        encoded = F.encode_string(value)
        assert encoded[0] == 0xC3
        restore(r, f"k{i}", F.RDB_TYPE_STRING, encoded)
        assert r.get(f"k{i}") == value
    # a blob written with write_lzf_blob (compressed without Redis's size limit)
    w = F.Writer()
    w.write_lzf_blob(lzf.compress(b"ab" * 30), 60)
    restore(r, "blob", F.RDB_TYPE_STRING, w.getvalue())
    assert r.get("blob") == b"ab" * 30


def test_lzf_overlapping_reference_and_corruption():
    # literal "ab", then copy 7 bytes from 2 back (overlapping) -> "ababababa"
    assert lzf.decompress(b"\x01ab\xa0\x01", 9) == b"ababababa"
    assert lzf.decompress(b"\x01ab\xe0\x03\x01", 14) == b"ab" * 7
    # long reference form: 111ooooo LLLLLLLL oooooooo
    assert lzf.decompress(b"\x00z\xe0\x03\x00", 13) == b"z" * 13
    cases = [
        (b"\x05abc", 6, 0, "literal run"),          # literal runs past the input
        (b"\x20\x00", 3, 0, "before start"),        # reference before any output
        (b"\x01ab\xa0", 14, 3, "truncated"),         # reference missing its offset byte
        (b"\x01ab\xa0\x01", 8, 3, "longer"),         # expands past the declared size
        (b"\x01ab", 3, 3, "expected 3"),            # expands to less
    ]
    for data, size, offset, words in cases:
        with pytest.raises(RDBFormatError, match=words) as info:
            lzf.decompress(data, size, base=100)
        assert info.value.offset == 100 + offset


def test_lzf_corruption_inside_rdb_string_reports_absolute_offset():
    value = b"hello world " * 10
    packed = lzf.compress(value)
    w = F.Writer()
    w.write_bytes(b"\x00" * 7)
    w.write_lzf_blob(packed, len(value) + 1)          # declares one byte too many
    with pytest.raises(RDBFormatError, match="expected 121") as info:
        F.Reader(w.getvalue(), pos=7, base=1000).read_string()
    assert info.value.offset == 1000 + len(w) == 1000 + 7 + 1 + 1 + 2 + len(packed)


# ---- lengths, strings, numbers --------------------------------------------------------

@pytest.mark.parametrize("n, encoded", [
    (0, "00"), (63, "3f"), (64, "4040"), (16383, "7fff"), (16384, "8000004000"),
    (0xFFFFFFFF, "80ffffffff"), (1 << 32, "810000000100000000"),
])
def test_length_encoding_bytes(n, encoded):
    assert F.encode_length(n).hex() == encoded
    assert F.Reader(bytes.fromhex(encoded)).read_length() == n


@given(st.integers(0, (1 << 64) - 1))
def test_length_roundtrip(n):
    w = F.Writer()
    w.write_length(n)
    reader = F.Reader(w.getvalue())
    assert reader.read_length() == n and reader.at_end()


def test_length_errors():
    with pytest.raises(RDBFormatError, match="string encoding") as info:
        F.Reader(b"\x00\xc0\x05", pos=1).read_length()
    assert info.value.offset == 1
    with pytest.raises(RDBFormatError, match="unknown length encoding") as info:
        F.Reader(b"\x82\x00").read_length()
    assert info.value.offset == 0
    with pytest.raises(RDBFormatError, match="truncated") as info:
        F.Reader(b"\x80\x00\x00", base=50).read_length()
    assert info.value.offset == 51


@pytest.mark.parametrize("text, encoded", [
    (b"0", "c000"), (b"-1", "c0ff"), (b"127", "c07f"), (b"-128", "c080"),
    (b"128", "c18000"), (b"-32768", "c10080"), (b"32768", "c200800000"),
    (b"2147483647", "c2ffffff7f"), (b"-2147483648", "c200000080"),
    (b"2147483648", "0a" + b"2147483648".hex()),
    (b"012", "03" + b"012".hex()), (b"-0", "02" + b"-0".hex()), (b"+1", "02" + b"+1".hex()),
    (b" 1", "02" + b" 1".hex()), (b"", "00"), (b"abc", "03616263"),
])
def test_string_integer_encoding_rules(text, encoded):
    assert F.encode_string(text).hex() == encoded
    value = F.Reader(bytes.fromhex(encoded)).read_string_value()
    assert (isinstance(value, int)) == encoded.startswith("c")
    assert F.Reader(bytes.fromhex(encoded)).read_string() == text


def test_string_encoding_matches_redis(r):
    values = [b"0", b"-1", b"12", b"-129", b"65535", b"2147483647", b"2147483648",
              b"-2147483649", b"9223372036854775807", b"007", b"1e3", b"abc",
              b"x" * 20, b"x" * 21, b"y" * 200, os.urandom(64)]
    try:
        for compress in (True, False):
            r.config_set("rdbcompression", "yes" if compress else "no")
            for i, value in enumerate(values):
                r.set(f"k{i}", value)
                payload = r.dump(f"k{i}")
                assert payload[1:-10] == F.encode_string(value, compress), value
    finally:
        r.config_set("rdbcompression", "yes")
    r.incrby("counter", 10_000_000_000)             # an OBJ_ENCODING_INT value
    w = F.Writer()
    w.write_int_string(10_000_000_000)
    assert r.dump("counter")[1:-10] == w.getvalue() == F.encode_string(b"10000000000")


@given(st.floats(allow_nan=True))
def test_binary_double_roundtrip(value):
    w = F.Writer()
    w.write_double(value)
    assert len(w) == 8
    back = F.Reader(w.getvalue()).read_double()
    assert back == value or (math.isnan(value) and math.isnan(back))


@given(st.floats(allow_nan=False))
def test_old_string_double_roundtrip(value):
    w = F.Writer()
    w.write_old_double(value)
    assert F.Reader(w.getvalue()).read_old_double() == value


def test_old_string_double_format_and_redis_reads_it(r):
    def enc(v):
        w = F.Writer()
        w.write_old_double(v)
        return w.getvalue()
    assert enc(math.nan) == b"\xfd" and enc(math.inf) == b"\xfe" and enc(-math.inf) == b"\xff"
    assert enc(1.5) == b"\x031.5" and enc(3.0) == b"\x013" and enc(-0.0) == b"\x010"
    assert enc(0.1) == b"\x130.10000000000000001"
    assert math.isnan(F.Reader(b"\xfd").read_old_double())
    w = F.Writer()                                   # RDB_TYPE_ZSET: old-format scores
    scores = {b"a": 0.1, b"b": -2.0, b"c": math.inf, b"d": 1e300}
    w.write_length(len(scores))
    for member, score in scores.items():
        w.write_string(member)
        w.write_old_double(score)
    restore(r, "z", F.RDB_TYPE_ZSET, w.getvalue())
    assert dict(r.zrange("z", 0, -1, withscores=True)) == scores
    with pytest.raises(RDBFormatError, match="not a number"):
        F.Reader(b"\x03abc").read_old_double()


def test_expiry_idle_freq_and_aux_opcodes():
    w = F.Writer()
    w.write_expire_ms(1_700_000_000_123)
    w.write_u8(F.RDB_OPCODE_EXPIRETIME)
    w.write_seconds_time(1_700_000_000)
    w.write_idle(300)
    w.write_freq(7)
    w.write_aux(b"redis-bits", 64)
    data = w.getvalue()
    assert data[:9] == b"\xfc" + (1_700_000_000_123).to_bytes(8, "little")
    reader = F.Reader(data)
    assert reader.read_type() == F.RDB_OPCODE_EXPIRETIME_MS
    assert reader.read_ms_time() == 1_700_000_000_123
    assert reader.read_type() == F.RDB_OPCODE_EXPIRETIME
    assert reader.read_seconds_time() == 1_700_000_000
    assert (reader.read_type(), reader.read_length()) == (F.RDB_OPCODE_IDLE, 300)
    assert (reader.read_type(), reader.read_u8()) == (F.RDB_OPCODE_FREQ, 7)
    assert reader.read_type() == F.RDB_OPCODE_AUX
    assert reader.read_string() == b"redis-bits"
    assert reader.read_string_value() == 64         # int-encoded, as rdbSaveAuxFieldStrInt
    assert reader.at_end()


def test_object_type_numbers_match_redis(r):
    r.set("string", "v")
    r.sadd("intset", 1, 2, 3)
    r.sadd("set", *[f"m{i}" for i in range(200)])
    r.hset("smallhash", "f", "v")
    r.hset("hash", mapping={f"f{i}": "v" for i in range(600)})
    r.zadd("smallzset", {"a": 1})
    r.zadd("zset", {f"m{i}": i for i in range(200)})
    r.rpush("list", "a")
    r.xadd("stream", {"f": "v"})
    expected = {"string": F.RDB_TYPE_STRING, "intset": F.RDB_TYPE_SET_INTSET,
                "set": F.RDB_TYPE_SET, "smallhash": F.RDB_TYPE_HASH_LISTPACK,
                "hash": F.RDB_TYPE_HASH, "smallzset": F.RDB_TYPE_ZSET_LISTPACK,
                "zset": F.RDB_TYPE_ZSET_2, "list": F.RDB_TYPE_LIST_QUICKLIST_2,
                "stream": F.RDB_TYPE_STREAM_LISTPACKS_2}
    for key, rdbtype in expected.items():
        assert dump_body(r, key)[0] == rdbtype, key
        assert F.OBJECT_KIND[rdbtype] == r.type(key).decode()


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
               min_size=9, max_size=9), st.integers(0, 1023))
def test_module_type_id_roundtrip(name, encver):
    assert F.module_type_name(F.module_type_id(name, encver)) == (name, encver)


# ---- listpack ---------------------------------------------------------------------------

LP_SAMPLES = [0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607,
              -8388608, 8388608, (1 << 31) - 1, -(1 << 31), 1 << 31, (1 << 63) - 1,
              -(1 << 63), b"", b"a" * 63, b"a" * 64, b"a" * 4095, b"b" * 4096,
              b"x" * 20000, b"12", b"012", b"-0", b"9223372036854775808",
              b"-9223372036854775808", b"1.5"]


def _normalized(item):
    if isinstance(item, int):
        return item
    as_int = LP.strict_int64(item)
    return item if as_int is None else as_int


def test_listpack_all_encodings():
    blob = LP.encode_listpack(LP_SAMPLES)
    assert LP.decode_listpack(blob) == [_normalized(i) for i in LP_SAMPLES]
    assert LP.encode_entry(5) == b"\x05\x01"
    assert LP.encode_entry(-1) == b"\xdf\xff\x02"
    assert LP.encode_entry(b"ab") == b"\x82ab\x03"
    assert LP.encode_entry(1000000) == b"\xf2\x40\x42\x0f\x04"
    big = LP.encode_entry(b"x" * 20000)              # 32-bit string header, 3-byte backlen
    assert big[:5] == b"\xf0" + (20000).to_bytes(4, "little") and len(big) == 20008
    many = LP.encode_listpack(range(70000))          # count above 65534: header says unknown
    assert many[4:6] == b"\xff\xff" and LP.decode_listpack(many) == list(range(70000))


@given(st.lists(st.one_of(INT64, st.binary(max_size=300))))
def test_listpack_roundtrip(items):
    assert LP.decode_listpack(LP.encode_listpack(items)) == [_normalized(i) for i in items]


def test_listpack_hash_zset_list_bytes_match_redis(r):
    pairs = [(b"name", b"alice"), (b"age", b"42"), (b"neg", b"-5000"), (b"big", b"12345678901"),
             (b"float", b"1.5"), (b"zero", b"0"), (b"lead", b"007")]
    r.hset("h", mapping=dict(pairs))
    rdbtype, blob = dump_blob(r, "h")
    assert rdbtype == F.RDB_TYPE_HASH_LISTPACK
    assert LP.listpack_strings(blob) == [x for p in pairs for x in p]
    assert V.encode_hash_listpack(pairs) == blob
    scores = [(b"n", -math.inf), (b"a", -3.0), (b"t", 0.1), (b"b", 1.0), (b"c", 2.5),
              (b"e", 4611686018427387904.0), (b"d", 1e20), (b"f", math.inf)]
    r.zadd("z", dict(scores))
    rdbtype, blob = dump_blob(r, "z")
    assert rdbtype == F.RDB_TYPE_ZSET_LISTPACK
    assert V.encode_zset_listpack(scores) == blob
    assert decode_dump(r, "z")[1] == scores
    items = [b"x", b"-1", b"300", b"y" * 70, b"9999999999"]
    r.rpush("l", *items)
    _, reader = dump_body(r, "l")
    assert reader.read_length() == 1                  # one node
    assert reader.read_length() == F.QUICKLIST_NODE_CONTAINER_PACKED
    assert reader.read_string() == LP.encode_listpack(items)


def test_listpack_values_we_encode_restore_into_redis(r):
    pairs = [(b"f%d" % i, b"%d" % (i * 1000 - 30000)) for i in range(60)] + [(b"s", b"text")]
    restore(r, "h", F.RDB_TYPE_HASH_LISTPACK, F.encode_string(V.encode_hash_listpack(pairs)))
    assert r.hgetall("h") == dict(pairs)
    assert r.object("encoding", "h") == b"listpack"
    scores = [(b"a", -1.5), (b"b", 0.0), (b"c", 7.0), (b"d", 1e-7)]
    restore(r, "z", F.RDB_TYPE_ZSET_LISTPACK, F.encode_string(V.encode_zset_listpack(scores)))
    assert r.zrange("z", 0, -1, withscores=True) == scores
    items = [b"%d" % i for i in range(-200, 200, 7)] + [b"", b"plain"]
    w = F.Writer()
    w.write_length(1)
    w.write_length(F.QUICKLIST_NODE_CONTAINER_PACKED)
    w.write_string(LP.encode_listpack(items))
    restore(r, "l", F.RDB_TYPE_LIST_QUICKLIST_2, w.getvalue())
    assert r.lrange("l", 0, -1) == items


def test_listpack_corruption_raises_with_offset():
    good = LP.encode_listpack([b"abc", 7, b"x" * 100])
    bad_backlen = bytearray(good)
    bad_backlen[6 + 4] = 9                               # backlen of the "abc" entry
    bad_enc = bytearray(good)
    bad_enc[6] = 0xF5                                    # no such encoding
    bad_count = bytearray(good)
    bad_count[4] = 5                                     # header entry count
    no_eof = bytearray(good)
    no_eof[-1] = 0x01
    cases = [(good[:-1], 0, "header says"), (good[:6], 6, "shorter"),
             (bytes(bad_backlen), 10, "backlen"), (bytes(bad_enc), 6, "encoding"),
             (bytes(bad_count), 4, "entries"), (bytes(no_eof), None, "past the end|0xFF")]
    for blob, offset, words in cases:
        with pytest.raises(RDBFormatError, match=words) as info:
            LP.decode_listpack(blob, base=1000)
        assert info.value.offset >= 1000
        if offset is not None:
            assert info.value.offset == 1000 + offset
    # inside an RDB value the offset is absolute within the payload body ...
    body = F.encode_string(bytes(bad_enc), compress=False)
    with pytest.raises(RDBFormatError) as info:
        V.read_object(F.Reader(b"\x10" + body, pos=1), F.RDB_TYPE_HASH_LISTPACK)
    assert info.value.offset == 1 + (len(body) - len(bad_enc)) + 6
    # ... and points at the string when the listpack was LZF-compressed
    body = F.encode_string(bytes(bad_enc))
    assert body[0] == 0xC3
    with pytest.raises(RDBFormatError, match="byte 6 of the decompressed") as info:
        V.read_object(F.Reader(b"\x10" + body, pos=1), F.RDB_TYPE_HASH_LISTPACK)
    assert info.value.offset == 1


# ---- intset -----------------------------------------------------------------------------

@pytest.mark.parametrize("members, width", [
    ([1, 2, 3], 2), ([-32768, 32767], 2), ([1, 70000], 4), ([-5, 1 << 40], 8),
    ([-(1 << 63), (1 << 63) - 1], 8),
])
def test_intset_matches_redis_both_ways(r, members, width):
    r.sadd("s", *members)
    rdbtype, blob = dump_blob(r, "s")
    assert rdbtype == F.RDB_TYPE_SET_INTSET
    assert int.from_bytes(blob[:4], "little") == width
    assert IS.decode_intset(blob) == sorted(members)
    assert IS.encode_intset(reversed(members)) == blob
    restore(r, "mine", F.RDB_TYPE_SET_INTSET, F.encode_string(IS.encode_intset(members)))
    assert sorted(int(m) for m in r.smembers("mine")) == sorted(members)
    assert r.object("encoding", "mine") == b"intset"


@given(st.sets(INT64, min_size=1))
def test_intset_roundtrip(values):
    assert IS.decode_intset(IS.encode_intset(values)) == sorted(values)


def test_intset_corruption():
    good = IS.encode_intset([1, 2, 3])
    unsorted = good[:8] + (2).to_bytes(2, "little") + (1).to_bytes(2, "little") + good[12:]
    for blob, words in [(b"\x03\x00\x00\x00\x00\x00\x00\x00", "encoding"),
                        (good[:-1], "does not match"), (unsorted, "ascending"),
                        (IS.encode_intset([])[:8], "empty"), (b"\x02\x00", "shorter")]:
        with pytest.raises(RDBFormatError, match=words):
            IS.decode_intset(blob)


# ---- ziplist, zipmap, quicklist v1 (written by older Redis; 7.0 still loads them) -------

ZL_ENTRIES = [("str", b""), ("str", b"a" * 63), ("str", b"b" * 64), ("str", b"c" * 16384),
              ("imm", 0), ("imm", 12), ("i8", -128), ("i16", 32767), ("i24", -8388608),
              ("i32", 1 << 30), ("i64", -(1 << 62)), ("str", b"d" * 300)]


def test_ziplist_decodes_every_encoding():
    blob = zl_build(ZL_ENTRIES)
    assert ZL.decode_ziplist(blob) == [v for _, v in ZL_ENTRIES]
    bad_prev = bytearray(zl_build([("str", b"x"), ("str", b"y")]))
    bad_prev[10 + 3] = 5
    bad_enc = bytearray(zl_build([("i8", 1)]))
    bad_enc[11] = 0xC1
    bad_tail = bytearray(zl_build([("str", b"x"), ("str", b"y")]))
    bad_tail[4] = 10
    for blob, offset, words in [(bytes(bad_prev), 13, "prevlen"), (bytes(bad_enc), 11, "encoding"),
                                (bytes(bad_tail), 4, "zltail"), (zl_build([])[:-2], 9, "shorter")]:
        with pytest.raises(RDBFormatError, match=words) as info:
            ZL.decode_ziplist(blob, base=10)
        assert info.value.offset == 10 + offset


def test_legacy_encodings_accepted_by_redis_and_decoded_alike(r):
    hash_zl = zl_auto([b"f1", b"v1", b"n", 123456, b"neg", -70000])
    zset_zl = zl_auto([b"a", 1, b"b", b"2.5", b"c", -3])
    list_zl = zl_auto([b"x", 5, 1 << 40, b"y" * 100])
    zipmap = b"\x02\x03foo\x03\x00bar\x05hello\x05\x02world!!\xff"
    w = F.Writer()
    w.write_length(2)
    w.write_string(list_zl)
    w.write_string(zl_auto([b"tail", 99]))
    cases = [
        ("h", F.RDB_TYPE_HASH_ZIPLIST, F.encode_string(hash_zl),
         [(b"f1", b"v1"), (b"n", b"123456"), (b"neg", b"-70000")], r.hgetall),
        ("z", F.RDB_TYPE_ZSET_ZIPLIST, F.encode_string(zset_zl),
         [(b"a", 1.0), (b"b", 2.5), (b"c", -3.0)],
         lambda k: r.zrange(k, 0, -1, withscores=True)),
        ("l", F.RDB_TYPE_LIST_ZIPLIST, F.encode_string(list_zl),
         [b"x", b"5", b"1099511627776", b"y" * 100], lambda k: r.lrange(k, 0, -1)),
        ("q", F.RDB_TYPE_LIST_QUICKLIST, w.getvalue(),
         [b"x", b"5", b"1099511627776", b"y" * 100, b"tail", b"99"],
         lambda k: r.lrange(k, 0, -1)),
        ("m", F.RDB_TYPE_HASH_ZIPMAP, F.encode_string(zipmap),
         [(b"foo", b"bar"), (b"hello", b"world")], r.hgetall),
    ]
    for key, rdbtype, body, expected, fetch in cases:
        reader = F.Reader(body)
        assert V.read_object(reader, rdbtype) == expected and reader.at_end()
        restore(r, key, rdbtype, body)
        got = fetch(key)
        assert (sorted(got.items()) == sorted(expected) if isinstance(got, dict)
                else got == expected), key


def test_zipmap_long_lengths_and_corruption():
    key = b"k" * 300
    blob = b"\xfe\xfe" + (300).to_bytes(4, "little") + key + b"\x01\x00v\xff"
    assert ZL.decode_zipmap(blob) == [(key, b"v")]
    with pytest.raises(RDBFormatError, match="count"):
        ZL.decode_zipmap(b"\x02\x01a\x01\x00b\xff")
    with pytest.raises(RDBFormatError, match="past the end"):
        ZL.decode_zipmap(b"\x01\x05ab")


# ---- quicklist v2 ------------------------------------------------------------------------

def _quicklist_containers(reader: F.Reader) -> list[tuple[int, int]]:
    """(container, first byte of the node string) per node."""
    nodes = []
    for _ in range(reader.read_length()):
        container = reader.read_length()
        nodes.append((container, reader.peek_u8()))
        reader.read_string()
    return nodes


def test_quicklist_compressed_nodes(r):
    r.config_set("list-compress-depth", "1")
    try:
        items = [(b"item-%d-" % i) * 8 for i in range(3000)]
        r.rpush("l", *items)
        rdbtype, value = decode_dump(r, "l")
        assert rdbtype == F.RDB_TYPE_LIST_QUICKLIST_2 and value == items == r.lrange("l", 0, -1)
        nodes = _quicklist_containers(dump_body(r, "l")[1])
        assert len(nodes) > 3
        assert sum(1 for _, first in nodes if first == 0xC3) >= len(nodes) - 2   # LZF nodes
    finally:
        r.config_set("list-compress-depth", "0")


def test_quicklist_plain_nodes(r):
    r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")
    try:
        items = [b"small", b"L" * 500, b"tiny", b"M" * 300]
        r.rpush("l", *items)
        nodes = _quicklist_containers(dump_body(r, "l")[1])
        assert F.QUICKLIST_NODE_CONTAINER_PLAIN in [c for c, _ in nodes]
        assert decode_dump(r, "l")[1] == items
    finally:
        r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", str(1 << 30))
    w = F.Writer()
    w.write_length(3)
    w.write_length(F.QUICKLIST_NODE_CONTAINER_PACKED)
    w.write_string(LP.encode_listpack([b"a", 1]))
    w.write_length(F.QUICKLIST_NODE_CONTAINER_PLAIN)
    w.write_string(b"P" * 1000)
    w.write_length(F.QUICKLIST_NODE_CONTAINER_PACKED)
    w.write_string(LP.encode_listpack([b"z"]))
    restore(r, "mine", F.RDB_TYPE_LIST_QUICKLIST_2, w.getvalue())
    assert r.lrange("mine", 0, -1) == [b"a", b"1", b"P" * 1000, b"z"]
    with pytest.raises(RDBFormatError, match="container 7"):
        V.read_object(F.Reader(b"\x01\x07\x00"), F.RDB_TYPE_LIST_QUICKLIST_2)


def test_large_hashtable_skiplist_set_values(r):
    h = {b"f%d" % i: b"v" * (i % 90) for i in range(700)}
    z = {b"m%d" % i: i / 7 for i in range(300)}
    s = {b"e%d" % i for i in range(600)}
    r.hset("h", mapping=h)
    r.zadd("z", z)
    r.sadd("s", *s)
    assert decode_dump(r, "h") == (F.RDB_TYPE_HASH, list(r.hgetall("h").items()))
    rdbtype, pairs = decode_dump(r, "z")
    assert rdbtype == F.RDB_TYPE_ZSET_2 and dict(pairs) == z
    assert sorted(pairs, key=lambda p: (p[1], p[0])) == r.zrange("z", 0, -1, withscores=True)
    rdbtype, members = decode_dump(r, "s")
    assert rdbtype == F.RDB_TYPE_SET and set(members) == s and len(members) == len(s)


# ---- streams ------------------------------------------------------------------------------

def _make_stream(r, key, count=250, big_every=0):
    for i in range(count):
        fields = {"f1": f"v{i}", "f2": str(i)} if i % 5 else {"other": "x", "n": str(-i)}
        if big_every and i % big_every == 0:
            fields["blob"] = "B" * 1500
        r.xadd(key, fields, id=f"{1000 + i // 3}-{i % 3}")


def test_stream_dump_decodes_with_groups(r):
    _make_stream(r, "st")
    r.xdel("st", "1010-1", "1020-0", "1040-2")
    r.xgroup_create("st", "g1", id="0")
    r.xgroup_create("st", "g2", id="1030-0")
    r.xreadgroup("g1", "alice", {"st": ">"}, count=5)
    r.xreadgroup("g1", "bob", {"st": ">"}, count=3)
    r.xreadgroup("g1", "alice", {"st": "0"})         # re-delivery: count goes to 2
    r.xack("st", "g1", "1000-1")
    rdbtype, s = decode_dump(r, "st")
    assert rdbtype == F.RDB_TYPE_STREAM_LISTPACKS_2
    expected = [(i.decode(), f) for i, f in r.xrange("st")]
    assert [(f"{e.ms}-{e.seq}", {k: v for k, v in e.fields}) for e in s.entries()] == expected
    assert s.length == r.xlen("st") == len(expected)
    assert sum(1 for n in s.nodes for e in n.entries if e.deleted) == 3
    assert sum(n.deleted for n in s.nodes) == 3
    info = {g["name"]: g for g in r.xinfo_groups("st")}
    assert s.last_id == (1000 + 249 // 3, 249 % 3) and s.entries_added == 250
    for group in s.groups:
        ginfo = info[group.name]
        assert f"{group.last_id[0]}-{group.last_id[1]}".encode() == ginfo["last-delivered-id"]
        assert (None if group.entries_read == -1 else group.entries_read) == \
               ginfo["entries-read"]
        pending = r.xpending_range("st", group.name, "-", "+", 100)
        assert [f"{p.id[0]}-{p.id[1]}".encode() for p in group.pel] == \
               [p["message_id"] for p in pending]
        assert [p.delivery_count for p in group.pel] == [p["times_delivered"] for p in pending]
        owner = {sid: c.name for c in group.consumers for sid in c.pel}
        assert [owner[p.id] for p in group.pel] == [p["consumer"] for p in pending]
    assert [g.name for g in s.groups] == [b"g1", b"g2"]
    assert 2 in [p.delivery_count for p in s.groups[0].pel]


def test_stream_nodes_match_redis_bytes_and_rewrite_identically(r):
    _make_stream(r, "st", count=260, big_every=17)
    r.xgroup_create("st", "grp", id="0")
    r.xreadgroup("grp", "c1", {"st": ">"}, count=4)
    _, reader = dump_body(r, "st")
    redis_nodes = []
    for _ in range(reader.read_length()):
        redis_nodes.append((reader.read_string(), reader.read_string()))
    _, s = decode_dump(r, "st")
    ours = [SL.encode_stream_listpack(node) for node in SL.split_stream_entries(s.entries())]
    assert len(redis_nodes) > 3
    assert [(SL.encode_stream_id(*mid), lp) for mid, lp in ours] == redis_nodes
    w = F.Writer()
    w.write_type(F.RDB_TYPE_STREAM_LISTPACKS_2)
    V.write_stream(w, s)
    assert F.build_dump_payload(w.getvalue()) == r.dump("st")


def test_stream_we_write_is_restored_by_redis(r):
    entries = [SL.StreamEntry(5, i, ((b"a", b"%d" % i), (b"b", b"x"))) for i in range(120)]
    entries.append(SL.StreamEntry(6, 0, ((b"only", b"field"),)))
    group = V.StreamGroup(b"g", (5, 10), 11, [V.StreamPending((5, 3), 1_700_000_000_000, 4)],
                          [V.StreamConsumer(b"carol", 1_700_000_000_000, 1_700_000_000_000,
                                            [(5, 3)])])
    s = V.StreamValue([], len(entries), (6, 0), (5, 0), (0, 0), len(entries), [group])
    s.nodes = [SL.StreamNode(5, 0, len(entries), 0, [b"a", b"b"], entries)]
    w = F.Writer()
    V.write_stream(w, s)
    restore(r, "st", F.RDB_TYPE_STREAM_LISTPACKS_2, w.getvalue())
    assert [(i, f) for i, f in r.xrange("st")][-2:] == [
        (b"5-119", {b"a": b"119", b"b": b"x"}), (b"6-0", {b"only": b"field"})]
    assert r.xlen("st") == 121
    pending = r.xpending_range("st", "g", "-", "+", 10)
    assert [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending] == \
           [(b"5-3", b"carol", 4)]
    assert r.xinfo_groups("st")[0]["entries-read"] == 11
    for version in (F.RDB_TYPE_STREAM_LISTPACKS, F.RDB_TYPE_STREAM_LISTPACKS_3):
        w = F.Writer()
        V.write_stream(w, s, version)
        back = V.read_object(F.Reader(w.getvalue()), version)
        assert back.entries() == entries and back.groups[0].pel == group.pel
        assert back.groups[0].consumers[0].pel == [(5, 3)]


def test_stream_listpack_flags_and_corruption():
    entries = [SL.StreamEntry(10, 0, ((b"f", b"1"),)), SL.StreamEntry(10, 1, ((b"g", b"2"),)),
               SL.StreamEntry(9, 5, ((b"f", b"3"),), deleted=True)]
    master, blob = SL.encode_stream_listpack(entries)
    items = LP.decode_listpack(blob)
    assert master == (10, 0)
    assert items[:6] == [2, 1, 1, b"f", 0, SL.FLAG_SAMEFIELDS]
    node = SL.decode_stream_listpack(blob, master)
    assert node.entries == entries and (node.live, node.deleted) == (2, 1)
    # the deleted entry: flags, ms delta -1, seq delta 5, value only, lp-count 3 + 1
    assert items[-5:] == [SL.FLAG_SAMEFIELDS | SL.FLAG_DELETED, -1, 5, 3, 4]
    tampered = list(items)
    tampered[-1] += 1                                  # lp-count of the last entry
    with pytest.raises(RDBFormatError, match="lp-count"):
        SL.decode_stream_listpack(LP.encode_listpack(tampered), master, base=5)
    with pytest.raises(RDBFormatError, match="ends inside"):
        SL.decode_stream_listpack(LP.encode_listpack(items[:-3]), master)
    with pytest.raises(RDBFormatError, match="empty"):
        SL.decode_stream_listpack(LP.encode_listpack([]), master)


# ---- newer types (Redis 7.2/7.4, Valkey 8): synthesized ----------------------------------

def test_set_listpack_and_hash_field_ttl_types():
    body = F.encode_string(LP.encode_listpack([b"a", b"7", b"b"]))
    assert V.read_object(F.Reader(body), F.RDB_TYPE_SET_LISTPACK) == [b"a", b"7", b"b"]
    w = F.Writer()                                    # HASH_METADATA: TTLs relative to min
    w.write_ms_time(1_000_000)
    w.write_length(2)
    for ttl, f, v in ((0, b"f1", b"v1"), (501, b"f2", b"v2")):
        w.write_length(ttl)
        w.write_string(f)
        w.write_string(v)
    assert V.read_object(F.Reader(w.getvalue()), F.RDB_TYPE_HASH_METADATA) == \
           [(b"f1", b"v1", 0), (b"f2", b"v2", 1_000_500)]
    pre_ga = w.getvalue()[8:]                          # PRE_GA: no min, absolute TTLs
    assert V.read_object(F.Reader(pre_ga), F.RDB_TYPE_HASH_METADATA_PRE_GA)[1] == \
           (b"f2", b"v2", 501)
    lp = LP.encode_listpack([b"f", b"v", 0, b"g", b"12", 1_700_000_000_000])
    w = F.Writer()
    w.write_ms_time(1_700_000_000_000)
    w.write_string(lp)
    expected = [(b"f", b"v", 0), (b"g", b"12", 1_700_000_000_000)]
    assert V.read_object(F.Reader(w.getvalue()), F.RDB_TYPE_HASH_LISTPACK_EX) == expected
    assert V.read_object(F.Reader(F.encode_string(lp)),
                         F.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA) == expected


def test_module_values_and_rdb12_opcodes():
    module_id = F.module_type_id("mymodule1", 3)
    w = F.Writer()
    w.write_header(12)
    w.write_u8(F.RDB_OPCODE_MODULE_AUX)
    for n in (module_id, F.RDB_MODULE_OPCODE_UINT, 2, F.RDB_MODULE_OPCODE_STRING):
        w.write_length(n)
    w.write_string(b"aux")
    w.write_length(F.RDB_MODULE_OPCODE_EOF)
    w.write_u8(F.RDB_OPCODE_SLOT_INFO)
    for n in (42, 1, 0):
        w.write_length(n)
    w.write_type(F.RDB_TYPE_MODULE_2)
    w.write_string(b"mk")
    w.write_length(module_id)
    w.write_length(F.RDB_MODULE_OPCODE_SINT)
    w.write_length((-5) & (2 ** 64 - 1))
    w.write_length(F.RDB_MODULE_OPCODE_DOUBLE)
    w.write_double(2.5)
    w.write_length(F.RDB_MODULE_OPCODE_FLOAT)
    w.write_float(0.5)
    w.write_length(F.RDB_MODULE_OPCODE_EOF)
    w.write_eof()
    records = list(V.iter_rdb(w.getvalue()))
    assert records[0] == ("version", 12)
    kind, aux, when = records[1]
    assert (kind, aux.name, aux.encver, aux.items, when) == \
           ("module_aux", "mymodule1", 3, [(F.RDB_MODULE_OPCODE_STRING, b"aux")], 2)
    assert records[2] == ("slot_info", 42, 1, 0)
    key = records[3][1]
    assert (key.key, key.value.items) == (b"mk", [(1, -5), (4, 2.5), (3, 0.5)])
    assert records[4] == ("eof", True)


# ---- whole RDB files ------------------------------------------------------------------------

def test_saved_rdb_file_decodes(r, server):
    _, workdir = server
    plain = random.Random(3).randbytes(100)          # incompressible: stored raw
    r.set("plain", plain)
    r.set("num", 77)
    r.pexpireat("num", 4_102_444_800_000)
    r.hset("h", mapping={"a": "1"})
    r.sadd("s", 5, 6)
    _make_stream(r, "st", count=12)
    code = "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)"
    r.function_load(code, replace=True)
    r.select(3)
    r.zadd("z3", {"m": 2})
    r.select(0)
    r.save()
    data = (workdir / "dump.rdb").read_bytes()
    records = list(V.iter_rdb(data))
    assert records[0] == ("version", 10) and records[-1] == ("eof", True)
    aux = dict(rec[1:] for rec in records if rec[0] == "aux")
    assert aux[b"redis-ver"] == b"7.0.15" and aux[b"redis-bits"] == b"64"
    assert ("function", code.encode()) in records
    assert [rec for rec in records if rec[0] == "selectdb"] == [("selectdb", 0), ("selectdb", 3)]
    assert ("resizedb", 5, 1) in records
    keys = {(k.db, k.key): k for tag, k, *_ in records if tag == "key"}
    assert keys[(0, b"plain")].value == plain
    assert keys[(0, b"num")].value == b"77"
    assert keys[(0, b"num")].expire_ms == 4_102_444_800_000
    assert keys[(0, b"h")].value == [(b"a", b"1")]
    assert keys[(0, b"s")].value == [b"5", b"6"]
    assert len(keys[(0, b"st")].value.entries()) == 12
    assert keys[(3, b"z3")].value == [(b"m", 2.0)]
    corrupt = bytearray(data)
    corrupt[data.index(plain) + 50] ^= 1
    with pytest.raises(RDBFormatError, match="checksum") as info:
        list(V.iter_rdb(bytes(corrupt)))
    assert info.value.offset == len(data) - 8
    assert list(V.iter_rdb(bytes(corrupt), verify_checksum=False))[-1] == ("eof", False)


def test_rdb_file_we_write_is_loaded_by_redis(tmp_path):
    w = F.Writer()
    w.write_header()
    w.write_aux(b"redis-ver", b"7.0.15")
    w.write_aux(b"redis-bits", 64)
    w.write_selectdb(0)
    w.write_resizedb(5, 1)
    w.write_expire_ms(4_102_444_800_000)
    w.write_type(F.RDB_TYPE_STRING)
    w.write_string(b"exp")
    w.write_string(b"12345")
    for rdbtype, key, blob in [
            (F.RDB_TYPE_STRING, b"long", b"abc" * 1000),
            (F.RDB_TYPE_HASH_LISTPACK, b"h", V.encode_hash_listpack([(b"k", b"1"), (b"x", b"y")])),
            (F.RDB_TYPE_SET_INTSET, b"s", IS.encode_intset([3, 1, 2])),
            (F.RDB_TYPE_ZSET_LISTPACK, b"z", V.encode_zset_listpack([(b"m", 1.25)]))]:
        w.write_type(rdbtype)
        w.write_string(key)
        w.write_string(blob)
    w.write_type(F.RDB_TYPE_STREAM_LISTPACKS_2)
    w.write_string(b"st")
    entries = [SL.StreamEntry(1, 1, ((b"f", b"v"),))]
    V.write_stream(w, V.StreamValue(
        [SL.StreamNode(1, 1, 1, 0, [b"f"], entries)], 1, (1, 1), (1, 1), (0, 0), 1))
    w.write_selectdb(2)
    w.write_type(F.RDB_TYPE_LIST_QUICKLIST_2)
    w.write_string(b"l2")
    w.write_length(1)
    w.write_length(F.QUICKLIST_NODE_CONTAINER_PACKED)
    w.write_string(LP.encode_listpack([b"p", b"q"]))
    w.write_eof()
    (tmp_path / "ours.rdb").write_bytes(w.getvalue())
    proc, client = start_redis(tmp_path, "--dbfilename", "ours.rdb")
    try:
        assert client.get("exp") == b"12345" and client.pttl("exp") > 0
        assert client.get("long") == b"abc" * 1000
        assert client.hgetall("h") == {b"k": b"1", b"x": b"y"}
        assert client.smembers("s") == {b"1", b"2", b"3"}
        assert client.zrange("z", 0, -1, withscores=True) == [(b"m", 1.25)]
        assert client.xrange("st") == [(b"1-1", {b"f": b"v"})]
        client.select(2)
        assert client.lrange("l2", 0, -1) == [b"p", b"q"]
    finally:
        stop_redis(proc, client)


# ---- DUMP payloads and corrupt input --------------------------------------------------------

def test_dump_payload_checks(r):
    r.set("k", "value")
    payload = r.dump("k")
    body, version = F.parse_dump_payload(payload)
    assert bytes(body) == b"\x00\x05value" and version == 10
    assert F.build_dump_payload(body) == payload
    bad_crc = payload[:-1] + bytes([payload[-1] ^ 1])
    with pytest.raises(RDBFormatError, match="checksum") as info:
        F.parse_dump_payload(bad_crc)
    assert info.value.offset == len(payload) - 8
    with pytest.raises(redis.ResponseError, match="checksum"):
        r.restore("k2", 0, bad_crc)
    newer = F.build_dump_payload(body, rdb_version=11)
    with pytest.raises(RDBFormatError, match="too new"):
        F.parse_dump_payload(newer)
    assert F.parse_dump_payload(newer, max_version=12)[1] == 11
    with pytest.raises(RDBFormatError, match="shorter"):
        F.parse_dump_payload(b"\x00" * 9)


@pytest.fixture(scope="module")
def payload_corpus(server):
    client, _ = server
    client.flushall()
    client.set("str", "hello " * 50)
    client.set("int", 123456)
    client.hset("hlp", mapping={"a": "1", "b": "two"})
    client.hset("hht", mapping={f"f{i}": "x" * i for i in range(130)})
    client.zadd("zlp", {"a": 1.5, "b": 2})
    client.zadd("zsk", {f"m{i}": i for i in range(200)})
    client.sadd("sint", 1, 2, 300000)
    client.sadd("sht", *[f"m{i}" for i in range(100)])
    client.rpush("lst", *[str(i) * 20 for i in range(700)])
    _make_stream(client, "strm", count=30)
    client.xgroup_create("strm", "g", id="0")
    client.xreadgroup("g", "c", {"strm": ">"}, count=3)
    corpus = {}
    for key in client.keys():
        body, _ = F.parse_dump_payload(client.dump(key))
        corpus[key.decode()] = bytes(body)
    client.flushall()
    return corpus


def _decode_body(body: bytes):
    reader = F.Reader(body)
    value = V.read_object(reader, reader.read_type())
    if not reader.at_end():
        raise reader.error("trailing bytes")
    return value


def test_truncated_payloads_raise_with_offset(payload_corpus):
    for key, body in payload_corpus.items():
        _decode_body(body)
        cuts = sorted(set(range(0, len(body), max(1, len(body) // 150))) | {len(body) - 1})
        for cut in cuts:
            with pytest.raises(RDBFormatError) as info:
                _decode_body(body[:cut])
            assert 0 <= info.value.offset <= len(body), (key, cut)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_payloads_raise_only_format_errors(payload_corpus, data):
    key = data.draw(st.sampled_from(sorted(payload_corpus)))
    body = bytearray(payload_corpus[key])
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(body) - 1))
        body[pos] = data.draw(st.integers(0, 255))
    try:
        _decode_body(bytes(body))
    except RDBFormatError as exc:
        assert 0 <= exc.offset <= len(body)


def test_reader_primitives_report_offsets():
    reader = F.Reader(b"\x01\x02\x03", base=500)
    assert reader.read_u8() == 1 and reader.offset == 501
    for method, args in ((reader.read_double, ()), (reader.read_ms_time, ()),
                         (reader.read_bytes, (3,)), (reader.read_stream_id, ())):
        with pytest.raises(RDBFormatError, match="truncated") as info:
            method(*args)
        assert info.value.offset == 501
    assert reader.read_uint_le(2) == 0x0302 and reader.at_end()
    with pytest.raises(RDBFormatError, match="truncated"):
        reader.read_type()
    with pytest.raises(RDBFormatError, match="bad magic"):
        F.Reader(b"RUDIS0010").read_header()
    with pytest.raises(RDBFormatError, match="version 13"):
        F.Reader(b"REDIS0013").read_header()
    with pytest.raises(RDBFormatError, match="unknown RDB object type 8") as info:
        _decode_body(b"\x08\x00")
    assert info.value.offset == 0
