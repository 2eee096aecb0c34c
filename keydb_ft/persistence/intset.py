"""Intset: the compact encoding of sets of integers (RDB type 11).

Layout: <encoding u32 LE: 2, 4 or 8> <length u32 LE> <length signed LE integers of
`encoding` bytes, strictly ascending>. The encoding is the smallest width that holds
every member. Redis treats an empty intset as corrupt, and so does decode_intset.
"""

from .formaterror import RDBFormatError

__all__ = ["decode_intset", "encode_intset", "intset_fits"]

_WIDTHS = (2, 4, 8)


def _width_for(value: int) -> int:
    for width in _WIDTHS:
        bound = 1 << (8 * width - 1)
        if -bound <= value < bound:
            return width
    raise ValueError(f"integer {value} does not fit in 64 bits")


def intset_fits(value: int) -> bool:
    """True when `value` can be an intset member (fits in int64)."""
    return -(1 << 63) <= value < (1 << 63)


def decode_intset(data, base: int = 0) -> list[int]:
    """Members of an intset blob, ascending; validated like Redis's integrity check."""
    buf = bytes(data)
    if len(buf) < 8:
        raise RDBFormatError("intset shorter than its header", base + len(buf))
    width = int.from_bytes(buf[0:4], "little")
    if width not in _WIDTHS:
        raise RDBFormatError(f"invalid intset encoding {width}", base)
    count = int.from_bytes(buf[4:8], "little")
    if 8 + width * count != len(buf):
        raise RDBFormatError(
            f"intset of {count} x {width} bytes does not match blob size {len(buf)}", base + 4)
    if count == 0:
        raise RDBFormatError("empty intset", base + 4)
    members = [int.from_bytes(buf[p:p + width], "little", signed=True)
               for p in range(8, len(buf), width)]
    for i in range(1, count):
        if members[i] <= members[i - 1]:
            raise RDBFormatError("intset members not strictly ascending",
                                 base + 8 + i * width)
    return members


def encode_intset(values) -> bytes:
    """An intset blob holding the distinct `values` (ints)."""
    members = sorted(set(values))
    width = max((_width_for(v) for v in members), default=2)
    body = b"".join(v.to_bytes(width, "little", signed=True) for v in members)
    return width.to_bytes(4, "little") + len(members).to_bytes(4, "little") + body
