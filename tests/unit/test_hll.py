"""keydb_ft.types.hll against a real redis-server 7.0: same bytes, same counts, same errors.

Every test drives redis-server and the pure module with the same commands and compares
replies and the stored values (GET) byte for byte. ``element_for(index, run)`` inverts
MurmurHash64A, so tests can aim at exact registers and run lengths (runs above 32,
adjacent registers, XZERO boundaries) instead of hoping random elements hit them.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keydb_ft.types import hll, hll_sparse

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
HYPOTHESIS = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------------ fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "no", "--logfile", ""],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield client
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def r(server):
    server.flushall()
    server.config_set("hll-sparse-max-bytes", 3000)
    return server


@pytest.fixture(params=["auto", "scan", "indexed"])
def editor_kind(request, monkeypatch):
    """Run a test with hll_sparse.editor() forced to one editor class (or not)."""
    kinds = {"scan": hll_sparse.SparseEditor, "indexed": hll_sparse.IndexedSparseEditor}
    if request.param in kinds:
        cls = kinds[request.param]
        monkeypatch.setattr(hll_sparse, "editor", lambda body, edits: cls(body))
    return request.param


# ----------------------------------------------------------------- helpers

_M = 0xC6A4A7935BD1E995
_M_INV = pow(_M, -1, 1 << 64)
_U64 = (1 << 64) - 1


def _unshift47(x: int) -> int:
    return x ^ (x >> 47)  # x ^ (x >> 47) is its own inverse on 64 bits


def element_for(index: int, run: int) -> bytes:
    """An 8-byte element whose hash lands in register ``index`` with run ``run``."""
    target = index | (1 << (14 + run - 1)) if run <= 50 else index
    h = _unshift47(target)
    h = _unshift47((h * _M_INV) & _U64)
    start = hll.SEED ^ ((8 * _M) & _U64)
    k = ((h * _M_INV) & _U64) ^ start
    k = _unshift47((k * _M_INV) & _U64)
    return ((k * _M_INV) & _U64).to_bytes(8, "little")


class Model:
    """The command semantics a server handler would give, on top of the module."""

    def __init__(self, max_bytes: int = 3000) -> None:
        self.store: dict[bytes, bytes] = {}
        self.max_bytes = max_bytes

    def set(self, key, value):
        self.store[key] = bytes(value)
        return True

    def pfadd(self, key, *elements):
        try:
            value, changed = hll.add(self.store.get(key), list(elements), self.max_bytes)
        except hll.HllError as e:
            if e.partial is not None:
                self.store[key] = bytes(e.partial)
            raise
        self.store[key] = bytes(value)
        return 1 if changed else 0

    def pfcount(self, *keys):
        card, updated = hll.count([self.store.get(k) for k in keys])
        if updated is not None:
            self.store[keys[0]] = bytes(updated)
        return card

    def pfmerge(self, dest, *sources):
        value = hll.merge(self.store.get(dest), [self.store.get(k) for k in sources],
                          self.max_bytes)
        self.store[dest] = bytes(value)
        return True

    def pfdebug(self, sub, key):
        reply, updated = hll.debug(sub, self.store.get(key))
        if updated is not None:
            self.store[key] = bytes(updated)
        return reply.encode() if isinstance(reply, str) else reply


def _as_keys(args):
    return [a.encode() if isinstance(a, str) else a for a in args]


def both(r, model: Model, *cmd):
    """Run ``cmd`` on redis-server and on the model; replies and values must match."""
    name, args = cmd[0], _as_keys(cmd[1:])
    try:
        expected = ("ok", r.execute_command(name, *args))
    except redis.ResponseError as e:
        expected = ("err", str(e))
    try:
        got = ("ok", getattr(model, name.lower())(*args))
    except hll.HllError as e:
        got = ("err", str(e).removeprefix("ERR "))
    assert got == expected, cmd[:3]
    for key in model.store:
        assert r.get(key) == model.store[key], (cmd[:3], key)
    return expected


def add_batches(r, model, key, elements, rng, max_batch):
    """PFADD in random batches, checking the reply and the value after each one."""
    pipe = r.pipeline(transaction=False)
    batches, i = [], 0
    while i < len(elements):
        size = rng.randrange(1, max_batch + 1)
        batches.append(elements[i:i + size])
        i += size
    for batch in batches:
        pipe.pfadd(key, *batch)
        pipe.get(key)
    replies = pipe.execute()
    for n, batch in enumerate(batches):
        assert model.pfadd(key, *batch) == replies[2 * n], n
        assert model.store[key] == replies[2 * n + 1], n


def random_elements(rng, n, max_len=24):
    return [rng.randbytes(rng.randrange(0, max_len + 1)) for _ in range(n)]


def check_count(r, model, key):
    """PFCOUNT twice (computed, then cached): same count and cached bytes."""
    for _ in range(2):
        both(r, model, "PFCOUNT", key)


# ------------------------------------------------------------------- hashing


def test_element_for_hits_the_requested_register():
    for index, run in [(0, 1), (16383, 51), (77, 33), (5000, 12)]:
        assert hll.pattern(element_for(index, run)) == (index, run)


def test_registers_match_redis_getreg(r):
    rng = random.Random(7)
    elements = [b""] + [bytes(range(n)) for n in range(1, 40)] + random_elements(rng, 300, 64)
    r.pfadd("k", *elements)
    registers = r.execute_command("PFDEBUG", "GETREG", "k")
    expected = [0] * hll.REGISTERS
    for element in elements:
        index, run = hll.pattern(element)
        expected[index] = max(expected[index], run)
    assert registers == expected


# --------------------------------------------------------------------- PFADD


def test_empty_pfadd_creates_redis_value(r):
    model = Model()
    both(r, model, "PFADD", "k")
    assert model.store[b"k"] == b"HYLL\x01" + bytes(10) + b"\x80\x7f\xff"
    both(r, model, "PFADD", "k")
    check_count(r, model, "k")
    assert model.store[b"k"][8:16] == bytes(8)
    assert hll.create() == r.execute_command("GET", "k")


@pytest.mark.parametrize("size,max_batch", [
    (1, 1), (2, 2), (3, 3), (10, 4), (100, 20), (700, 50), (1500, 100), (2200, 100),
    (3000, 300), (6000, 500), (20000, 2000), (100_000, 5000)])
def test_random_sets_same_bytes_and_counts(r, size, max_batch):
    rng = random.Random(size)
    model = Model()
    elements = random_elements(rng, size)
    add_batches(r, model, b"k", elements, rng, max_batch)
    check_count(r, model, "k")
    # adding known elements again changes nothing, not even the cached count
    both(r, model, "PFADD", "k", *rng.sample(elements, min(size, 50)))
    both(r, model, "PFADD", "k")
    check_count(r, model, "k")


@pytest.mark.parametrize("max_bytes", [0, 1, 17, 20, 100, 300, 3000, 7000])
def test_promotion_point_one_element_at_a_time(r, max_bytes, editor_kind):
    r.config_set("hll-sparse-max-bytes", max_bytes)
    model = Model(max_bytes)
    rng = random.Random(max_bytes)
    elements = random_elements(rng, 4000 if max_bytes < 3000 else 9000)
    add_batches(r, model, b"k", elements, rng, 1)
    assert model.store[b"k"][4] == hll.DENSE
    check_count(r, model, "k")


def test_run_above_32_promotes_sparse_to_dense(r):
    model = Model()
    both(r, model, "PFADD", "k", element_for(3, 2), element_for(9000, 7))
    assert model.store[b"k"][4] == hll.SPARSE
    both(r, model, "PFADD", "k", element_for(100, 32))
    assert model.store[b"k"][4] == hll.SPARSE
    both(r, model, "PFADD", "k", element_for(101, 33), element_for(5, 51))
    assert model.store[b"k"][4] == hll.DENSE
    both(r, model, "PFDEBUG", "GETREG", "k")
    check_count(r, model, "k")


@pytest.mark.parametrize("max_bytes", [3000, 40])
def test_aimed_registers_exercise_splits_and_merges(r, max_bytes, editor_kind):
    """Neighbouring registers, equal values (VAL merging), 64/65-long zero gaps."""
    r.config_set("hll-sparse-max-bytes", max_bytes)
    model = Model(max_bytes)
    aims = [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (2, 3), (64, 2), (65, 2), (130, 2),
            (129, 2), (131, 2), (128, 2), (16383, 1), (16318, 4), (16317, 4), (200, 5),
            (202, 5), (201, 5), (203, 5), (199, 5), (4000, 9), (4000, 10), (1, 2)]
    for index, run in aims:
        both(r, model, "PFADD", "k", element_for(index, run))
        if model.store[b"k"][4] == hll.SPARSE:
            both(r, model, "PFDEBUG", "DECODE", "k")
    check_count(r, model, "k")


@given(st.lists(st.tuples(st.integers(0, 16383), st.integers(1, 51)), max_size=60),
       st.sampled_from([0, 30, 200, 3000]))
@HYPOTHESIS
def test_hypothesis_aimed_pfadd(server, editor_kind, aims, max_bytes):
    server.flushall()
    server.config_set("hll-sparse-max-bytes", max_bytes)
    model = Model(max_bytes)
    half = len(aims) // 2
    for part in (aims[:half], aims[half:]):
        both(server, model, "PFADD", "k", *[element_for(i, c) for i, c in part])
    both(server, model, "PFCOUNT", "k")


@given(st.lists(st.binary(max_size=40), max_size=300))
@HYPOTHESIS
def test_hypothesis_random_elements(server, elements):
    server.flushall()
    server.config_set("hll-sparse-max-bytes", 3000)
    model = Model()
    both(server, model, "PFADD", "k", *elements)
    both(server, model, "PFCOUNT", "k")


# ------------------------------------------------------------------- PFCOUNT


def test_values_from_redis_count_here(r):
    rng = random.Random(3)
    for size in [0, 1, 50, 900, 2500, 4000, 30000]:
        r.delete("k")
        r.pfadd("k", *random_elements(rng, size))
        value = r.get("k")
        card, updated = hll.count([value])
        assert card == r.pfcount("k")
        assert bytes(updated) == r.get("k")
        assert hll.count([r.get("k")]) == (card, None)  # cache now valid


def test_multi_key_count_is_union_and_writes_nothing(r):
    rng = random.Random(4)
    model = Model()
    for key, size in [("a", 10), ("b", 2000), ("c", 9000), ("d", 300)]:
        both(r, model, "PFADD", key, *random_elements(rng, size))
    for keys in [("a", "b"), ("a", "missing"), ("missing", "a"), ("a", "b", "c", "d"),
                 ("c", "c"), ("missing", "missing2"), ("d", "a", "missing")]:
        both(r, model, "PFCOUNT", *keys)
    both(r, model, "PFCOUNT", "missing")
    assert hll.count([None, None]) == (0, None)


@given(st.lists(st.integers(0, 63), min_size=1, max_size=64), st.integers(0, 2**32))
@HYPOTHESIS
def test_hypothesis_dense_registers_estimate(server, palette, seed):
    """Arbitrary dense registers (0..63, beyond what hashing makes): same estimate."""
    server.flushall()
    rng = random.Random(seed)
    weights = [rng.random() ** 4 for _ in palette]
    raw = bytes(rng.choices(palette, weights, k=hll.REGISTERS))
    value = b"HYLL\x00" + bytes(10) + b"\x80" + bytes(hll.raw_to_dense(raw))
    model = Model()
    both(server, model, "SET", "k", value)
    both(server, model, "PFDEBUG", "GETREG", "k")
    both(server, model, "PFCOUNT", "k", "missing")
    both(server, model, "PFCOUNT", "k")


@pytest.mark.parametrize("register", [0, 1, 31, 32, 33, 50, 51, 52, 63])
def test_uniform_dense_registers_edge_estimates(r, register):
    value = b"HYLL\x00" + bytes(10) + b"\x80" + bytes(hll.raw_to_dense(bytes([register]) * 16384))
    model = Model()
    both(r, model, "SET", "k", value)
    both(r, model, "PFCOUNT", "k")


# ------------------------------------------------------------------- PFMERGE


def _merge_fixture(r, model, rng):
    sizes = {"s1": 5, "s2": 400, "s3": 1700, "d1": 4000, "d2": 20000}
    for key, size in sizes.items():
        both(r, model, "PFADD", key, *random_elements(rng, size))
    both(r, model, "PFCOUNT", "s2")  # one source with a valid cache
    return list(sizes)


@pytest.mark.parametrize("max_bytes", [3000, 200])
def test_merge_mixed_encodings(r, max_bytes, editor_kind):
    r.config_set("hll-sparse-max-bytes", max_bytes)
    model = Model(max_bytes)
    _merge_fixture(r, model, random.Random(max_bytes))
    for n, sources in enumerate([(), ("s1",), ("s1", "s2"), ("s1", "s2", "s3"),
                                 ("s1", "d1"), ("d1", "d2"), ("missing", "s3"),
                                 ("s3", "s3", "s1")]):
        both(r, model, "PFMERGE", "new%d" % n, *sources)
        check_count(r, model, "new%d" % n)
    both(r, model, "PFMERGE", "s1", "s2")  # sparse destination merged with sparse
    both(r, model, "PFMERGE", "s2", "d1")  # sparse destination with a valid cache
    both(r, model, "PFMERGE", "d2", "s1", "missing")
    both(r, model, "PFMERGE", "s3")
    both(r, model, "PFMERGE", "s3", "s3")
    for key in ("s1", "s2", "d2", "s3"):
        check_count(r, model, key)


@given(st.lists(st.lists(st.tuples(st.integers(0, 16383), st.integers(1, 40)), max_size=40),
                min_size=1, max_size=4),
       st.sampled_from([3000, 60]))
@HYPOTHESIS
def test_hypothesis_merge_aimed(server, editor_kind, groups, max_bytes):
    server.flushall()
    server.config_set("hll-sparse-max-bytes", max_bytes)
    model = Model(max_bytes)
    keys = []
    for n, aims in enumerate(groups):
        keys.append("h%d" % n)
        both(server, model, "PFADD", keys[-1], *[element_for(i, c) for i, c in aims])
    both(server, model, "PFMERGE", "dest", *keys)
    both(server, model, "PFMERGE", keys[0], *keys[1:])
    both(server, model, "PFCOUNT", "dest")
    both(server, model, "PFCOUNT", *keys)


# ------------------------------------------------------------------- PFDEBUG


def test_pfdebug_subcommands(r):
    model = Model()
    both(r, model, "PFADD", "s", *random_elements(random.Random(5), 200))
    both(r, model, "PFADD", "d", *random_elements(random.Random(6), 5000))
    for sub in ("ENCODING", "decode", "Encoding"):
        both(r, model, "PFDEBUG", sub, "s")
        both(r, model, "PFDEBUG", sub, "d")
    both(r, model, "PFDEBUG", "nosuch", "s")
    both(r, model, "PFDEBUG", "GETREG", "missing")
    both(r, model, "PFDEBUG", "todense", "s")
    both(r, model, "PFDEBUG", "todense", "s")
    both(r, model, "PFADD", "s2", "x", "y")
    both(r, model, "PFDEBUG", "GETREG", "s2")
    both(r, model, "PFDEBUG", "ENCODING", "s2")
    both(r, model, "PFDEBUG", "GETREG", "d")


def test_selftest():
    assert hll.selftest(max_elements=10_000, cycles=2) is None


# ------------------------------------------------------------ corrupt values


def _sparse(body: bytes, card: bytes = bytes(7) + b"\x80", unused: bytes = bytes(3)) -> bytes:
    return b"HYLL\x01" + unused + card + body


XZ16384 = b"\x7f\xff"
CRAFTED = {
    "short": b"HYLL\x01",
    "magic": b"HYLX\x01" + bytes(11) + XZ16384,
    "encoding2": b"HYLL\x02" + bytes(11) + XZ16384,
    "dense_short": b"HYLL\x00" + bytes(11) + bytes(100),
    "dense_long": b"HYLL\x00" + bytes(11) + bytes(12289),
    "sparse_as_int": b"1234567890123456789",
    "empty_body": _sparse(b""),
    "under": _sparse(b"\x7f\xfe"),
    "over_zero": _sparse(XZ16384 + b"\x00"),
    "over_val": _sparse(XZ16384 + b"\x84"),
    "over_val_val": _sparse(XZ16384 + b"\x84\x88"),
    "val_overflows": _sparse(b"\x7f\xfd\x83"),
    "truncated_xzero": _sparse(b"\x3f" * 4 + b"\x7f"),
    # 3 * ZERO:64 + ZERO:63 = 255 registers, then a lone XZERO byte read as 16129 zeros
    "truncated_exact": _sparse(b"\x3f" * 3 + b"\x3e" + b"\x7f"),
    "cached_valid": _sparse(XZ16384, card=(12345).to_bytes(8, "little")),
    "cached_garbage": _sparse(b"", card=(777).to_bytes(8, "little")),
    "unused_bytes": _sparse(b"\x7f\xf0" + b"\x8a" * 4 + b"\x8b" * 3, unused=b"abc"),
    "many_xzero": _sparse(b"\x40\x00" * 16384),
    "val_runs": _sparse(b"\x83" * 4096),
    "dense_cached": b"HYLL\x00abc" + (5).to_bytes(8, "little") + bytes(12288),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_values_behave_like_redis(r, name, editor_kind):
    model = Model()
    value = CRAFTED[name]
    aims = [element_for(i, c) for i, c in [(0, 2), (100, 3), (255, 1), (256, 4), (16383, 5),
                                           (300, 40)]]
    steps = [("PFCOUNT", "k"), ("PFCOUNT", "k", "ok"), ("PFMERGE", "dest", "k"),
             ("PFMERGE", "k", "ok"), ("PFDEBUG", "DECODE", "k"), ("PFDEBUG", "ENCODING", "k"),
             ("PFADD", "k", *aims[:3]), ("PFADD", "k", *aims[3:]), ("PFADD", "k", aims[0]),
             ("PFCOUNT", "k"), ("PFDEBUG", "GETREG", "k"), ("PFDEBUG", "TODENSE", "k")]
    for cut in range(len(steps)):  # replay from a fresh copy so every step sees it
        both(r, model, "SET", "ok", b"HYLL\x01" + bytes(11) + XZ16384)
        both(r, model, "SET", "k", value)
        both(r, model, *steps[cut])


@given(st.lists(st.one_of(
    st.integers(0, 0x3F).map(lambda b: bytes([b])),
    st.integers(0x80, 0xFF).map(lambda b: bytes([b])),
    st.integers(0, 0x3FFF).map(lambda n: bytes([0x40 | n >> 8, n & 0xFF]))), max_size=30),
    st.booleans(), st.integers(0, 16383), st.integers(1, 34))
@HYPOTHESIS
def test_hypothesis_crafted_sparse(server, editor_kind, ops, pad, index, run):
    """Random opcode strings, padded to cover 16384 registers half of the time."""
    body = b"".join(ops)
    if pad:
        covered = len(hll.sparse.expand(body))
        missing = hll.REGISTERS - covered
        if missing > 0:
            body += bytes([0x40 | (missing - 1) >> 8, (missing - 1) & 0xFF])
    model = Model(200)
    server.flushall()
    server.config_set("hll-sparse-max-bytes", 200)
    both(server, model, "SET", "k", _sparse(body))
    both(server, model, "SET", "k2", _sparse(body))
    both(server, model, "PFCOUNT", "k", "k2")
    both(server, model, "PFDEBUG", "DECODE", "k")
    both(server, model, "PFADD", "k", element_for(index, run), element_for(16383 - index, 2))
    both(server, model, "PFMERGE", "dest", "k2")
    both(server, model, "PFMERGE", "k2", "k")
    both(server, model, "PFCOUNT", "k")
    both(server, model, "PFDEBUG", "GETREG", "k2")


def test_wrongtype_order_with_foreign_types():
    """An exception instance stands for a key of another type, raised in key order."""
    bad = hll.HllError("WRONGTYPE Operation against a key holding the wrong kind of value")
    corrupt = _sparse(b"")
    with pytest.raises(hll.HllError, match="INVALIDOBJ"):
        hll.count([corrupt, bad])
    with pytest.raises(hll.HllError, match="wrong kind"):
        hll.count([bad, corrupt])
    with pytest.raises(hll.HllError, match="wrong kind"):
        hll.merge(bad, [])
    assert not hll.is_valid(b"HYLL\x00" + bytes(11))
    assert hll.is_valid(hll.create())


def test_inputs_are_not_modified():
    value = bytearray(hll.create())
    snapshot = bytes(value)
    new, changed = hll.add(value, [b"a", b"b"])
    assert changed == 2 and value == snapshot and new != value
    card, updated = hll.count([new])
    assert card == 2 and updated[15] & 0x80 == 0 and new[15] & 0x80


# ------------------------------------------------------- internal shortcuts


@given(st.lists(st.tuples(st.integers(0, 16383), st.integers(1, 32)), max_size=400),
       st.sampled_from([0, 18, 19, 20, 100, 700, 3000]))
@settings(max_examples=200, deadline=None)
def test_ascending_encoding_equals_register_by_register(aims, max_bytes):
    """PFMERGE into a missing key builds the body in one pass; it must equal
    raising the registers one at a time on an empty HLL, promotion included."""
    raw = bytearray(hll.REGISTERS)
    for index, value in aims:
        raw[index] = max(raw[index], value)
    raw = bytes(raw)
    editor = hll_sparse.IndexedSparseEditor(hll.create()[hll.HEADER_SIZE:])
    expected = editor.body
    for index, value in hll_sparse.nonzero_registers(raw):
        if editor.set(index, value, max_bytes) == hll_sparse.PROMOTE:
            expected = None
            break
    assert hll_sparse.encode_ascending(raw, max_bytes) == expected


@given(st.integers(0, 2**32), st.integers(1, 63))
@settings(max_examples=30, deadline=None)
def test_register_packing_round_trips(seed, top):
    rng = random.Random(seed)
    raw = bytes(min(int(rng.expovariate(0.3)), top) for _ in range(hll.REGISTERS))
    dense = hll.raw_to_dense(raw)
    assert len(dense) == hll.DENSE_SIZE - hll.HEADER_SIZE
    assert hll.dense_to_raw(dense) == raw
    assert hll._histogram(raw) == [raw.count(v) for v in range(64)]
