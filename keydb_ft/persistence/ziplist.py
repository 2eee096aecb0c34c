"""Decoders for the legacy compact encodings: ziplist and zipmap (read-only).

Ziplist (RDB types 10, 12, 13 and quicklist v1 nodes):
    <zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE, 65535 = unknown> <entry>* 0xFF
    entry: <prevlen: 1 byte < 254, or 0xFE + u32 LE> <encoding> <data>
    encodings: 00pppppp (string, 6-bit len), 01pppppp qqqqqqqq (14-bit len, big
    endian), 10______ <u32 BE len>, 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24,
    0xFE int8 (all little endian), 0xF1..0xFD immediate 0..12.

Zipmap (RDB type 9, Redis < 2.6 hashes):
    <zmlen u8> (<len> key <len> <free u8> value <free bytes>)* 0xFF
    len: 1 byte < 254, or 0xFE + u32 LE.

Entries decode to `int` or `bytes`, as in listpack.py.
"""

from .formaterror import RDBFormatError

__all__ = ["decode_ziplist", "ziplist_strings", "decode_zipmap"]

_ZL_HEADER = 10
_ZL_END = 0xFF
_ZL_BIG_PREVLEN = 0xFE
_ZL_INTS = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}


def _need(buf: bytes, pos: int, size: int, limit: int, base: int, what: str) -> None:
    if pos + size > limit:
        raise RDBFormatError(f"{what} runs past the end", base + pos)


def _read_prevlen(buf: bytes, pos: int, limit: int, base: int) -> tuple[int, int]:
    if buf[pos] < _ZL_BIG_PREVLEN:
        return buf[pos], 1
    if buf[pos] != _ZL_BIG_PREVLEN:
        raise RDBFormatError("invalid ziplist prevlen byte", base + pos)
    _need(buf, pos, 5, limit, base, "ziplist prevlen")
    return int.from_bytes(buf[pos + 1:pos + 5], "little"), 5


def _read_payload(buf: bytes, pos: int, limit: int, base: int):
    """(value, bytes used by encoding + data) for the encoding at pos."""
    enc = buf[pos]
    kind = enc >> 6
    if kind == 0:
        header, size = 1, enc & 0x3F
    elif kind == 1:
        _need(buf, pos, 2, limit, base, "ziplist string header")
        header, size = 2, ((enc & 0x3F) << 8) | buf[pos + 1]
    elif kind == 2:
        _need(buf, pos, 5, limit, base, "ziplist string header")
        header, size = 5, int.from_bytes(buf[pos + 1:pos + 5], "big")
    elif 0xF1 <= enc <= 0xFD:
        return (enc & 0x0F) - 1, 1
    else:
        width = _ZL_INTS.get(enc)
        if width is None:
            raise RDBFormatError(f"invalid ziplist encoding byte 0x{enc:02x}", base + pos)
        _need(buf, pos + 1, width, limit, base, "ziplist integer")
        return int.from_bytes(buf[pos + 1:pos + 1 + width], "little", signed=True), 1 + width
    _need(buf, pos + header, size, limit, base, "ziplist string")
    return buf[pos + header:pos + header + size], header + size


def decode_ziplist(data, base: int = 0) -> list:
    """All entries of a ziplist blob, checking header, prevlens and the tail offset."""
    buf = bytes(data)
    if len(buf) < _ZL_HEADER + 1:
        raise RDBFormatError("ziplist shorter than its header", base + len(buf))
    if int.from_bytes(buf[0:4], "little") != len(buf):
        raise RDBFormatError("ziplist zlbytes does not match blob size", base)
    tail = int.from_bytes(buf[4:8], "little")
    declared = int.from_bytes(buf[8:10], "little")
    limit = len(buf) - 1
    pos, prev_size, last = _ZL_HEADER, 0, _ZL_HEADER
    items = []
    while pos < limit and buf[pos] != _ZL_END:
        prevlen, plen = _read_prevlen(buf, pos, limit, base)
        if prevlen != prev_size:
            raise RDBFormatError("ziplist prevlen does not match previous entry", base + pos)
        _need(buf, pos + plen, 1, limit, base, "ziplist entry")
        value, size = _read_payload(buf, pos + plen, limit, base)
        items.append(value)
        last, prev_size = pos, plen + size
        pos += prev_size
    if pos != limit or buf[limit] != _ZL_END:
        raise RDBFormatError("ziplist not terminated by 0xFF at its end", base + pos)
    if tail != last:
        raise RDBFormatError("ziplist zltail does not point at the last entry", base + 4)
    if declared != 0xFFFF and declared != len(items):
        raise RDBFormatError("ziplist zllen does not match its entries", base + 8)
    return items


def ziplist_strings(data, base: int = 0) -> list[bytes]:
    return [v if isinstance(v, bytes) else str(v).encode() for v in decode_ziplist(data, base)]


def _zipmap_len(buf: bytes, pos: int, base: int) -> tuple[int, int]:
    _need(buf, pos, 1, len(buf), base, "zipmap length")
    if buf[pos] < 254:
        return buf[pos], 1
    if buf[pos] == 254:
        _need(buf, pos, 5, len(buf), base, "zipmap length")
        return int.from_bytes(buf[pos + 1:pos + 5], "little"), 5
    return -1, 1


def decode_zipmap(data, base: int = 0) -> list[tuple[bytes, bytes]]:
    """(field, value) pairs of a zipmap blob."""
    buf = bytes(data)
    if not buf:
        raise RDBFormatError("empty zipmap", base)
    pos, pairs = 1, []
    while True:
        klen, used = _zipmap_len(buf, pos, base)
        if klen < 0:
            pos += 1
            break
        pos += used
        _need(buf, pos, klen, len(buf), base, "zipmap key")
        key = buf[pos:pos + klen]
        pos += klen
        vlen, used = _zipmap_len(buf, pos, base)
        if vlen < 0:
            raise RDBFormatError("zipmap key without value", base + pos)
        pos += used
        _need(buf, pos, 1, len(buf), base, "zipmap free byte")
        free = buf[pos]
        pos += 1
        _need(buf, pos, vlen + free, len(buf), base, "zipmap value")
        pairs.append((key, buf[pos:pos + vlen]))
        pos += vlen + free
    if pos != len(buf):
        raise RDBFormatError("trailing bytes after zipmap end", base + pos)
    if buf[0] < 254 and buf[0] != len(pairs):
        raise RDBFormatError("zipmap count does not match its entries", base)
    return pairs
