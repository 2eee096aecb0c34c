"""HyperLogLog of Redis 7.0, byte for byte: the pure half of PFADD / PFCOUNT / PFMERGE.

Values are Redis's own strings, so GET / SET / DUMP / RDB carry them unchanged:
16-byte header ``b"HYLL"``, encoding (0 dense, 1 sparse), 3 unused bytes, the cached
cardinality as a 64-bit little-endian integer whose top bit marks it stale; then
either 16384 6-bit registers packed LSB first (12288 bytes) or the sparse opcodes
(see ``hll_sparse``). Elements hash with MurmurHash64A, seed 0xadc83b19; the count
is Ertl's improved estimator that Redis 7 uses. No sockets, locks, RESP or keyspace.

Values go in as bytes-like objects and are never modified; new values come back as
fresh bytearrays. Wherever a value is expected, ``None`` stands for a missing key and
an exception instance is raised when Redis would reach that key (so a caller can
keep Redis's error order for keys holding another type).

API
---
``HllError(message, partial=None)``  message is the reply line: WRONGTYPE_ERR,
    INVALIDOBJ_ERR, NOT_SPARSE_ERR, NO_KEY_ERR, "TESTFAILED ...".
``is_valid(value) -> bool``  Redis's header check (magic, encoding, dense size).
``create() -> bytearray``  the empty sparse value Redis creates (cache valid, 0).
``add(value, elements, sparse_max_bytes=3000) -> (bytearray, changed)``  PFADD.
    ``changed`` is the number of updates, creation counting one: PFADD replies 1
    iff it is non-zero, and Redis adds it to the dirty counter. On a corrupt
    sparse value Redis keeps the registers it had set before failing:
    ``HllError.partial`` then holds that value (None if nothing changed).
``count(values) -> (int, bytearray | None)``  PFCOUNT. One value: the cached count
    or a fresh one written into a new value (returned; store it and treat it as a
    write). Several values: the count of their union, nothing to store.
``merge(dest, sources, sparse_max_bytes=3000) -> bytearray``  PFMERGE; ``dest`` (the
    current value of the destination key) is merged as the first source. The result
    is dense when any input is dense, else sparse grown register by register with
    Redis's promotion rules.
``debug(subcommand, value) -> (reply, bytearray | None)``  PFDEBUG (arity 3) in
    Redis's check order; reply is a list of 16384 ints (GETREG), str (DECODE, a bulk
    string; ENCODING, a status) or 0/1 (TODENSE). Built on ``getreg(value)``,
    ``decode(value)``, ``encoding(value)`` and ``todense(value)``.
``selftest(max_elements=100_000, cycles=10, sparse_max_bytes=3000)``  PFSELFTEST,
    with smaller loops than Redis's (1000 cycles, 10M elements); raises on failure.
``pattern(element) -> (register, run)`` and ``murmur64a(data, seed)`` for tests.
"""

from __future__ import annotations

import math
import random
import struct
from itertools import islice

from . import hll_sparse as sparse
from ..threadstate import peek

WRONGTYPE_ERR = "WRONGTYPE Key is not a valid HyperLogLog string value."
INVALIDOBJ_ERR = "INVALIDOBJ Corrupted HLL object detected"
NOT_SPARSE_ERR = "ERR HLL encoding is not sparse"
NO_KEY_ERR = "ERR The specified key does not exist"

MAGIC = b"HYLL"
DENSE = 0
SPARSE = 1
HEADER_SIZE = 16
REGISTERS = 16384
DENSE_SIZE = HEADER_SIZE + REGISTERS * 6 // 8
CACHE_STALE = 0x80  # top bit of header byte 15
_Q = 50  # hash bits left for the run once 14 index bits are used

_M = 0xC6A4A7935BD1E995
_U64 = (1 << 64) - 1
SEED = 0xADC83B19
_RUN_STOP = 1 << _Q
_iter_u64 = struct.Struct("<Q").iter_unpack
_ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)
_TWO_63_INT = 1 << 63
_TWO_63 = float(_TWO_63_INT)
_LANES_80 = int.from_bytes(b"\x80" * REGISTERS, "little")


class HllError(Exception):
    """A Redis error reply; ``partial`` is a value to store despite the error."""

    def __init__(self, message: str, partial: bytearray | None = None) -> None:
        super().__init__(message)
        self.partial = partial


def _table(fn) -> bytes:
    return bytes(fn(b) & 0xFF for b in range(256))


_LOW6 = _table(lambda b: b & 63)
_SHR2, _SHR4, _SHR6 = (_table(lambda b, s=s: b >> s) for s in (2, 4, 6))
_SHL2, _SHL4, _SHL6 = (_table(lambda b, s=s: b << s) for s in (2, 4, 6))
_SHL2_LOW6 = _table(lambda b: (b << 2) & 63)
_SHL4_LOW6 = _table(lambda b: (b << 4) & 63)


# ------------------------------------------------------------------- hashing


def murmur64a(data, seed: int = SEED) -> int:
    """MurmurHash64A as Redis computes it (little-endian blocks)."""
    n = len(data)
    h = seed ^ ((n * _M) & _U64)
    tail = n & 7
    if n >= 8:
        for (k,) in _iter_u64(data[:n - tail]):
            k = (k * _M) & _U64
            k ^= k >> 47
            h = ((h ^ ((k * _M) & _U64)) * _M) & _U64
    if tail:
        h = ((h ^ int.from_bytes(data[n - tail:], "little")) * _M) & _U64
    h ^= h >> 47
    h = (h * _M) & _U64
    return h ^ (h >> 47)


def pattern(element) -> tuple[int, int]:
    """(register index, length of the 0...01 run) for an element, as hllPatLen."""
    h = murmur64a(element)
    run = (h >> 14) | _RUN_STOP
    return h & 0x3FFF, (run & -run).bit_length()


# ------------------------------------------------------------ dense registers


def _dense_raise(buf: bytearray, index: int, count: int) -> int:
    """Raise dense register ``index`` of the whole value ``buf`` to ``count``."""
    bit = index * 6
    pos = HEADER_SIZE + (bit >> 3)
    shift = bit & 7
    if shift <= 2:  # the register sits in one byte
        word = buf[pos]
        if (word >> shift) & 63 >= count:
            return 0
        buf[pos] = (word & ~(63 << shift) | count << shift) & 0xFF
        return 1
    word = buf[pos] | buf[pos + 1] << 8
    if (word >> shift) & 63 >= count:
        return 0
    word = word & ~(63 << shift) | count << shift
    buf[pos] = word & 0xFF
    buf[pos + 1] = word >> 8
    return 1


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _dense_lanes(regs) -> tuple[bytes, bytes, bytes, bytes]:
    """Registers 4i, 4i+1, 4i+2, 4i+3 as four byte strings (3 bytes hold 4)."""
    b0, b1, b2 = bytes(regs[0::3]), bytes(regs[1::3]), bytes(regs[2::3])
    return (
        b0.translate(_LOW6),
        _or(b0.translate(_SHR6), b1.translate(_SHL2_LOW6)),
        _or(b1.translate(_SHR4), b2.translate(_SHL4_LOW6)),
        b2.translate(_SHR2),
    )


def dense_to_raw(regs) -> bytes:
    """12288 packed bytes -> 16384 bytes, one register each."""
    raw = bytearray(REGISTERS)
    for lane, values in enumerate(_dense_lanes(regs)):
        raw[lane::4] = values
    return bytes(raw)


def raw_to_dense(raw) -> bytearray:
    """16384 register bytes (values <= 63) -> 12288 packed bytes."""
    r0, r1, r2, r3 = (bytes(raw[lane::4]) for lane in range(4))
    out = bytearray(REGISTERS * 6 // 8)
    out[0::3] = _or(r0, r1.translate(_SHL6))
    out[1::3] = _or(r1.translate(_SHR2), r2.translate(_SHL4))
    out[2::3] = _or(r2.translate(_SHR4), r3.translate(_SHL2))
    return out


def _lanes_max(a: int, b: int) -> int:
    """Register-wise max of two raw register arrays held as little-endian ints."""
    take_a = ((((a | _LANES_80) - b) & _LANES_80) >> 7) * 0xFF
    return (a & take_a) | (b & ~take_a)


# ---------------------------------------------------------------- estimator


def _histogram(raw: bytes) -> list[int]:
    """How many registers hold each value (bytes.count per value, stopping once
    every register was seen)."""
    hist = [0] * 64
    left = len(raw)
    for value in range(64):
        found = raw.count(value)
        hist[value] = found
        left -= found
        if not left:
            break
    return hist


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        d = 1.0 - x
        z -= d * d * y
        if previous == z:
            return z / 3.0


def estimate(hist: list[int]) -> int:
    """Ertl's estimator over a register histogram (runs above 51 are ignored).

    Registers no hash can produce (all 50 or 51, say) overflow llroundl: Redis then
    replies -2**63 and caches 2**63, whose top bit keeps the cache stale."""
    m = float(REGISTERS)
    z = m * _tau((m - hist[_Q + 1]) / m)
    for j in range(_Q, 0, -1):
        z += hist[j]
        z *= 0.5
    z += m * _sigma(hist[0] / m)
    e = _ALPHA_INF * m * m / z if z else math.inf
    if e >= _TWO_63:  # llroundl overflows to LLONG_MIN, which Redis replies as is
        return -_TWO_63_INT
    whole = math.floor(e)
    return int(whole) + (1 if e - whole >= 0.5 else 0)  # llroundl: halves away from 0


# ------------------------------------------------------------ values in general


def is_valid(value) -> bool:
    """isHLLObjectOrReply's test of a string value."""
    n = len(value)
    return (
        n >= HEADER_SIZE
        and value[:4] == MAGIC
        and value[4] <= SPARSE
        and (value[4] == SPARSE or n == DENSE_SIZE)
    )


def create() -> bytearray:
    """The empty HLL: sparse, one XZERO of 16384 registers, cached count 0."""
    return bytearray(MAGIC + b"\x01" + bytes(11) + b"\x7f\xff")


def _checked(value):
    if isinstance(value, BaseException):
        raise value
    if not is_valid(value):
        raise HllError(WRONGTYPE_ERR)
    return value


def _registers(value) -> bytes:
    """The value's registers, one byte each; INVALIDOBJ for a corrupt sparse body."""
    if value[4] == DENSE:
        return dense_to_raw(memoryview(value)[HEADER_SIZE:])
    raw = sparse.registers(bytes(value[HEADER_SIZE:]))
    if raw is None:
        raise HllError(INVALIDOBJ_ERR)
    return raw


def _densified(value) -> bytearray:
    """hllSparseToDense: header kept (cached count included), encoding dense."""
    raw = _registers(value)
    out = bytearray(value[:HEADER_SIZE])
    out[4] = DENSE
    return out + raw_to_dense(raw)


# ---------------------------------------------------------------------- PFADD


def add(value, elements, sparse_max_bytes: int = 3000) -> tuple[bytearray, int]:
    """PFADD: returns the new value and the number of updates (see module doc)."""
    if value is None:
        buf, changed = create(), 1
    else:
        buf, changed = bytearray(_checked(value)), 0
    if buf[4] == SPARSE:
        buf, updates = _add_sparse(buf, elements, sparse_max_bytes)
    else:
        updates = _add_dense(buf, elements)
    changed += updates
    if changed:
        buf[15] |= CACHE_STALE
    return buf, changed


def _add_dense(buf: bytearray, elements) -> int:
    updates = 0
    for element in elements:
        index, run = pattern(element)
        updates += _dense_raise(buf, index, run)
    return updates


def _add_sparse(buf: bytearray, elements, max_bytes: int) -> tuple[bytearray, int]:
    header = buf[:HEADER_SIZE]
    editor = sparse.editor(buf[HEADER_SIZE:], len(elements))
    updates = 0
    for position, element in enumerate(elements):
        index, run = pattern(element)
        result = editor.set(index, run, max_bytes)
        if result == 1:
            updates += 1
            header[15] |= CACHE_STALE
        elif result == sparse.PROMOTE:
            dense = _promote(header, editor, updates)
            _dense_raise(dense, index, run)
            rest = islice(elements, position + 1, None)
            return dense, updates + 1 + _add_dense(dense, rest)
        elif result == sparse.INVALID:
            raise _partial_error(header, editor, updates)
    return header + editor.body, updates


def _partial_error(header, editor, updates) -> HllError:
    return HllError(INVALIDOBJ_ERR, header + editor.body if updates else None)


def _promote(header: bytearray, editor, updates: int) -> bytearray:
    raw = sparse.registers(editor.body)
    if raw is None:
        raise _partial_error(header, editor, updates)
    out = bytearray(header)
    out[4] = DENSE
    return out + raw_to_dense(raw)


# -------------------------------------------------------------------- PFCOUNT


def count(values) -> tuple[int, bytearray | None]:
    """PFCOUNT over the values of its keys (None for a missing key)."""
    if len(values) == 1:
        return _count_one(values[0])
    union = _union(values)
    return estimate(_histogram(union.to_bytes(REGISTERS, "little"))), None


def _count_one(value) -> tuple[int, bytearray | None]:
    if value is None:
        return 0, None
    _checked(value)
    if not value[15] & CACHE_STALE:
        return int.from_bytes(value[8:16], "little"), None
    if value[4] == DENSE:
        hist = _histogram(b"".join(_dense_lanes(memoryview(value)[HEADER_SIZE:])))
    else:
        hist = sparse.histogram(bytes(value[HEADER_SIZE:]))
        if hist is None:
            raise HllError(INVALIDOBJ_ERR)
    card = estimate(hist)
    out = bytearray(value)
    out[8:16] = (card & _U64).to_bytes(8, "little")  # LLONG_MIN leaves it stale
    return card, out


def _union(values) -> int:
    """Register-wise max of the values (as an int of raw lanes); returns 0 if none."""
    union = 0
    for value in values:
        if value is None:
            continue
        regs = int.from_bytes(_registers(_checked(value)), "little")
        union = _lanes_max(union, regs) if union else regs
    return union


# -------------------------------------------------------------------- PFMERGE


def merge(dest, sources, sparse_max_bytes: int = 3000) -> bytearray:
    """PFMERGE: the destination's new value (``dest`` None when the key is missing)."""
    inputs = [dest, *sources]
    raw = _union(inputs).to_bytes(REGISTERS, "little")
    out = create() if dest is None else bytearray(dest)
    if not any(v is not None and v[4] == DENSE for v in inputs):
        if dest is None:
            body = sparse.encode_ascending(raw, sparse_max_bytes)
        else:
            body = _merge_sparse(out, raw, sparse_max_bytes)
        if body is not None:
            out[HEADER_SIZE:] = body
            out[15] |= CACHE_STALE
            return out
    out = out[:HEADER_SIZE] + raw_to_dense(raw)
    out[4] = DENSE
    out[15] |= CACHE_STALE
    return out


def _merge_sparse(out: bytearray, raw: bytes, max_bytes: int) -> bytearray | None:
    """Raise each non-zero register in turn, as Redis does into an existing sparse
    destination: the new body, or None once promoted (the registers are ``raw``)."""
    editor = sparse.editor(out[HEADER_SIZE:], len(raw) - raw.count(0))
    for index, value in sparse.nonzero_registers(raw):
        if editor.set(index, value, max_bytes) == sparse.PROMOTE:
            return None
    return editor.body


# -------------------------------------------------------------------- PFDEBUG


def getreg(value) -> tuple[list[int], bytearray | None]:
    """PFDEBUG GETREG: registers, plus the densified value when it was sparse."""
    _checked(value)
    if value[4] == SPARSE:
        value = _densified(value)
        return list(dense_to_raw(memoryview(value)[HEADER_SIZE:])), value
    return list(dense_to_raw(memoryview(value)[HEADER_SIZE:])), None


def decode(value) -> str:
    """PFDEBUG DECODE: the sparse opcodes as text."""
    if _checked(value)[4] != SPARSE:
        raise HllError(NOT_SPARSE_ERR)
    return sparse.decode_text(memoryview(value)[HEADER_SIZE:])


def encoding(value) -> str:
    """PFDEBUG ENCODING: "dense" or "sparse"."""
    return "sparse" if _checked(value)[4] == SPARSE else "dense"


def todense(value) -> tuple[int, bytearray | None]:
    """PFDEBUG TODENSE: 1 and the dense value if it was sparse, else 0 and None."""
    if _checked(value)[4] == SPARSE:
        return 1, _densified(value)
    return 0, None


_DEBUG = {
    "getreg": getreg,
    "decode": lambda value: (decode(value), None),
    "encoding": lambda value: (encoding(value), None),
    "todense": todense,
}


def debug(subcommand, value):
    """PFDEBUG <subcommand> <key> -> (reply, new value or None), errors in Redis's
    order: missing key, not an HLL, unknown subcommand, corrupt sparse value."""
    name = subcommand
    if isinstance(name, (bytes, bytearray)):
        name = name.decode("utf-8", "replace")
    if value is None:
        raise HllError(NO_KEY_ERR)
    _checked(value)
    handler = peek(_DEBUG, name.lower())
    if handler is None:
        raise HllError("ERR Unknown PFDEBUG subcommand '%s'" % name)
    return handler(value)


# ----------------------------------------------------------------- PFSELFTEST


def selftest(max_elements: int = 100_000, cycles: int = 10, sparse_max_bytes: int = 3000) -> None:
    """PFSELFTEST's two checks, scaled down; raises HllError("TESTFAILED ...")."""
    rng = random.Random()
    _selftest_registers(rng, cycles)
    _selftest_estimates(rng, max_elements, sparse_max_bytes)


def _selftest_registers(rng: random.Random, cycles: int) -> None:
    for _ in range(cycles):
        expected = bytes(rng.getrandbits(6) for _ in range(REGISTERS))
        buf = bytearray(DENSE_SIZE)
        for index, value in enumerate(expected):  # the single-register path
            _dense_raise(buf, index, value)
        for packed in (buf[HEADER_SIZE:], raw_to_dense(expected)):
            got = dense_to_raw(packed)
            if got != expected:
                i = next(j for j in range(REGISTERS) if got[j] != expected[j])
                raise HllError("TESTFAILED Register %d should be %d but is %d"
                               % (i, expected[i], got[i]))


def _selftest_estimates(rng: random.Random, max_elements: int, max_bytes: int) -> None:
    relerr = 1.04 / math.sqrt(REGISTERS)
    seed = rng.getrandbits(64)
    dense = bytearray(MAGIC + bytes(DENSE_SIZE - 4))
    value, done, checkpoint = create(), 0, 1
    while checkpoint <= max_elements:
        batch = [((j ^ seed) & _U64).to_bytes(8, "little") for j in range(done + 1, checkpoint + 1)]
        _add_dense(dense, batch)
        value, _ = add(value, batch, max_bytes)
        done = checkpoint
        if checkpoint < max_bytes / 2 and value[4] != SPARSE:
            raise HllError("TESTFAILED sparse encoding not used")
        card = estimate(_histogram(dense_to_raw(dense[HEADER_SIZE:])))
        if card != count([value])[0]:
            raise HllError("TESTFAILED dense/sparse disagree")
        maxerr = 1 if checkpoint == 10 else math.ceil(relerr * 6 * checkpoint)
        if abs(checkpoint - card) > maxerr:
            raise HllError("TESTFAILED Too big error. card:%d abserr:%d" % (checkpoint, abs(checkpoint - card)))
        checkpoint *= 10
