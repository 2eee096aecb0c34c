"""Whole RDB object values and records, decoded into plain Python.

read_object(reader, rdbtype) understands every object type of RDB 1..12:

    string                         -> bytes
    list (1, 10, 14, 18)           -> list[bytes]
    set (2, 11, 20)                -> list[bytes]
    zset (3, 5, 12, 17)            -> list[(member bytes, score float)]
    hash (4, 9, 13, 16)            -> list[(field bytes, value bytes)]
    hash with field TTLs (22..25)  -> list[(field, value, expire unix ms or 0)]
    stream (15, 19, 21)            -> StreamValue
    module (7)                     -> ModuleValue (opcodes parsed generically)

iter_rdb(data) walks a whole RDB file and yields its records as tuples.
The stream writer (write_stream) mirrors the reader for RDB_TYPE_STREAM_LISTPACKS_2/3.
"""

from dataclasses import dataclass, field

from . import rdbconst as C
from ..threadstate import peek
from .intset import decode_intset
from .listpack import decode_listpack, encode_listpack, entry_bytes
from .formaterror import RDBFormatError
from .rdbformat import Reader, Writer, double_to_rdb_text
from .streamlp import (StreamEntry, StreamNode, decode_stream_listpack, encode_stream_id,
                       encode_stream_listpack, split_stream_entries)
from .ziplist import decode_ziplist, decode_zipmap

__all__ = [
    "read_object", "iter_rdb", "KeyRecord", "ModuleValue", "StreamValue", "StreamGroup",
    "StreamConsumer", "StreamPending", "write_stream", "zset_score_item",
    "encode_zset_listpack", "encode_hash_listpack",
]


@dataclass(slots=True)
class ModuleValue:
    module_id: int
    name: str
    encver: int
    items: list = field(default_factory=list)   # [(opcode, value)], EOF excluded


@dataclass(slots=True)
class StreamPending:
    id: tuple[int, int]
    delivery_time: int
    delivery_count: int


@dataclass(slots=True)
class StreamConsumer:
    name: bytes
    seen_time: int
    active_time: int            # RDB < STREAM_LISTPACKS_3: same as seen_time
    pel: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class StreamGroup:
    name: bytes
    last_id: tuple[int, int]
    entries_read: int | None    # -1 unknown; None before STREAM_LISTPACKS_2 (estimate it)
    pel: list[StreamPending] = field(default_factory=list)
    consumers: list[StreamConsumer] = field(default_factory=list)


@dataclass(slots=True)
class StreamValue:
    nodes: list[StreamNode]
    length: int
    last_id: tuple[int, int]
    first_id: tuple[int, int]
    max_deleted_id: tuple[int, int]
    entries_added: int
    groups: list[StreamGroup] = field(default_factory=list)

    def entries(self) -> list[StreamEntry]:
        """Live entries in ID order."""
        return [e for node in self.nodes for e in node.entries if not e.deleted]


@dataclass(slots=True)
class KeyRecord:
    db: int
    key: bytes
    rdbtype: int
    value: object
    expire_ms: int | None = None
    idle: int | None = None
    freq: int | None = None


# ---- helpers --------------------------------------------------------------------

def _decode_blob(r: Reader, decode, *args):
    """Read a string holding an encoded structure and run `decode` on it.

    Errors point into the buffer: inside a raw string at the exact byte; inside an
    LZF-compressed string at the string's start, with the inner offset in the text.
    """
    at = r.pos
    value, encoded = r.read_length_or_encoding()
    if not encoded:
        base = r.offset
        return decode(r.read_bytes(value, "encoded value"), *args, base=base)
    r.pos = at
    blob = r.read_string()
    try:
        return decode(blob, *args)
    except RDBFormatError as exc:
        raise RDBFormatError(f"{exc.reason} (at byte {exc.offset} of the decompressed value)",
                             r.base + at) from None


def _score(item, r: Reader, at: int) -> float:
    try:
        return float(item)
    except ValueError:
        raise r.error("sorted set score is not a number", at) from None


def _pairs(items: list, r: Reader, at: int, width: int = 2) -> list[tuple]:
    if len(items) % width:
        raise r.error(f"encoded value holds {len(items)} items, not a multiple of {width}", at)
    return [tuple(items[i:i + width]) for i in range(0, len(items), width)]


# ---- object readers ---------------------------------------------------------------

def _strings(r: Reader, rdbtype: int) -> list[bytes]:
    return [r.read_string() for _ in range(r.read_length("element count"))]


def _zset_plain(r: Reader, rdbtype: int) -> list[tuple[bytes, float]]:
    read_score = r.read_double if rdbtype == C.RDB_TYPE_ZSET_2 else r.read_old_double
    return [(r.read_string(), read_score()) for _ in range(r.read_length("zset size"))]


def _hash_plain(r: Reader, rdbtype: int) -> list[tuple[bytes, bytes]]:
    return [(r.read_string(), r.read_string()) for _ in range(r.read_length("hash size"))]


def _compact_list(r: Reader, rdbtype: int) -> list[bytes]:
    if rdbtype == C.RDB_TYPE_SET_INTSET:
        return [str(v).encode() for v in _decode_blob(r, decode_intset)]
    decode = decode_ziplist if rdbtype == C.RDB_TYPE_LIST_ZIPLIST else decode_listpack
    return [entry_bytes(item) for item in _decode_blob(r, decode)]


def _compact_zset(r: Reader, rdbtype: int) -> list[tuple[bytes, float]]:
    at = r.pos
    decode = decode_ziplist if rdbtype == C.RDB_TYPE_ZSET_ZIPLIST else decode_listpack
    pairs = _pairs(_decode_blob(r, decode), r, at)
    return [(entry_bytes(m), _score(s, r, at)) for m, s in pairs]


def _compact_hash(r: Reader, rdbtype: int) -> list[tuple[bytes, bytes]]:
    if rdbtype == C.RDB_TYPE_HASH_ZIPMAP:
        return _decode_blob(r, decode_zipmap)
    at = r.pos
    decode = decode_ziplist if rdbtype == C.RDB_TYPE_HASH_ZIPLIST else decode_listpack
    return _pairs([entry_bytes(item) for item in _decode_blob(r, decode)], r, at)


def _quicklist(r: Reader, rdbtype: int) -> list[bytes]:
    items: list[bytes] = []
    for _ in range(r.read_length("quicklist node count")):
        if rdbtype == C.RDB_TYPE_LIST_QUICKLIST:
            items += [entry_bytes(v) for v in _decode_blob(r, decode_ziplist)]
            continue
        at = r.pos
        container = r.read_length("quicklist container")
        if container == C.QUICKLIST_NODE_CONTAINER_PLAIN:
            items.append(r.read_string())
        elif container == C.QUICKLIST_NODE_CONTAINER_PACKED:
            node = _decode_blob(r, decode_listpack)
            if not node:
                raise r.error("empty quicklist node", at)
            items += [entry_bytes(v) for v in node]
        else:
            raise r.error(f"unknown quicklist container {container}", at)
    return items


def _hash_metadata(r: Reader, rdbtype: int) -> list[tuple[bytes, bytes, int]]:
    relative = rdbtype == C.RDB_TYPE_HASH_METADATA
    min_expire = r.read_ms_time() if relative else 0
    out = []
    for _ in range(r.read_length("hash size")):
        ttl = r.read_length("hash field TTL")
        if relative and ttl:
            ttl = ttl + min_expire - 1
        out.append((r.read_string(), r.read_string(), ttl))
    return out


def _hash_listpack_ex(r: Reader, rdbtype: int) -> list[tuple[bytes, bytes, int]]:
    if rdbtype == C.RDB_TYPE_HASH_LISTPACK_EX:
        r.read_ms_time()            # next field expiry; informational only
    at = r.pos
    out = []
    for f, v, ttl in _pairs(_decode_blob(r, decode_listpack), r, at, 3):
        if not isinstance(ttl, int) or ttl < 0:
            raise r.error("hash field TTL in listpack is not a timestamp", at)
        out.append((entry_bytes(f), entry_bytes(v), ttl))
    return out


def _module(r: Reader, rdbtype: int) -> ModuleValue:
    if rdbtype == C.RDB_TYPE_MODULE_PRE_GA:
        raise r.error("pre-release module format not supported")
    module_id = r.read_length("module id")
    return _module_body(r, module_id)


def _module_body(r: Reader, module_id: int) -> ModuleValue:
    name, encver = C.module_type_name(module_id)
    value = ModuleValue(module_id, name, encver)
    while True:
        at = r.pos
        opcode = r.read_length("module opcode")
        if opcode == C.RDB_MODULE_OPCODE_EOF:
            return value
        if opcode == C.RDB_MODULE_OPCODE_SINT:
            raw = r.read_length("module signed int")
            item = raw - (1 << 64) if raw >> 63 else raw
        elif opcode == C.RDB_MODULE_OPCODE_UINT:
            item = r.read_length("module unsigned int")
        elif opcode == C.RDB_MODULE_OPCODE_FLOAT:
            item = r.read_float()
        elif opcode == C.RDB_MODULE_OPCODE_DOUBLE:
            item = r.read_double()
        elif opcode == C.RDB_MODULE_OPCODE_STRING:
            item = r.read_string()
        else:
            raise r.error(f"unknown module value opcode {opcode}", at)
        value.items.append((opcode, item))


# ---- streams ----------------------------------------------------------------------

def _read_id_pair(r: Reader, what: str) -> tuple[int, int]:
    return r.read_length(f"{what} ms"), r.read_length(f"{what} seq")


def _stream(r: Reader, rdbtype: int) -> StreamValue:
    nodes = []
    for _ in range(r.read_length("stream node count")):
        key_at = r.pos
        key = r.read_string()
        if len(key) != 16:
            raise r.error("stream node key is not the size of a stream ID", key_at)
        master = (int.from_bytes(key[:8], "big"), int.from_bytes(key[8:], "big"))
        nodes.append(_decode_blob(r, decode_stream_listpack, master))
    length = r.read_length("stream length")
    last_id = _read_id_pair(r, "stream last id")
    if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_2:
        first_id = _read_id_pair(r, "stream first id")
        max_deleted = _read_id_pair(r, "stream max deleted id")
        added = r.read_length("stream entries added")
    else:
        live = [e for n in nodes for e in n.entries if not e.deleted]
        first_id = (live[0].ms, live[0].seq) if live else (0, 0)
        max_deleted, added = (0, 0), length
    value = StreamValue(nodes, length, last_id, first_id, max_deleted, added)
    for _ in range(r.read_length("stream group count")):
        value.groups.append(_stream_group(r, rdbtype))
    return value


def _stream_group(r: Reader, rdbtype: int) -> StreamGroup:
    name = r.read_string()
    last_id = _read_id_pair(r, "group last id")
    entries_read = None
    if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_2:
        raw = r.read_length("group entries read")
        entries_read = raw - (1 << 64) if raw >> 63 else raw    # -1: unknown
    group = StreamGroup(name, last_id, entries_read)
    for _ in range(r.read_length("group PEL size")):
        group.pel.append(StreamPending(r.read_stream_id(), r.read_ms_time(),
                                       r.read_length("delivery count")))
    known = {p.id for p in group.pel}
    for _ in range(r.read_length("consumer count")):
        cname = r.read_string()
        seen = r.read_ms_time()
        active = r.read_ms_time() if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_3 else seen
        consumer = StreamConsumer(cname, seen, active)
        for _ in range(r.read_length("consumer PEL size")):
            at = r.pos
            sid = r.read_stream_id()
            if sid not in known:
                raise r.error("consumer PEL entry not in the group PEL", at)
            consumer.pel.append(sid)
        group.consumers.append(consumer)
    return group


def write_stream(w: Writer, s: StreamValue, rdbtype: int = C.RDB_TYPE_STREAM_LISTPACKS_2,
                 node_max_bytes: int = 4096, node_max_entries: int = 100) -> None:
    """Write a stream body (no type byte). Nodes are rebuilt from the live entries."""
    nodes = split_stream_entries(s.entries(), node_max_bytes, node_max_entries)
    w.write_length(len(nodes))
    for node in nodes:
        (ms, seq), lp = encode_stream_listpack(node)
        w.write_string(encode_stream_id(ms, seq))
        w.write_string(lp)
    w.write_length(s.length)
    for ms, seq in ((s.last_id, s.first_id, s.max_deleted_id)
                    if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_2 else (s.last_id,)):
        w.write_length(ms)
        w.write_length(seq)
    if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_2:
        w.write_length(s.entries_added)
    w.write_length(len(s.groups))
    for g in s.groups:
        _write_group(w, g, rdbtype)


def _write_group(w: Writer, g: StreamGroup, rdbtype: int) -> None:
    w.write_string(g.name)
    w.write_length(g.last_id[0])
    w.write_length(g.last_id[1])
    if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_2:
        read = -1 if g.entries_read is None else g.entries_read
        w.write_length(read & 0xFFFFFFFFFFFFFFFF)
    w.write_length(len(g.pel))
    for p in g.pel:
        w.write_stream_id(*p.id)
        w.write_ms_time(p.delivery_time)
        w.write_length(p.delivery_count)
    w.write_length(len(g.consumers))
    for c in g.consumers:
        w.write_string(c.name)
        w.write_ms_time(c.seen_time)
        if rdbtype >= C.RDB_TYPE_STREAM_LISTPACKS_3:
            w.write_ms_time(c.active_time)
        w.write_length(len(c.pel))
        for sid in c.pel:
            w.write_stream_id(*sid)


# ---- dispatch -----------------------------------------------------------------------

_READERS = {
    C.RDB_TYPE_STRING: lambda r, t: r.read_string(),
    C.RDB_TYPE_LIST: _strings, C.RDB_TYPE_SET: _strings,
    C.RDB_TYPE_ZSET: _zset_plain, C.RDB_TYPE_ZSET_2: _zset_plain,
    C.RDB_TYPE_HASH: _hash_plain,
    C.RDB_TYPE_MODULE_PRE_GA: _module, C.RDB_TYPE_MODULE_2: _module,
    C.RDB_TYPE_HASH_ZIPMAP: _compact_hash, C.RDB_TYPE_HASH_ZIPLIST: _compact_hash,
    C.RDB_TYPE_HASH_LISTPACK: _compact_hash,
    C.RDB_TYPE_LIST_ZIPLIST: _compact_list, C.RDB_TYPE_SET_INTSET: _compact_list,
    C.RDB_TYPE_SET_LISTPACK: _compact_list,
    C.RDB_TYPE_ZSET_ZIPLIST: _compact_zset, C.RDB_TYPE_ZSET_LISTPACK: _compact_zset,
    C.RDB_TYPE_LIST_QUICKLIST: _quicklist, C.RDB_TYPE_LIST_QUICKLIST_2: _quicklist,
    C.RDB_TYPE_STREAM_LISTPACKS: _stream, C.RDB_TYPE_STREAM_LISTPACKS_2: _stream,
    C.RDB_TYPE_STREAM_LISTPACKS_3: _stream,
    C.RDB_TYPE_HASH_METADATA_PRE_GA: _hash_metadata, C.RDB_TYPE_HASH_METADATA: _hash_metadata,
    C.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA: _hash_listpack_ex,
    C.RDB_TYPE_HASH_LISTPACK_EX: _hash_listpack_ex,
}


def read_object(r: Reader, rdbtype: int):
    """Decode one object body of type `rdbtype` (see the module docstring)."""
    reader = peek(_READERS, rdbtype)
    if reader is None:
        raise r.error(f"unknown RDB object type {rdbtype}", r.pos - 1)
    return reader(r, rdbtype)


def _read_module_aux(r: Reader):
    module_id = r.read_length("module id")
    at = r.pos
    if r.read_length("module aux when opcode") != C.RDB_MODULE_OPCODE_UINT:
        raise r.error("bad module aux when_opcode", at)
    when = r.read_length("module aux when")
    return ("module_aux", _module_body(r, module_id), when)


def iter_rdb(data, verify_checksum: bool = True):
    """Yield the records of a whole RDB file, in order:

    ("version", n), ("aux", key, value), ("selectdb", db), ("resizedb", keys, expires),
    ("slot_info", slot, keys, expires), ("function", code), ("module_aux", ModuleValue,
    when), ("key", KeyRecord), ("eof", checksum_verified: bool).
    """
    r = Reader(data)
    version = r.read_header()
    yield ("version", version)
    db, expire, idle, freq = 0, None, None, None
    while True:
        t = r.read_type()
        if t == C.RDB_OPCODE_EXPIRETIME_MS:
            expire = r.read_ms_time()
        elif t == C.RDB_OPCODE_EXPIRETIME:
            expire = r.read_seconds_time() * 1000
        elif t == C.RDB_OPCODE_IDLE:
            idle = r.read_length("idle time")
        elif t == C.RDB_OPCODE_FREQ:
            freq = r.read_u8("LFU frequency")
        elif t == C.RDB_OPCODE_SELECTDB:
            db = r.read_length("db number")
            yield ("selectdb", db)
        elif t == C.RDB_OPCODE_RESIZEDB:
            yield ("resizedb", r.read_length("db size"), r.read_length("expires size"))
        elif t == C.RDB_OPCODE_SLOT_INFO:
            yield ("slot_info", r.read_length("slot"), r.read_length("slot size"),
                   r.read_length("slot expires size"))
        elif t == C.RDB_OPCODE_AUX:
            yield ("aux", r.read_string(), r.read_string())
        elif t == C.RDB_OPCODE_MODULE_AUX:
            yield _read_module_aux(r)
        elif t == C.RDB_OPCODE_FUNCTION2:
            yield ("function", r.read_string())
        elif t == C.RDB_OPCODE_FUNCTION_PRE_GA:
            raise r.error("pre-release function format not supported", r.pos - 1)
        elif t == C.RDB_OPCODE_EOF:
            verified = False
            if version >= 5:
                if verify_checksum:
                    verified = r.read_checksum()
                else:
                    r.read_bytes(8, "checksum")
            yield ("eof", verified)
            return
        else:
            key = r.read_string() if t in C.OBJECT_KIND else None
            if key is None:
                raise r.error(f"unknown RDB type or opcode {t}", r.pos - 1)
            value = read_object(r, t)
            yield ("key", KeyRecord(db, key, t, value, expire, idle, freq))
            expire, idle, freq = None, None, None


# ---- listpack builders for small values, as Redis 7.0 lays them out -----------------

def zset_score_item(score: float):
    """The listpack item zzlInsertAt stores for a score: an integer when the double is
    integral within +-2^62, otherwise its "%.17g" text ("inf", "-inf")."""
    text = double_to_rdb_text(score)
    return int(text) if text.lstrip(b"-").isdigit() else text


def encode_zset_listpack(pairs) -> bytes:
    """Listpack of member, score, ... in the given (ascending score) order."""
    items = []
    for member, score in pairs:
        items += (bytes(member), zset_score_item(score))
    return encode_listpack(items)


def encode_hash_listpack(pairs) -> bytes:
    items = []
    for f, v in pairs:
        items += (bytes(f), bytes(v))
    return encode_listpack(items)
