"""CRC-64 as Redis computes it (Jones polynomial, reflected, init 0, no final xor).

This is the checksum of the RDB footer and of DUMP payloads; Redis stores it as
8 little-endian bytes. Check value: crc64(b"123456789") == 0xE9C6D914C4B8D9CA.

Two engines, both pure Python:

* short inputs go through a classic slicing-by-8 table loop over 64-bit words;
* long inputs are treated as one big polynomial held in Python ints, whose C-level
  shifts and xors run at gigabytes per second. Since the CRC (init 0) is linear,
  the message is cut into rows of R bytes and folded Horner style:
  state = state * x^(8R) + row (mod P). Multiplying by x^(8R) mod P is a
  carry-less multiplication by a 64-bit constant K, i.e. one shift and one xor per
  set bit of K, so R is chosen (offline search) to make K sparse.

Everything lives in the "reflected" domain: int.from_bytes(data, "little") is the
message polynomial with its bits reversed, so no per-byte bit reversal is needed.
A reflected value of width w holds coefficient of x^(w-1-i) in bit i.
"""

import struct

__all__ = ["crc64", "crc64_footer", "CRC64_CHECK"]

_POLY_NORMAL = 0xAD93D23594C935A9     # x^64 term implied
_POLY_REFLECTED = 0x95AC9329AC4BC9B5
_M64 = (1 << 64) - 1
_M63 = (1 << 63) - 1
CRC64_CHECK = 0xE9C6D914C4B8D9CA     # crc64(b"123456789")


def _byte_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY_REFLECTED if crc & 1 else crc >> 1
        table.append(crc)
    return table


def _slicing_tables() -> tuple[list[int], ...]:
    tables = [_byte_table()]
    first = tables[0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[b] >> 8) ^ first[prev[b] & 0xFF] for b in range(256)])
    return tuple(tables)


_T = _slicing_tables()


def _crc_table(crc: int, view: memoryview) -> int:
    """Slicing-by-8: reflected register `crc` advanced over `view` (format 'B')."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    whole = len(view) & ~7
    if whole:
        for w in view[:whole].cast("Q") if _LITTLE else _words_le(view[:whole]):
            w ^= crc
            crc = (t7[w & 0xFF] ^ t6[(w >> 8) & 0xFF] ^ t5[(w >> 16) & 0xFF]
                   ^ t4[(w >> 24) & 0xFF] ^ t3[(w >> 32) & 0xFF]
                   ^ t2[(w >> 40) & 0xFF] ^ t1[(w >> 48) & 0xFF] ^ t0[w >> 56])
    for b in view[whole:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _words_le(view: memoryview):
    return (w for (w,) in struct.iter_unpack("<Q", view))


_LITTLE = memoryview(b"\x01\x00\x00\x00\x00\x00\x00\x00").cast("Q")[0] == 1


# ---- polynomial helpers (normal domain, small values) -------------------------

def _mulmod(a: int, b: int) -> int:
    """a * b mod P for 64-bit polynomials in the normal (non-reflected) domain."""
    product = 0
    while b:
        low = b & -b
        product ^= a << (low.bit_length() - 1)
        b ^= low
    for bit in range(product.bit_length() - 1, 63, -1):
        if product >> bit & 1:
            product ^= ((1 << 64) | _POLY_NORMAL) << (bit - 64)
    return product


def _xpow(n: int) -> int:
    """x^n mod P, normal domain."""
    result, base = 1, 2
    while n:
        if n & 1:
            result = _mulmod(result, base)
        base = _mulmod(base, base)
        n >>= 1
    return result


def _reflect64(v: int) -> int:
    return int(f"{v:064b}"[::-1], 2)


def _set_bits(v: int) -> tuple[int, ...]:
    return tuple(i for i in range(64) if v >> i & 1)


def _clmul(a: int, bits: tuple[int, ...]) -> int:
    """Carry-less product of `a` by the constant whose set bits are `bits`."""
    acc = 0
    for j in bits:
        acc ^= a << j
    return acc


# ---- the folding engine ---------------------------------------------------------

# (input length from which to use it, row size in bytes); row sizes were found by
# searching x^(8R) mod P for few set bits (14, 17, 21 and 22 of 64). Shorter inputs
# use the table loop.
_TIERS = ((1 << 16, 18718), (1 << 14, 3216), (2048, 1333), (400, 374))
_FINISH_BITS = 512    # fold down to this width, then finish with the table loop


def _fold_widths(width: int) -> list[int]:
    widths = []
    while width > _FINISH_BITS:
        width = (width + 64) // 2
        widths.append(width)
    return widths


def _constant_bits(width_bits: int) -> tuple[int, ...]:
    """Set bits of reflected x^width mod P, as used by _fold_to."""
    return _set_bits(_reflect64(_xpow(width_bits)))


_CONSTS: dict[int, tuple[int, ...]] = {}
for _, _row in _TIERS:
    _CONSTS[8 * _row] = _constant_bits(8 * _row)
    for _w in _fold_widths(8 * _row):
        _CONSTS[_w] = _constant_bits(_w)
del _, _row, _w


def _fold_to(s: int, width: int, h: int) -> int:
    """Reduce reflected `s` of `width` bits to an equivalent of `h` bits.

    Needs 2h >= width + 63. The top (width-h) coefficients (low bits of s) are
    multiplied by x^h mod P and added to the rest.
    """
    top_width = width - h
    top = s & ((1 << top_width) - 1)
    return (s >> top_width) ^ (_clmul(top, _CONSTS[h]) << (h - top_width - 63))


def _finish(s: int, width: int) -> int:
    """Reflected CRC register of the reflected polynomial `s` of `width` bits."""
    for h in _fold_widths(width):
        s = _fold_to(s, width, h)
        width = h
    pad = -width % 8
    return _crc_table(0, memoryview((s << pad).to_bytes((width + pad) // 8, "little")))


def _crc_rows(crc: int, view: memoryview, row: int) -> int:
    row_bits = 8 * row
    k_bits = _CONSTS[row_bits]
    k_right = tuple(63 - j for j in k_bits)
    head = len(view) % row
    if head < 8:
        head += row           # the register must be xored into whole first 8 bytes
    s = int.from_bytes(view[:head], "little") ^ crc
    if 8 * head > row_bits:
        s = _fold_to(s, 8 * head, row_bits)
    else:
        s <<= row_bits - 8 * head
    from_bytes = int.from_bytes
    top_shift = row_bits - 126
    for pos in range(head, len(view), row):
        # new = s * x^(8*row) + row_poly, kept at row_bits coefficients
        overflow = _clmul(_clmul(s & _M63, k_bits) & _M63, k_bits)
        acc = from_bytes(view[pos:pos + row], "little")
        for j in k_right:
            acc ^= s >> j
        s = acc ^ (overflow << top_shift)
    return _finish(s, row_bits)


def crc64(data, crc: int = 0) -> int:
    """Redis crc64(crc, data): continue the CRC register `crc` over `data`.

    `data` is any bytes-like object; returns the 64-bit register as an int.
    """
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    n = len(view)
    crc &= _M64
    for least, row in _TIERS:
        if n >= least:
            return _crc_rows(crc, view, row)
    return _crc_table(crc, view)


def crc64_footer(data, crc: int = 0) -> bytes:
    """The 8 little-endian bytes Redis appends after an RDB file or DUMP payload."""
    return crc64(data, crc).to_bytes(8, "little")
