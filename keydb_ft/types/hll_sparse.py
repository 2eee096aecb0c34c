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

``SparseEditor`` replays ``hllSparseSet``: it keeps the body as a bytearray plus
``starts[i]``, the first register of the opcode owning byte i (an XZERO's second
byte gets the start of the following opcode; ``starts[len(body)]`` is the register
count covered), so finding a register is a bisect and splitting a run is one slice
assignment. Splits, the 5-opcode merge window and promotion are Redis's, so the
bytes come out identical.
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

# SparseEditor.set() results besides 0 (unchanged) and 1 (updated).
PROMOTE = 2
INVALID = -1

_XZERO_FIRST = re.compile(rb"[\x40-\x7f]")
_NONZERO = re.compile(rb"[^\x00]")


def _one_byte_span(op: int) -> int:
    if op < 0x40:
        return op + 1
    if op >= 0x80:
        return (op & 3) + 1
    return 0  # XZERO first byte: never looked up through this table


# Registers covered by each one-byte opcode, as a bytes.translate() table.
_SPAN = bytes(_one_byte_span(op) for op in range(256))
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


def expand(body) -> bytes:
    """One byte per register, decoding every opcode in order.

    Stops as soon as more than REGISTERS registers were produced, so the length of
    the result is REGISTERS exactly when the runs add up to exactly REGISTERS."""
    parts, total, pos, n = [], 0, 0, len(body)
    cap = REGISTERS + 1
    while total < cap:
        found = _XZERO_FIRST.search(body, pos)
        stop = n if found is None else found.start()
        if stop > pos:  # each opcode covers >= 1 register: cap the slice
            chunk = b"".join(map(_EXPAND.__getitem__, body[pos:min(stop, pos + cap - total)]))
            parts.append(chunk)
            total += len(chunk)
        if found is None or total >= cap:
            break
        span = xzero_span(body, stop)
        parts.append(bytes(span))
        total += span
        pos = stop + 2
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


def _starts(body, past_end: int = 0) -> list[int]:
    """First register of the opcode owning each byte, plus the covered total."""
    spans: list[int] = []
    pos, n = 0, len(body)
    while True:
        found = _XZERO_FIRST.search(body, pos)
        stop = n if found is None else found.start()
        spans += body[pos:stop].translate(_SPAN)
        if found is None:
            return list(accumulate(spans, initial=0))
        spans.append(xzero_span(body, stop, past_end))
        if stop + 1 < n:
            spans.append(0)
        pos = stop + 2


# ------------------------------------------------------------------- editing


class SparseEditor:
    """A sparse body being changed register by register, as ``hllSparseSet`` does.

    ``past_end`` mirrors the byte after the string in Redis's buffer, which a body
    ending in a lone XZERO byte reads: Redis's split of that opcode leaves its last
    byte there, any length change writes the terminator (0) over it. Only tracked
    within one editor: a fresh string always has 0 there."""

    __slots__ = ("body", "starts", "past_end")

    def __init__(self, body) -> None:
        self.body = bytearray(body)
        self.starts = _starts(self.body)
        self.past_end = 0

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """Raise register ``index`` to ``count``. Returns 1 if the body changed, 0 if
        the register already held at least ``count``, PROMOTE when Redis converts to
        dense instead (body untouched), INVALID when no opcode covers ``index``."""
        if count > VAL_MAX_VALUE:
            return PROMOTE
        body, starts = self.body, self.starts
        n = len(body)
        if index >= starts[n]:
            return INVALID
        k = bisect_right(starts, index, 0, n) - 1
        op = body[k]
        if op >= 0x80:
            if ((op >> 2) & 31) + 1 >= count:
                return 0
            if op & 3 == 0:
                body[k] = val_op(count, 1)
                self._merge_values(self._previous(k))
                return 1
        elif op == 0:  # ZERO of length 1
            body[k] = val_op(count, 1)
            self._merge_values(self._previous(k))
            return 1
        return self._split(k, index, count, max_bytes)

    def _previous(self, k: int) -> int:
        """Byte offset of the opcode before the one at ``k`` (0 when k is first)."""
        if k == 0:
            return 0
        return k - 2 if self.starts[k - 1] == self.starts[k] else k - 1

    def _split(self, k: int, index: int, count: int, max_bytes: int) -> int:
        body, starts = self.body, self.starts
        op, first = body[k], starts[k]
        last = starts[k + 1] - 1
        seq, spans = self._split_ops(op, first, last, index, count)
        old_len = 2 if 0x40 <= op < 0x80 else 1
        delta = len(seq) - old_len
        if delta > 0 and HEADER_SIZE + len(body) + delta > max_bytes:
            return PROMOTE
        prev = self._previous(k)
        if k + old_len > len(body):
            # A lone XZERO byte at the end: Redis counts it as 2 bytes, so the
            # new sequence's last byte lands past the end of the string.
            body[k:] = seq[:-1]
            self.past_end = seq[-1]
            self.starts = _starts(body, self.past_end)
        else:
            body[k:k + old_len] = seq
            starts[k:k + old_len] = accumulate(spans[:-1], initial=first)
            self._set_past_end(0)
        self._merge_values(prev)
        return 1

    def _set_past_end(self, byte: int) -> None:
        """Change the byte past the end; a trailing lone XZERO byte reads it."""
        if byte == self.past_end:
            return
        self.past_end = byte
        body, starts = self.body, self.starts
        n = len(body)
        if n and 0x40 <= body[-1] < 0x80 and starts[n - 1] != starts[n]:
            starts[n] = starts[n - 1] + xzero_span(body, n - 1, byte)

    @staticmethod
    def _split_ops(op, first, last, index, count) -> tuple[bytes, list[int]]:
        """Opcodes replacing run [first, last] once ``index`` holds ``count``."""
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

    def _merge_values(self, pos: int) -> None:
        """Redis's step 4: scan up to 5 opcodes from ``pos`` and fuse adjacent VALs
        holding the same value while the run fits in one VAL."""
        body, starts = self.body, self.starts
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
                        del starts[pos + 1]
                        n -= 1
                        self._set_past_end(0)
                        continue
            pos += 1
