"""The sparse HyperLogLog encoding of Redis 7.0: reading it and editing it in place.

Helper of ``keydb_ft.types.hll`` (the public API lives there). Everything here works
on the *body* of a sparse value, the bytes after the 16-byte header.

Opcodes (one register run each):
    ZERO   ``00xxxxxx``           xxxxxx+1 registers (1..64) set to 0
    XZERO  ``01xxxxxx yyyyyyyy``  (x<<8 | y)+1 registers (1..16384) set to 0
    VAL    ``1vvvvvxx``           xx+1 registers (1..4) set to vvvvv+1 (1..32)

Corrupt bodies are read the way redis-server reads them: a lone XZERO first byte at
the very end is read with a 0 second byte (the sds terminator), and reading
registers wants the runs to add up to exactly 16384. Editing only needs the run
holding the register: like Redis, PFADD can change a corrupt body.

Editors replay ``hllSparseSet`` on a bytearray: splits, the 5-opcode merge window
and promotion are Redis's, so the bytes come out identical. ``SparseEditor`` finds
each register by scanning (cheap for one or two edits); ``IndexedSparseEditor``
also keeps ``starts[i]``, the first register of the opcode owning byte i (an XZERO's
second byte gets the start of the following opcode; ``starts[len(body)]`` is the
register count covered), so each further edit is a bisect and a slice assignment.
``editor(body, edits)`` picks one. Python-level loops run per XZERO opcode at most;
one-byte opcodes go through bytes.translate / count / sum.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

REGISTERS = 16384
VAL_MAX_VALUE = 32
VAL_MAX_LEN = 4
ZERO_MAX_LEN = 64
HEADER_SIZE = 16

# Editor.set() results besides 0 (unchanged) and 1 (updated).
PROMOTE = 2
INVALID = -1

# More than this many body bytes cover more than REGISTERS registers.
_READ_LIMIT = 2 * REGISTERS + 2
_SCAN_CHUNK = 512
_NONZERO = re.compile(rb"[^\x00]")


def _one_byte_span(op: int) -> int:
    if op < 0x40:
        return op + 1
    if op >= 0x80:
        return (op & 3) + 1
    return 0  # XZERO first byte: its span needs the second byte


# bytes.translate() tables over opcode bytes.
_SPAN = bytes(_one_byte_span(op) for op in range(256))
_XZERO_MARK = bytes(1 if 0x40 <= op < 0x80 else 0 for op in range(256))
_VALUE = bytes(((op >> 2) & 31) + 1 if op >= 0x80 else 0 for op in range(256))
# The registers each one-byte opcode stands for, one byte per register.
_EXPAND = tuple(
    bytes(((op >> 2) & 31) + 1 for _ in range((op & 3) + 1)) if op >= 0x80 else bytes(_SPAN[op])
    for op in range(256)
)


def val_op(value: int, runlen: int) -> int:
    return 0x80 | (value - 1) << 2 | (runlen - 1)


def xzero_span(body, pos: int, past_end: int = 0) -> int:
    """Run length of the XZERO at ``pos``; a missing second byte reads as the byte
    past the end of the string (``past_end``, the terminator: 0 unless an edit put
    something there)."""
    low = body[pos + 1] if pos + 1 < len(body) else past_end
    return ((body[pos] & 0x3F) << 8 | low) + 1


def _zero_ops(runlen: int) -> tuple[bytes, list[int]]:
    """The opcode Redis writes for ``runlen`` zero registers, with per-byte spans."""
    if runlen > ZERO_MAX_LEN:
        return bytes((0x40 | (runlen - 1) >> 8, (runlen - 1) & 0xFF)), [runlen, 0]
    return bytes((runlen - 1,)), [runlen]


# ------------------------------------------------------------------- reading


def _without_xzeros(body) -> tuple[bytes, int]:
    """The one-byte opcodes of ``body`` joined, and the registers its XZEROs cover."""
    find = body.translate(_XZERO_MARK).find
    parts, zeros, pos = [], 0, 0
    x = find(1)
    while x >= 0:
        parts.append(body[pos:x])
        zeros += xzero_span(body, x)
        pos = x + 2
        x = find(1, pos)
    parts.append(body[pos:])
    return b"".join(parts), zeros


def histogram(body) -> list[int] | None:
    """Register histogram (64 slots), None unless the runs add up to REGISTERS."""
    if len(body) > _READ_LIMIT:
        return None
    ones, zeros = _without_xzeros(body)
    if sum(ones.translate(_SPAN)) + zeros != REGISTERS:
        return None
    hist = [0] * 64
    values = ones.translate(_VALUE)
    left, value, nonzero = len(values) - values.count(0), 0, 0
    while left:
        value += 1
        found = values.count(value)
        if found:
            left -= found
            op = val_op(value, 1)
            hist[value] = sum(ones.count(op + i) * (i + 1) for i in range(VAL_MAX_LEN))
            nonzero += hist[value]
    hist[0] = REGISTERS - nonzero
    return hist


def expand(body) -> bytes:
    """One byte per register, decoding every opcode in order.

    Stops as soon as more than REGISTERS registers were produced, so the length of
    the result is REGISTERS exactly when the runs add up to exactly REGISTERS."""
    body = body[:_READ_LIMIT]
    find = body.translate(_XZERO_MARK).find
    parts, total, pos, n = [], 0, 0, len(body)
    while total <= REGISTERS:
        x = find(1, pos)
        stop = n if x < 0 else x
        if stop > pos:
            chunk = b"".join(map(_EXPAND.__getitem__, body[pos:stop]))
            parts.append(chunk)
            total += len(chunk)
        if x < 0:
            break
        span = xzero_span(body, x)
        parts.append(bytes(span))
        total += span
        pos = x + 2
    return b"".join(parts)


def registers(body) -> bytes | None:
    """One byte per register, or None when the runs do not add up to exactly
    REGISTERS: redis-server (with the CVE-2025-32023 fix) then calls the value
    corrupt, whether it counts, merges or densifies it."""
    raw = expand(body)
    return raw if len(raw) == REGISTERS else None


def nonzero_registers(raw: bytes):
    """Yield (index, value) of the non-zero registers, in ascending order."""
    for found in _NONZERO.finditer(raw):
        idx = found.start()
        yield idx, raw[idx]


def _zero_len(runlen: int) -> int:
    """Bytes of the opcode Redis writes for ``runlen`` zero registers."""
    return 0 if runlen == 0 else (2 if runlen > ZERO_MAX_LEN else 1)


def encode_ascending(raw: bytes, max_bytes: int) -> bytearray | None:
    """The body Redis builds raising the registers of a new, empty HLL to ``raw``
    one by one in ascending order (PFMERGE into a missing key), or None when it
    promotes to dense. Same bytes as SparseEditor.set() calls, in one pass: each
    set splits the trailing zero run, and a VAL fuses with the VAL right before it."""
    out = bytearray()
    size = HEADER_SIZE + 2  # the empty HLL: XZERO:16384
    start = run_value = run_len = 0  # trailing zero run start; last VAL run
    for index, value in nonzero_registers(raw):
        if value > VAL_MAX_VALUE:
            return None
        gap = index - start
        delta = _zero_len(gap) + 1 + _zero_len(REGISTERS - index - 1) \
            - _zero_len(REGISTERS - start)
        if delta > 0 and size + delta > max_bytes:
            return None
        size += delta
        if gap:
            out += _zero_ops(gap)[0]
            run_len = 0
        if run_len and run_value == value and run_len < VAL_MAX_LEN:
            out[-1] += 1
            run_len += 1
            size -= 1
        else:
            out.append(val_op(value, 1))
            run_value, run_len = value, 1
        start = index + 1
    if start < REGISTERS:
        out += _zero_ops(REGISTERS - start)[0]
    return out


def decode_text(body) -> str:
    """PFDEBUG DECODE's text: ``z:len``, ``Z:len`` and ``v:value,len`` tokens."""
    parts, pos, n = [], 0, len(body)
    while pos < n:
        op = body[pos]
        if op < 0x40:
            parts.append("z:%d" % (op + 1))
            pos += 1
        elif op < 0x80:
            parts.append("Z:%d" % xzero_span(body, pos))
            pos += 2
        else:
            parts.append("v:%d,%d" % (((op >> 2) & 31) + 1, (op & 3) + 1))
            pos += 1
    return " ".join(parts)


# ------------------------------------------------------------------- editing


def editor(body, edits: int) -> SparseEditor:
    """An editor for ``body`` suited to about ``edits`` register updates."""
    if edits <= 1 or len(body) > 1 << 16:  # huge means corrupt: never index it all
        return SparseEditor(body)
    return IndexedSparseEditor(body)


def _scan_locate(body, index: int, past_end: int):
    """(byte offset, first register, span, previous opcode offset) of the opcode
    covering register ``index``, scanning from the start; None if none does."""
    spans = body.translate(_SPAN)
    find = body.translate(_XZERO_MARK).find
    n, pos, acc = len(body), 0, 0
    while True:
        x = find(1, pos)
        end = n if x < 0 else x
        for c in range(pos, end, _SCAN_CHUNK):
            chunk = spans[c:min(c + _SCAN_CHUNK, end)]
            total = sum(chunk)
            if index < acc + total:
                ends = list(accumulate(chunk, initial=acc))
                j = bisect_right(ends, index) - 1
                k = c + j
                return k, ends[j], chunk[j], (k - 1 if k > pos else max(pos - 2, 0))
            acc += total
        if x < 0:
            return None
        span = xzero_span(body, x, past_end)
        if index < acc + span:
            return x, acc, span, (x - 1 if x > pos else max(pos - 2, 0))
        acc += span
        pos = x + 2


def _split_ops(op, first, last, index, count) -> tuple[bytes, list[int]]:
    """Opcodes replacing run [first, last] once ``index`` holds ``count``, and the
    registers each of their bytes covers (0 for an XZERO's second byte)."""
    seq, spans = bytearray(), []
    if op < 0x80:
        if index != first:
            ops, run_spans = _zero_ops(index - first)
            seq += ops
            spans += run_spans
        seq.append(val_op(count, 1))
        spans.append(1)
        if index != last:
            ops, run_spans = _zero_ops(last - index)
            seq += ops
            spans += run_spans
        return bytes(seq), spans
    value_bits = op & 0xFC
    if index != first:
        seq.append(value_bits | (index - first - 1))
        spans.append(index - first)
    seq.append(val_op(count, 1))
    spans.append(1)
    if index != last:
        seq.append(value_bits | (last - index - 1))
        spans.append(last - index)
    return bytes(seq), spans


class SparseEditor:
    """A sparse body changed register by register, as ``hllSparseSet`` does.

    ``past_end`` mirrors the byte after the string in Redis's buffer, which a body
    ending in a lone XZERO byte reads: Redis's split of that opcode leaves its last
    byte there, any length change writes the terminator (0) over it. Only tracked
    within one editor: a fresh string always has 0 there."""

    __slots__ = ("body", "past_end")

    def __init__(self, body) -> None:
        self.body = bytearray(body)
        self.past_end = 0

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """Raise register ``index`` to ``count``. Returns 1 if the body changed, 0 if
        the register already held at least ``count``, PROMOTE when Redis converts to
        dense instead (body untouched), INVALID when no opcode covers ``index``."""
        if count > VAL_MAX_VALUE:
            return PROMOTE
        found = self._locate(index)
        if found is None:
            return INVALID
        k, first, span, prev = found
        body = self.body
        op = body[k]
        if op >= 0x80:
            if ((op >> 2) & 31) + 1 >= count:
                return 0
            if op & 3 == 0:  # a VAL of one register: overwrite it
                body[k] = val_op(count, 1)
                self._merge_values(prev)
                return 1
        elif op == 0:  # a ZERO of one register: becomes a VAL
            body[k] = val_op(count, 1)
            self._merge_values(prev)
            return 1
        seq, spans = _split_ops(op, first, first + span - 1, index, count)
        old_len = 2 if 0x40 <= op < 0x80 else 1
        delta = len(seq) - old_len
        if delta > 0 and HEADER_SIZE + len(body) + delta > max_bytes:
            return PROMOTE
        if k + old_len > len(body):
            # A lone XZERO byte at the end: Redis counts it as 2 bytes, so the
            # new sequence's last byte lands past the end of the string.
            body[k:] = seq[:-1]
            self._replaced_tail(seq[-1])
        else:
            body[k:k + old_len] = seq
            self._replaced(k, old_len, first, spans)
        self._merge_values(prev)
        return 1

    def _locate(self, index: int):
        return _scan_locate(self.body, index, self.past_end)

    def _replaced(self, k: int, old_len: int, first: int, spans: list[int]) -> None:
        self.past_end = 0

    def _replaced_tail(self, past_end: int) -> None:
        self.past_end = past_end

    def _fused(self, pos: int) -> None:
        self.past_end = 0

    def _merge_values(self, pos: int) -> None:
        """Redis's step 4: scan up to 5 opcodes from ``pos`` and fuse adjacent VALs
        holding the same value while the run fits in one VAL."""
        body = self.body
        n, budget = len(body), 5
        while pos < n and budget:
            budget -= 1
            op = body[pos]
            if op < 0x80:
                pos += 2 if op >= 0x40 else 1
                continue
            if pos + 1 < n:
                nxt = body[pos + 1]
                if nxt >= 0x80 and (nxt ^ op) & 0x7C == 0:
                    runlen = (op & 3) + (nxt & 3) + 2
                    if runlen <= VAL_MAX_LEN:
                        body[pos + 1] = (op & 0xFC) | (runlen - 1)
                        del body[pos]
                        n -= 1
                        self._fused(pos)
                        continue
            pos += 1


def _starts(body, past_end: int = 0) -> list[int]:
    """First register of the opcode owning each byte, plus the covered total."""
    spans = list(body.translate(_SPAN))
    find = body.translate(_XZERO_MARK).find
    n = len(body)
    x = find(1)
    while x >= 0:
        spans[x] = xzero_span(body, x, past_end)
        if x + 1 < n:
            spans[x + 1] = 0
        x = find(1, x + 2)
    return list(accumulate(spans, initial=0))


class IndexedSparseEditor(SparseEditor):
    """SparseEditor plus ``starts`` (see the module doc): bisect instead of scans."""

    __slots__ = ("starts",)

    def __init__(self, body) -> None:
        super().__init__(body)
        self.starts = _starts(self.body)

    def _locate(self, index: int):
        starts, n = self.starts, len(self.body)
        if index >= starts[n]:
            return None
        k = bisect_right(starts, index, 0, n) - 1
        first = starts[k]
        # the byte before k is an XZERO's second one when it starts the same run
        prev = 0 if k == 0 else (k - 2 if starts[k - 1] == first else k - 1)
        return k, first, starts[k + 1] - first, prev

    def _replaced(self, k: int, old_len: int, first: int, spans: list[int]) -> None:
        self.starts[k:k + old_len] = accumulate(spans[:-1], initial=first)
        self._set_past_end(0)

    def _replaced_tail(self, past_end: int) -> None:
        self.past_end = past_end
        self.starts = _starts(self.body, past_end)

    def _fused(self, pos: int) -> None:
        del self.starts[pos + 1]
        self._set_past_end(0)

    def _set_past_end(self, byte: int) -> None:
        """Change the byte past the end; a trailing lone XZERO byte reads it."""
        if byte == self.past_end:
            return
        self.past_end = byte
        body, starts = self.body, self.starts
        n = len(body)
        if n and 0x40 <= body[-1] < 0x80 and starts[n - 1] != starts[n]:
            starts[n] = starts[n - 1] + xzero_span(body, n - 1, byte)
