"""Our values -> RDB bytes, choosing the encodings redis-server 7.0 would (RDB 10).

    string                     RDB_TYPE_STRING (int encoding for small integers, LZF)
    ListValue                  RDB_TYPE_LIST_QUICKLIST_2 (listpack nodes sized by
                               list-max-listpack-size)
    SetValue                   RDB_TYPE_SET_INTSET while the set is an intset, else SET
    ZSetValue                  RDB_TYPE_ZSET_LISTPACK while a listpack, else ZSET_2
                               (greatest score first, as Redis writes skiplists)
    HashValue                  RDB_TYPE_HASH_LISTPACK while a listpack, else HASH
    StreamValue                RDB_TYPE_STREAM_LISTPACKS_2 (nodes rebuilt from the live
                               entries, consumer groups with their PELs)

Encoders register by class (register_encoder); save_key() writes one key record.
Member expiries (value.member_expires) cannot be said in RDB 10: they follow the key as an
AUX field MEXP_AUX that redis-server ignores (so Redis keeps such members without a TTL)
and rdb_load applies to the key just read.

Compression: rdbcompression yes LZF-compresses strings of more than 20 bytes, like Redis,
with lzf_compress() below (a dict-based liblzf-format compressor: the codec's
byte-exact one allocates a 64K-slot table per call, too slow for a million small
strings); strings whose bytes look random are left raw without trying.
"""

from . import rdbconst as C
from ..threadstate import peek
from .listpack import encode_entry, strict_int64
from .intset import encode_intset
from .rdbformat import Writer, encode_int_string, encode_length
from .rdbvalue import StreamValue as RdbStream, StreamGroup, StreamConsumer, StreamPending
from .rdbvalue import encode_hash_listpack, encode_zset_listpack, write_stream
from .streamlp import StreamEntry

MEXP_AUX = b"keydb-ft-member-expires"
_ENCODERS = {}
_U64 = (1 << 64) - 1


def register_encoder(cls):
    def deco(fn):
        _ENCODERS[cls] = fn
        return fn
    return deco


class SaveOptions:
    """The config values encoders read, taken once per save."""
    __slots__ = ("compress", "list_fill", "stream_bytes", "stream_entries")

    def __init__(self, config=None, compress=None):
        self.compress = bool(config.rdbcompression if compress is None else compress) \
            if config is not None else bool(compress)
        self.list_fill = config.list_max_listpack_size if config is not None else -2
        self.stream_bytes = config.stream_node_max_bytes if config is not None else 4096
        self.stream_entries = config.stream_node_max_entries if config is not None else 100


# ---- strings ---------------------------------------------------------------------------

def lzf_compress(src, max_out):
    """LZF (liblzf's token format) of src, or None when it would not fit in max_out."""
    n = len(src)
    if n < 4 or max_out <= 0:
        return None
    out = bytearray()
    lit_start = 0
    table = {}
    ip = 0
    end = n - 2
    while ip < end:
        tri = src[ip:ip + 3]
        ref = table.get(tri)            # a local table: dict.get is safe here
        table[tri] = ip
        if ref is not None and ip - ref <= 8192:
            length = 3
            limit = min(n - ip, 264)
            while length < limit and src[ref + length] == src[ip + length]:
                length += 1
            _literals(out, src, lit_start, ip)
            off = ip - ref - 1
            code = length - 2
            if code < 7:
                out.append((code << 5) | (off >> 8))
            else:
                out.append((7 << 5) | (off >> 8))
                out.append(code - 7)
            out.append(off & 0xFF)
            if len(out) >= max_out:
                return None
            for j in range(ip + 1, min(ip + length, end)):
                table[src[j:j + 3]] = j
            ip += length
            lit_start = ip
        else:
            ip += 1
            if ip - lit_start > max_out:
                return None
    _literals(out, src, lit_start, n)
    return bytes(out) if len(out) <= max_out else None


def _literals(out, src, start, stop):
    while start < stop:
        run = min(32, stop - start)
        out.append(run - 1)
        out += src[start:start + run]
        start += run


def _worth_compressing(data):
    n = len(data)
    if n <= 20:
        return False
    if n <= 512:
        return len(set(data)) * 4 < n * 3     # mostly distinct bytes: leave it raw
    return True


def string_bytes(data, compress):
    """rdbSaveRawString's choice for data: int encoding, LZF or length + bytes."""
    n = len(data)
    if n <= 11 and n and (48 <= data[0] <= 57 or data[0] == 45):
        value = strict_int64(bytes(data))
        if value is not None:
            encoded = encode_int_string(value)
            if encoded is not None:
                return encoded
    if compress and _worth_compressing(data):
        packed = lzf_compress(bytes(data), n - 4)
        if packed is not None:
            return b"\xc3" + encode_length(len(packed)) + encode_length(n) + packed
    if n < 64:
        return bytes((n,)) + data
    return encode_length(n) + data


def _w_str(w, data, opts):
    w.buf += string_bytes(data, opts.compress)


def _key(w, key, opts):
    if key is not None:
        w.buf += string_bytes(key, opts.compress)


def save_string(w, key, value, opts):
    w.buf.append(C.RDB_TYPE_STRING)
    _key(w, key, opts)
    w.buf += string_bytes(value, opts.compress)


_ENCODERS[bytes] = save_string
_ENCODERS[bytearray] = save_string


# ---- lists -----------------------------------------------------------------------------

_SIZE_LIMITS = {-1: 4096, -2: 8192, -3: 16384, -4: 32768, -5: 65536}
_PLAIN_THRESHOLD = 1 << 30


def quicklist_nodes(items, fill):
    """Split elements into quicklist nodes as pushes fill them: [(container, payload)]."""
    nodes = []
    entries, size = [], 6 + 1
    max_bytes = _SIZE_LIMITS.get(fill, 8192) if fill < 0 else 8192
    max_count = fill if fill > 0 else 1 << 62
    for item in items:
        if len(item) >= _PLAIN_THRESHOLD:
            if entries:
                nodes.append((C.QUICKLIST_NODE_CONTAINER_PACKED, _listpack(entries, size)))
                entries, size = [], 7
            nodes.append((C.QUICKLIST_NODE_CONTAINER_PLAIN, bytes(item)))
            continue
        enc = encode_entry(item)
        if entries and (size + len(enc) > max_bytes or len(entries) >= max_count):
            nodes.append((C.QUICKLIST_NODE_CONTAINER_PACKED, _listpack(entries, size)))
            entries, size = [], 7
        entries.append(enc)
        size += len(enc)
    if entries:
        nodes.append((C.QUICKLIST_NODE_CONTAINER_PACKED, _listpack(entries, size)))
    return nodes


def _listpack(entries, size):
    count = len(entries)
    return b"".join([size.to_bytes(4, "little"), min(count, 0xFFFF).to_bytes(2, "little"),
                     *entries, b"\xff"])


def save_list(w, key, value, opts):
    w.buf.append(C.RDB_TYPE_LIST_QUICKLIST_2)
    _key(w, key, opts)
    nodes = quicklist_nodes(value, opts.list_fill)
    w.write_length(len(nodes))
    for container, payload in nodes:
        w.write_length(container)
        _w_str(w, payload, opts)


# ---- sets ------------------------------------------------------------------------------

def save_set(w, key, value, opts):
    if getattr(value, "intset", False) and value:
        try:
            blob = encode_intset(int(m) for m in value)
        except ValueError:
            blob = None
        if blob is not None:
            w.buf.append(C.RDB_TYPE_SET_INTSET)
            _key(w, key, opts)
            _w_str(w, blob, opts)
            return
    w.buf.append(C.RDB_TYPE_SET)
    _key(w, key, opts)
    w.write_length(len(value))
    compress = opts.compress
    buf = w.buf
    for member in value:
        buf += string_bytes(member, compress)


# ---- sorted sets -------------------------------------------------------------------------

def save_zset(w, key, value, opts):
    if value.listpack:
        w.buf.append(C.RDB_TYPE_ZSET_LISTPACK)
        _key(w, key, opts)
        _w_str(w, encode_zset_listpack(value.pairs()), opts)
        return
    w.buf.append(C.RDB_TYPE_ZSET_2)
    _key(w, key, opts)
    w.write_length(len(value))
    compress = opts.compress
    buf = w.buf
    for score, member in reversed(value.order):
        buf += string_bytes(member, compress)
        w.write_double(score)


# ---- hashes ------------------------------------------------------------------------------

def save_hash(w, key, value, opts):
    if value.listpack:
        w.buf.append(C.RDB_TYPE_HASH_LISTPACK)
        _key(w, key, opts)
        _w_str(w, encode_hash_listpack(value.items()), opts)
        return
    w.buf.append(C.RDB_TYPE_HASH)
    _key(w, key, opts)
    w.write_length(len(value))
    compress = opts.compress
    buf = w.buf
    for f, v in value.items():
        buf += string_bytes(f, compress)
        buf += string_bytes(v, compress)


def save_hash_metadata(w, key, value, opts):
    """Redis 7.4's RDB_TYPE_HASH_METADATA (DUMP of a hash with field TTLs, RDB 12)."""
    expires = value.member_expires
    whens = [expires.get(f) or 0 for f in value]       # MemberExpiry.get
    live = [x for x in whens if x]
    minimum = min(live) if live else 0
    w.buf.append(C.RDB_TYPE_HASH_METADATA)
    _key(w, key, opts)
    w.write_ms_time(minimum)
    w.write_length(len(value))
    for (f, v), when in zip(value.items(), whens):
        w.write_length(when - minimum + 1 if when else 0)
        _w_str(w, f, opts)
        _w_str(w, v, opts)


# ---- streams -----------------------------------------------------------------------------

def _sid(v):
    return (v >> 64, v & _U64)


def entry_fields(entry):
    """The flat [field, value, ...] of a stream entry (stored bare or as [id, fields])."""
    if len(entry) == 2 and type(entry[1]) is list:
        return entry[1]
    return entry


def stream_to_rdb(value):
    """Our StreamValue -> rdbvalue.StreamValue for write_stream()."""
    from .streamlp import StreamNode
    entries = []
    for sid in value.ids:
        fields = entry_fields(value.entries[sid])
        entries.append(StreamEntry(sid >> 64, sid & _U64,
                                   tuple(zip(fields[0::2], fields[1::2]))))
    node = StreamNode(0, 0, len(entries), 0, [], entries)
    out = RdbStream([node], len(entries), _sid(value.last_id), _sid(value.first_id),
                    _sid(value.max_deleted), value.entries_added)
    for name in sorted(value.groups or ()):
        out.groups.append(_group_to_rdb(name, value.groups[name]))
    return out


def _group_to_rdb(name, group):
    pel = []
    for sid in group.pel_ids:
        nack = group.pel[sid]
        if nack.consumer is not None:
            pel.append(StreamPending(_sid(sid), nack.delivery_time, nack.delivery_count))
    g = StreamGroup(name, _sid(group.last_id), group.entries_read, pel)
    for cname in sorted(group.consumers):
        consumer = group.consumers[cname]
        ids = [_sid(sid) for sid in sorted(consumer.pel)]
        g.consumers.append(StreamConsumer(cname, consumer.seen_time, consumer.seen_time, ids))
    return g


def save_stream(w, key, value, opts):
    w.buf.append(C.RDB_TYPE_STREAM_LISTPACKS_2)
    _key(w, key, opts)
    wc = Writer(False)
    wc.buf = w.buf
    write_stream(wc, stream_to_rdb(value), C.RDB_TYPE_STREAM_LISTPACKS_2,
                 opts.stream_bytes, opts.stream_entries)


def _register_types():
    import importlib
    for module, cls, fn in (("list", "ListValue", save_list), ("set", "SetValue", save_set),
                            ("zset", "ZSetValue", save_zset), ("hash", "HashValue", save_hash),
                            ("stream", "StreamValue", save_stream)):
        try:
            found = getattr(importlib.import_module(f"..types.{module}", __package__), cls)
        except (ImportError, AttributeError):
            continue
        _ENCODERS.setdefault(found, fn)


_register_types()


# ---- records -----------------------------------------------------------------------------

class UnsupportedValue(Exception):
    pass


def save_value(w, key, value, opts):
    """Type byte, key (unless None) and body of value."""
    enc = peek(_ENCODERS, type(value))
    if enc is None:
        raise UnsupportedValue(f"no RDB encoder for {type(value).__name__}")
    enc(w, key, value, opts)


def save_key(w, key, value, expire_ms, opts, usage=None):
    """One key record: [EXPIRETIME_MS] [IDLE | FREQ] type key value [member-expiry AUX];
    usage is ("lru", idle seconds) or ("lfu", counter) under an eviction policy."""
    if expire_ms is not None:
        w.buf.append(C.RDB_OPCODE_EXPIRETIME_MS)
        w.buf += expire_ms.to_bytes(8, "little", signed=True)
    if usage is not None:
        if usage[0] == "lru":
            w.write_idle(usage[1])
        else:
            w.write_freq(usage[1])
    enc = peek(_ENCODERS, type(value))
    if enc is None:
        raise UnsupportedValue(f"no RDB encoder for {type(value).__name__}")
    enc(w, key, value, opts)
    expires = getattr(value, "member_expires", None)
    if expires:
        w.write_aux(MEXP_AUX, member_expiry_blob(key, value))


def member_expiry_blob(key, value):
    """key, count, then member + unix ms for each member with a TTL."""
    when = value.member_expires.when
    parts = [encode_length(len(key)), bytes(key), encode_length(len(when))]
    for member, ms in when.items():
        parts += (encode_length(len(member)), bytes(member), ms.to_bytes(8, "little", signed=True))
    return b"".join(parts)


def write_preamble(w, aux, functions=()):
    """Header, AUX fields (name -> value) and FUNCTION2 records."""
    w.write_header(C.RDB_VERSION)
    for name, value in aux.items():
        w.write_aux(name.encode() if isinstance(name, str) else name,
                    value.encode() if isinstance(value, str) else value)
    for code in functions:
        w.write_function(code)
