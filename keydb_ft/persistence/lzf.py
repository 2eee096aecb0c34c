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
    out = bytearray(b"\x00")          # reserved header of the current literal run
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
            _close_run(out, lit)
            lit = 0
            length = _match_length(src, ref, ip, min(n - ip - 2, _MAX_REF))
            _emit_reference(out, off, length - 2)
            ip += length
            if ip >= n - 2:
                break
            ip, hval = _rehash(src, htab, ip - 2)
        else:
            if len(out) >= limit:
                return None
            lit = _push_literal(out, lit, src[ip])
            ip += 1
    if len(out) + 3 > limit:
        return None
    for byte in src[ip:]:
        lit = _push_literal(out, lit, byte)
    _close_run(out, lit)
    return bytes(out)


def _push_literal(out: bytearray, lit: int, byte: int) -> int:
    out.append(byte)
    lit += 1
    if lit < _MAX_LITERAL:
        return lit
    out[-lit - 1] = lit - 1
    out.append(0)
    return 0


def _close_run(out: bytearray, lit: int) -> None:
    """Write the pending run's header, or drop the reserved byte of an empty run."""
    if lit:
        out[-lit - 1] = lit - 1
    else:
        out.pop()


def _emit_reference(out: bytearray, off: int, length: int) -> None:
    """A back reference of length+2 bytes, then the reserved header of the next run."""
    if length < 7:
        out.append((off >> 8) + (length << 5))
    else:
        out.append((off >> 8) + (7 << 5))
        out.append(length - 7)
    out.append(off & 0xFF)
    out.append(0)


def _rehash(src: bytes, htab: list[int], ip: int) -> tuple[int, int]:
    """After a match, index the two positions before the new ip (liblzf VERY_FAST)."""
    hval = (src[ip] << 16) | (src[ip + 1] << 8) | src[ip + 2]
    htab[_slot(hval)] = ip + 1
    hval = ((hval << 8) | src[ip + 3]) & 0xFFFFFF
    htab[_slot(hval)] = ip + 2
    return ip + 2, hval


def decompress(data, expected_len: int, base: int = 0) -> bytes:
    """Decompress an LZF stream that must expand to exactly `expected_len` bytes.

    Raises RDBFormatError (offset = base + position in `data`) on any corruption.
    """
    src = bytes(data)
    n = len(src)
    out = bytearray()
    olen = 0                     # len(out), tracked to save calls in the hot loop
    ip = 0
    while ip < n:
        ctrl = src[ip]
        if ctrl < 32:
            end = ip + 2 + ctrl
            if end > n or olen + ctrl + 1 > expected_len:
                _bad_token(src, ip, olen, expected_len, base)
            out += src[ip + 1:end]
            olen += ctrl + 1
            ip = end
            continue
        length = ctrl >> 5
        if length == 7:
            if ip + 2 >= n:
                _bad_token(src, ip, olen, expected_len, base)
            length = 9 + src[ip + 1]
            back = ((ctrl & 0x1F) << 8) + src[ip + 2] + 1
            ip += 3
        else:
            if ip + 1 >= n:
                _bad_token(src, ip, olen, expected_len, base)
            length += 2
            back = ((ctrl & 0x1F) << 8) + src[ip + 1] + 1
            ip += 2
        start = olen - back
        if start < 0 or olen + length > expected_len:
            _bad_token(src, ip - 2 - (length > 8), olen, expected_len, base)
        if back >= length:
            out += out[start:start + length]
        else:
            pattern = out[start:]
            reps, rest = divmod(length, back)
            out += pattern * reps + pattern[:rest]
        olen += length
    if olen != expected_len:
        raise RDBFormatError(f"LZF output is {olen} bytes, expected {expected_len}", base + n)
    return bytes(out)


def _bad_token(src: bytes, ip: int, olen: int, expected_len: int, base: int):
    """Raise the error describing why the token at `ip` can't be applied."""
    ctrl = src[ip]
    if ctrl < 32:
        if ip + 2 + ctrl > len(src):
            raise RDBFormatError("LZF literal run past end of input", base + ip)
        raise RDBFormatError("LZF output longer than declared", base + ip)
    long_form = ctrl >> 5 == 7
    if ip + 2 + long_form > len(src):
        raise RDBFormatError("LZF back reference truncated", base + ip)
    length = (9 + src[ip + 1]) if long_form else (ctrl >> 5) + 2
    back = ((ctrl & 0x1F) << 8) + src[ip + 1 + long_form] + 1
    if back > olen:
        raise RDBFormatError("LZF back reference before start of output", base + ip)
    raise RDBFormatError("LZF output longer than declared", base + ip)
