"""LZF compression as used by Redis for RDB strings and compressed quicklist nodes.

Compressed stream, a sequence of tokens:

    000LLLLL <L+1 literal bytes>          literal run of 1..32 bytes
    LLLooooo oooooooo                     back reference, length L+2 (L = 1..6)
    111ooooo LLLLLLLL oooooooo            back reference, length L+9
    offset o+1 = 1..8192 bytes back from the current output end (may overlap)

`compress` follows liblzf's greedy matcher with the parameters Redis builds it with
(16-bit hash table, "very fast" rehash after a match, no match against position 0,
at most 264 bytes per match, output limited to `max_out` bytes), so for a given input
it normally produces the same bytes as Redis. (Redis does not clear its hash table
between calls, so stale slots may very rarely let it find a different match; any
valid stream decompresses anyway.)
"""

from .formaterror import RDBFormatError

__all__ = ["compress", "decompress"]

_HASH_MASK = 0xFFFF
_MAX_LITERAL = 32
_MAX_OFFSET = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)


def _slot(hval: int) -> int:
    return ((hval >> 8) - hval * 5) & _HASH_MASK


def _match_length(src: bytes, ref: int, ip: int, maxlen: int) -> int:
    """Length of the match at ip against ref, exactly as liblzf measures it.

    The first three bytes are known to match. liblzf first checks 16 bytes without
    looking at maxlen when maxlen > 16, then continues byte by byte up to maxlen.
    """
    length = 2
    if maxlen > 16:
        for _ in range(16):
            length += 1
            if src[ref + length] != src[ip + length]:
                return length
    length += 1
    while length < maxlen and src[ref + length] == src[ip + length]:
        length += 1
    return length


def compress(data, max_out: int | None = None) -> bytes | None:
    """Compress `data`; None when the result would not fit in `max_out` bytes.

    Redis calls this with max_out = len(data) - 4 and stores the string raw on None.
    """
    src = bytes(data)
    n = len(src)
    limit = 2 * n + 64 if max_out is None else max_out
    if n == 0 or limit <= 0:
        return None
    out = bytearray(b"\x00")          # reserved header of the first literal run
    lit = 0
    htab = [0] * (_HASH_MASK + 1)     # position + 1 of the last occurrence, 0 = none
    ip = 0
    hval = (src[0] << 8) | src[1] if n >= 2 else 0
    while ip < n - 2:
        hval = ((hval << 8) | src[ip + 2]) & 0xFFFFFF
        slot = _slot(hval)
        ref = htab[slot] - 1
        htab[slot] = ip + 1
        off = ip - ref - 1
        if (ref > 0 and off < _MAX_OFFSET and src[ref + 2] == src[ip + 2]
                and src[ref] == src[ip] and src[ref + 1] == src[ip + 1]):
            if len(out) + 4 >= limit and len(out) - (not lit) + 4 >= limit:
                return None
            if lit:
                out[-lit - 1] = lit - 1
            else:
                out.pop()
            length = _match_length(src, ref, ip, min(n - ip - 2, _MAX_REF)) - 2
            if length < 7:
                out.append((off >> 8) + (length << 5))
            else:
                out.append((off >> 8) + (7 << 5))
                out.append(length - 7)
            out.append(off & 0xFF)
            out.append(0)
            lit = 0
            ip += length + 2
            if ip >= n - 2:
                break
            ip -= 2
            hval = (src[ip] << 16) | (src[ip + 1] << 8) | src[ip + 2]
            htab[_slot(hval)] = ip + 1
            ip += 1
            hval = ((hval << 8) | src[ip + 2]) & 0xFFFFFF
            htab[_slot(hval)] = ip + 1
            ip += 1
        else:
            if len(out) >= limit:
                return None
            lit += 1
            out.append(src[ip])
            ip += 1
            if lit == _MAX_LITERAL:
                out[-lit - 1] = lit - 1
                lit = 0
                out.append(0)
    if len(out) + 3 > limit:
        return None
    while ip < n:
        lit += 1
        out.append(src[ip])
        ip += 1
        if lit == _MAX_LITERAL:
            out[-lit - 1] = lit - 1
            lit = 0
            out.append(0)
    if lit:
        out[-lit - 1] = lit - 1
    else:
        out.pop()
    return bytes(out)


def decompress(data, expected_len: int, base: int = 0) -> bytes:
    """Decompress an LZF stream that must expand to exactly `expected_len` bytes.

    Raises RDBFormatError (offset = base + position in `data`) on any corruption.
    """
    src = bytes(data)
    n = len(src)
    out = bytearray()
    ip = 0
    while ip < n:
        token_at = ip
        ctrl = src[ip]
        ip += 1
        if ctrl < 32:
            run = ctrl + 1
            if ip + run > n:
                raise RDBFormatError("LZF literal run past end of input", base + token_at)
            if len(out) + run > expected_len:
                raise RDBFormatError("LZF output longer than declared", base + token_at)
            out += src[ip:ip + run]
            ip += run
            continue
        length = ctrl >> 5
        if length == 7:
            if ip >= n:
                raise RDBFormatError("LZF back reference truncated", base + token_at)
            length += src[ip]
            ip += 1
        if ip >= n:
            raise RDBFormatError("LZF back reference truncated", base + token_at)
        back = ((ctrl & 0x1F) << 8) + src[ip] + 1
        ip += 1
        length += 2
        start = len(out) - back
        if start < 0:
            raise RDBFormatError("LZF back reference before start of output", base + token_at)
        if len(out) + length > expected_len:
            raise RDBFormatError("LZF output longer than declared", base + token_at)
        if back >= length:
            out += out[start:start + length]
        else:
            pattern = out[start:]
            reps, rest = divmod(length, back)
            out += pattern * reps + pattern[:rest]
    if len(out) != expected_len:
        raise RDBFormatError(
            f"LZF output is {len(out)} bytes, expected {expected_len}", base + n)
    return bytes(out)
