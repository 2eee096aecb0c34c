"""Bit operations on string values, as Redis 7.0 does them: the pure half of SETBIT,
GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD. No replies, locks or keyspace.

Bits are numbered from the most significant bit of the first byte (bit 0) onwards.
Reading past the end of a value reads zeros; writers take a bytearray that the caller
has already grown (``grow``) to cover every bit they touch, and change it in place.

API
---
``grow(buf, nbytes)``  zero-extend a bytearray to at least nbytes.
``get_bit(buf, offset) -> 0 | 1`` and ``set_bit(buf, offset, on) -> old bit``.
``count_bits(buf, first, last) -> int``  set bits in the bit range [first, last].
``first_bit(buf, bit, first, last) -> int``  position of the first ``bit`` in
    [first, last], or -1 when there is none.
``bitop(op, values) -> bytearray``  AND / OR / XOR / NOT ("and", ...) of byte
    strings, shorter ones zero-padded; the result is as long as the longest (b"" when
    every input is empty).
``get_field(buf, offset, bits, signed) -> int`` and ``set_field(buf, offset, bits,
    value)``  BITFIELD's integers (1..64 bits, two's complement when signed).
``field_bounds(bits, signed) -> (lo, hi)`` and ``overflow(value, bits, signed, mode)
    -> int | None``  bring an out-of-range result back in range: "wrap" wraps around,
    "sat" saturates, "fail" gives None.
"""

import operator
import re

_CHUNK = 1 << 20
_NOT_ZERO = re.compile(rb"[^\x00]")
_NOT_FF = re.compile(rb"[^\xff]")
_INVERT = bytes(255 - b for b in range(256))


def grow(buf, nbytes):
    missing = nbytes - len(buf)
    if missing > 0:
        buf.extend(bytes(missing))


def get_bit(buf, offset):
    byte = offset >> 3
    if byte >= len(buf):
        return 0
    return (buf[byte] >> (7 - (offset & 7))) & 1


def set_bit(buf, offset, on):
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    old = buf[byte]
    buf[byte] = (old | mask) if on else (old & ~mask)
    return 1 if old & mask else 0


def _popcount(view):
    total = 0
    for i in range(0, len(view), _CHUNK):
        total += int.from_bytes(view[i:i + _CHUNK], "big").bit_count()
    return total


def count_bits(buf, first, last):
    """Set bits between bit positions first and last (inclusive, within buf)."""
    if first > last:
        return 0
    view = memoryview(buf)
    start, end = first >> 3, last >> 3
    total = _popcount(view[start:end + 1])
    head = buf[start] >> (8 - (first & 7)) if first & 7 else 0
    tail = buf[end] & ((1 << (7 - (last & 7))) - 1)
    return total - head.bit_count() - tail.bit_count()


def _first_in_byte(value, bit):
    """Index (0..7, MSB first) of the first `bit` in a byte value, 8 if none."""
    if not bit:
        value ^= 0xFF
    return 8 - value.bit_length() if value else 8


def first_bit(buf, bit, first, last):
    """Position of the first `bit` (0 or 1) in [first, last]; -1 if none."""
    if first > last:
        return -1
    start, end = first >> 3, last >> 3
    pos = _scan_byte(buf[start], bit, first & 7, 7 if start < end else last & 7)
    if pos is not None:
        return start * 8 + pos
    if end > start + 1:
        found = (_NOT_ZERO if bit else _NOT_FF).search(buf, start + 1, end)
        if found is not None:
            i = found.start()
            return i * 8 + _first_in_byte(buf[i], bit)
    if end > start:
        pos = _scan_byte(buf[end], bit, 0, last & 7)
        if pos is not None:
            return end * 8 + pos
    return -1


def _scan_byte(value, bit, lo, hi):
    """First `bit` of a byte between bit indexes lo and hi (MSB = 0), or None."""
    if not bit:
        value ^= 0xFF
    value &= (0xFF >> lo) & (0xFF << (7 - hi))
    return 8 - value.bit_length() if value else None


_COMBINE = {"and": operator.and_, "or": operator.or_, "xor": operator.xor}


def bitop(op, values):
    size = max(map(len, values), default=0)
    if not size:
        return b""
    if op == "not":
        return bytearray(values[0].translate(_INVERT))
    combine = _COMBINE[op]
    out = bytearray()
    for start in range(0, size, _CHUNK):
        width = min(_CHUNK, size - start)
        result = None
        for value in values:
            piece = value[start:start + width]
            number = int.from_bytes(piece, "big") << (8 * (width - len(piece)))
            result = number if result is None else combine(result, number)
        out += result.to_bytes(width, "big")
    return out


def _window(offset, bits):
    """(first byte, byte count, right shift) of the bytes holding a field."""
    start = offset >> 3
    nbytes = ((offset + bits - 1) >> 3) - start + 1
    return start, nbytes, nbytes * 8 - (offset & 7) - bits


def get_field(buf, offset, bits, signed):
    start, nbytes, shift = _window(offset, bits)
    chunk = bytes(buf[start:start + nbytes])
    word = int.from_bytes(chunk, "big") << (8 * (nbytes - len(chunk)))
    value = (word >> shift) & ((1 << bits) - 1)
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def set_field(buf, offset, bits, value):
    start, nbytes, shift = _window(offset, bits)
    mask = ((1 << bits) - 1) << shift
    word = int.from_bytes(buf[start:start + nbytes], "big")
    word = (word & ~mask) | ((value << shift) & mask)
    buf[start:start + nbytes] = word.to_bytes(nbytes, "big")


def field_bounds(bits, signed):
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def overflow(value, bits, signed, mode):
    """value brought into the field's range by the overflow mode (None: FAIL)."""
    lo, hi = field_bounds(bits, signed)
    if lo <= value <= hi:
        return value
    if mode == "fail":
        return None
    if mode == "sat":
        return hi if value > hi else lo
    return ((value - lo) & ((1 << bits) - 1)) + lo
