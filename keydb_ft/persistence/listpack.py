"""Listpack: Redis's compact list encoding (hashes, zsets, lists, sets, streams).

Layout: <total-bytes u32 LE> <num-elements u16 LE, 65535 = unknown> <entry>* 0xFF
Entry: <encoding+data> <backlen>, where backlen is the size of encoding+data written
in 1..5 bytes, 7 bits per byte, most significant group first, every byte but the
first with the high bit set (so it can be read right to left).

Encodings (first byte):
    0xxxxxxx                      7-bit unsigned int
    10xxxxxx <data>               string, 6-bit length
    110xxxxx yyyyyyyy             13-bit signed int
    1110xxxx yyyyyyyy <data>      string, 12-bit length
    11110000 <u32 LE len> <data>  string, 32-bit length
    11110001/2/3/4 <LE int>       16/24/32/64-bit signed int
    11111111                      end of listpack

Decoded entries are `int` (integer encodings) or `bytes` (string encodings).
Encoding follows lpAppend: a string that is the canonical decimal form of an int64
("-12", not "012", "+1", "-0" or " 1") is stored as an integer.
"""

import re

from .formaterror import RDBFormatError

__all__ = [
    "decode_listpack", "encode_listpack", "listpack_strings", "listpack_length",
    "entry_bytes", "strict_int64", "LP_EOF",
]

LP_EOF = 0xFF
LP_HEADER_SIZE = 6
LP_NUMELE_UNKNOWN = 0xFFFF
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_CANONICAL_INT = re.compile(rb"-?[1-9][0-9]*|0")


def strict_int64(data) -> int | None:
    """The int64 that `data` is the canonical decimal form of, else None.

    Same rule as Redis string2ll/lpStringToInt64 (at most 20 characters).
    """
    if not 0 < len(data) <= 20 or _CANONICAL_INT.fullmatch(data) is None:
        return None
    value = int(data)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def entry_bytes(item) -> bytes:
    """A decoded entry as the string Redis would hand out (ints in decimal)."""
    return item if isinstance(item, bytes) else str(item).encode()


# ---- decoding -----------------------------------------------------------------

def _need(buf: bytes, pos: int, size: int, limit: int, base: int, what: str) -> None:
    if pos + size > limit:
        raise RDBFormatError(f"listpack {what} runs past the end", base + pos)


def _decode_entry(buf: bytes, pos: int, limit: int, base: int):
    """(value, size of encoding+data) of the entry at pos."""
    b = buf[pos]
    if b < 0x80:
        return b, 1
    if b < 0xC0:
        size = b & 0x3F
        _need(buf, pos + 1, size, limit, base, "string")
        return buf[pos + 1:pos + 1 + size], 1 + size
    if b < 0xE0:
        _need(buf, pos, 2, limit, base, "13-bit integer")
        value = ((b & 0x1F) << 8) | buf[pos + 1]
        return (value - (1 << 13) if value >= 1 << 12 else value), 2
    if b < 0xF0:
        _need(buf, pos, 2, limit, base, "12-bit string header")
        size = ((b & 0x0F) << 8) | buf[pos + 1]
        _need(buf, pos + 2, size, limit, base, "string")
        return buf[pos + 2:pos + 2 + size], 2 + size
    if b == 0xF0:
        _need(buf, pos, 5, limit, base, "32-bit string header")
        size = int.from_bytes(buf[pos + 1:pos + 5], "little")
        _need(buf, pos + 5, size, limit, base, "string")
        return buf[pos + 5:pos + 5 + size], 5 + size
    width = _INT_WIDTHS.get(b)
    if width is None:
        raise RDBFormatError(f"invalid listpack encoding byte 0x{b:02x}", base + pos)
    _need(buf, pos + 1, width, limit, base, "integer")
    return int.from_bytes(buf[pos + 1:pos + 1 + width], "little", signed=True), 1 + width


_INT_WIDTHS = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}


def backlen_size(size: int) -> int:
    """Bytes used by the backlen of an entry whose encoding+data is `size` bytes."""
    if size <= 127:
        return 1
    if size < 16383:
        return 2
    if size < 2097151:
        return 3
    if size < 268435455:
        return 4
    return 5


def _encode_backlen(size: int) -> bytes:
    count = backlen_size(size)
    groups = [(size >> (7 * i)) & 0x7F for i in range(count - 1, -1, -1)]
    return bytes([groups[0]] + [g | 0x80 for g in groups[1:]])


def _decode_backlen(buf: bytes, last: int, first: int) -> int:
    """Read a backlen ending at index `last` (inclusive), not going below `first`."""
    value, shift, pos = 0, 0, last
    while True:
        if pos < first or shift > 28:
            return -1
        value |= (buf[pos] & 0x7F) << shift
        if not buf[pos] & 0x80:
            return value
        shift += 7
        pos -= 1


def _check_header(buf: bytes, base: int) -> int:
    if len(buf) < LP_HEADER_SIZE + 1:
        raise RDBFormatError("listpack shorter than its header", base + len(buf))
    total = int.from_bytes(buf[0:4], "little")
    if total != len(buf):
        raise RDBFormatError(
            f"listpack header says {total} bytes, blob has {len(buf)}", base)
    return int.from_bytes(buf[4:6], "little")


def decode_listpack(data, base: int = 0) -> list:
    """All entries of a listpack blob, validated like Redis's deep integrity check."""
    buf = bytes(data)
    declared = _check_header(buf, base)
    limit = len(buf) - 1
    pos = LP_HEADER_SIZE
    items = []
    while pos < limit and buf[pos] != LP_EOF:
        value, size = _decode_entry(buf, pos, limit, base)
        blen = backlen_size(size)
        _need(buf, pos + size, blen, limit, base, "backlen")
        if _decode_backlen(buf, pos + size + blen - 1, pos + size) != size:
            raise RDBFormatError("listpack entry backlen mismatch", base + pos + size)
        items.append(value)
        pos += size + blen
    if pos != limit or buf[limit] != LP_EOF:
        raise RDBFormatError("listpack not terminated by 0xFF at its end", base + pos)
    if declared != LP_NUMELE_UNKNOWN and declared != len(items):
        raise RDBFormatError(
            f"listpack header says {declared} entries, found {len(items)}", base + 4)
    return items


def listpack_strings(data, base: int = 0) -> list[bytes]:
    """decode_listpack with integers turned into their decimal strings."""
    return [entry_bytes(item) for item in decode_listpack(data, base)]


def listpack_length(data, base: int = 0) -> int:
    return len(decode_listpack(data, base))


# ---- encoding -----------------------------------------------------------------

def _encode_int(v: int) -> bytes:
    if 0 <= v <= 127:
        return bytes((v,))
    if -4096 <= v <= 4095:
        v &= 0x1FFF
        return bytes((0xC0 | (v >> 8), v & 0xFF))
    for tag, width in ((0xF1, 2), (0xF2, 3), (0xF3, 4), (0xF4, 8)):
        bound = 1 << (8 * width - 1)
        if -bound <= v < bound:
            return bytes((tag,)) + v.to_bytes(width, "little", signed=True)
    raise ValueError(f"integer {v} does not fit in 64 bits")


def _encode_str(s: bytes) -> bytes:
    n = len(s)
    if n < 64:
        return bytes((0x80 | n,)) + s
    if n < 4096:
        return bytes((0xE0 | (n >> 8), n & 0xFF)) + s
    return b"\xf0" + n.to_bytes(4, "little") + s


def encode_entry(item) -> bytes:
    """One entry (encoding + data + backlen) as lpAppend/lpAppendInteger write it."""
    if isinstance(item, int):
        body = _encode_int(item)
    else:
        item = bytes(item)
        as_int = strict_int64(item)
        body = _encode_str(item) if as_int is None else _encode_int(as_int)
    return body + _encode_backlen(len(body))


def encode_listpack(items) -> bytes:
    """A listpack holding `items` (bytes-like or int) in order."""
    entries = [encode_entry(item) for item in items]
    count = len(entries)
    total = LP_HEADER_SIZE + sum(map(len, entries)) + 1
    if total > 0xFFFFFFFF:
        raise ValueError("listpack larger than 4 GiB")
    numele = count if count < LP_NUMELE_UNKNOWN else LP_NUMELE_UNKNOWN
    return b"".join([total.to_bytes(4, "little"), numele.to_bytes(2, "little"),
                     *entries, b"\xff"])
