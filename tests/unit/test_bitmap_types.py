"""types.bitmap against a naive list-of-bits model."""

from hypothesis import given, settings
from hypothesis import strategies as st

from keydb_ft.types import bitmap


def _bits(buf):
    return [(byte >> (7 - i)) & 1 for byte in buf for i in range(8)]


_BUF = st.binary(max_size=40)


@settings(max_examples=300, deadline=None)
@given(_BUF, st.integers(0, 400), st.integers(0, 400))
def test_count_and_first_bit_match_model(buf, a, b):
    bits = _bits(buf)
    if not bits:
        return
    first, last = min(a, b) % len(bits), max(a, b) % len(bits)
    first, last = min(first, last), max(first, last)
    assert bitmap.count_bits(buf, first, last) == sum(bits[first:last + 1])
    for bit in (0, 1):
        window = bits[first:last + 1]
        expected = first + window.index(bit) if bit in window else -1
        assert bitmap.first_bit(buf, bit, first, last) == expected


@settings(max_examples=300, deadline=None)
@given(_BUF, st.integers(0, 300), st.integers(1, 64), st.booleans(), st.integers(0, (1 << 64) - 1))
def test_fields_match_model(buf, offset, bits, signed, raw):
    model = _bits(buf) + [0] * (offset + bits + 8)
    unsigned = int("".join(map(str, model[offset:offset + bits])), 2)
    value = unsigned - (1 << bits) if signed and unsigned >> (bits - 1) else unsigned
    assert bitmap.get_field(buf, offset, bits, signed) == value
    grown = bytearray(buf)
    bitmap.grow(grown, (offset + bits + 7) // 8)
    bitmap.set_field(grown, offset, bits, raw)
    expected = model[:offset] + [int(c) for c in format(raw % (1 << bits), f"0{bits}b")]
    expected += model[offset + bits:]
    assert _bits(grown) == expected[:len(grown) * 8]


def test_overflow_modes():
    assert bitmap.overflow(300, 8, False, "wrap") == 44
    assert bitmap.overflow(300, 8, False, "sat") == 255
    assert bitmap.overflow(300, 8, False, "fail") is None
    assert bitmap.overflow(-1, 8, False, "wrap") == 255
    assert bitmap.overflow(-1, 8, False, "sat") == 0
    assert bitmap.overflow(128, 8, True, "wrap") == -128
    assert bitmap.overflow(-129, 8, True, "sat") == -128
    assert bitmap.overflow((1 << 63), 64, True, "wrap") == -(1 << 63)
    assert bitmap.overflow(5, 8, True, "fail") == 5


def test_set_bit_and_bitop():
    buf = bytearray(2)
    assert bitmap.set_bit(buf, 9, 1) == 0
    assert bitmap.set_bit(buf, 9, 1) == 1
    assert buf == b"\x00\x40" and bitmap.get_bit(buf, 9) == 1 and bitmap.get_bit(buf, 99) == 0
    assert bitmap.bitop("and", [b"\xff\x0f", b"\xf0"]) == b"\xf0\x00"
    assert bitmap.bitop("or", [b"\x01", b"", b"\x02\x03"]) == b"\x03\x03"
    assert bitmap.bitop("xor", [b"\xff", b"\x0f"]) == b"\xf0"
    assert bitmap.bitop("not", [b"\x0f"]) == b"\xf0"
    assert bitmap.bitop("or", [b"", b""]) == b""
