"""RDB bytes -> our values: every RDB 1..12 that Redis 6.2 / 7.0 / 7.2 / 7.4 and Valkey 8
write (rdbvalue.read_object decodes the encodings; this module maps them to our types).

parse_rdb() reads a whole file into fresh per-db, per-stripe dicts without touching the
keyspace: a truncated or corrupt file raises RDBFormatError (with the byte offset) before
anything is installed, so a failed load never leaves a half-loaded keyspace. install()
then swaps the dicts in while the caller holds every stripe.

Skipped with a warning: module values and module AUX data (no modules here).
Kept: FUNCTION2 library code (LoadedData.functions), the AUX fields, and member expiries
carried by Redis 7.4's hash-with-TTL types or by our own AUX record (rdb_save.MEXP_AUX).
"""

import time

from ..locks import STRIPES
from ..locks.striped import MASK
from ..log import log
from . import rdbconst as C
from .formaterror import RDBFormatError
from .rdbformat import Reader
from .rdbvalue import read_object
from .rdb_save import MEXP_AUX
from ..db.access import lfu_new, word_for_restore


class LoadedData:
    def __init__(self, ndbs):
        self.data = [None] * ndbs          # db id -> [dict per stripe] (None: untouched)
        self.expires = [None] * ndbs
        self.aux = {}
        self.functions = []
        self.keys_loaded = 0
        self.keys_expired = 0
        self.version = 0
        self.member_ttl_keys = []          # (db id, key) with member expiries
        self.usage = {}                    # (db id, key) -> (idle seconds, LFU freq) read
        self.end = 0                       # offset after the checksum (AOF preamble)

    def stripes(self, dbid):
        if self.data[dbid] is None:
            self.data[dbid] = [{} for _ in range(STRIPES)]
            self.expires[dbid] = [{} for _ in range(STRIPES)]
        return self.data[dbid], self.expires[dbid]


class Limits:
    """The encoding thresholds the loaded values are fitted to."""

    def __init__(self, config):
        self.max_intset = config.set_max_intset_entries
        self.hash_entries = config.hash_max_listpack_entries
        self.hash_value = config.hash_max_listpack_value
        self.zset_entries = config.zset_max_listpack_entries
        self.zset_value = config.zset_max_listpack_value
        self.stream_bytes = config.stream_node_max_bytes
        self.stream_entries = config.stream_node_max_entries


# ---- values ------------------------------------------------------------------------------

def to_value(rdbtype, obj, limits, now):
    """Our value for a decoded object (None for module values)."""
    kind = C.OBJECT_KIND[rdbtype]
    if kind == "string":
        return obj
    if kind == "list":
        from ..types.list import ListValue
        return ListValue(obj)
    if kind == "set":
        from ..types.set import SetValue
        value = SetValue(obj)
        value.fit(limits.max_intset)
        return value
    if kind == "zset":
        from ..types.zset import ZSetValue
        for _member, score in obj:
            if score != score:
                raise ValueError("sorted set score is NaN")
        return ZSetValue.from_pairs(obj).fit(limits.zset_entries, limits.zset_value)
    if kind == "hash":
        return _hash(rdbtype, obj, limits, now)
    if kind == "stream":
        return to_stream(obj, limits)
    return None


def _hash(rdbtype, obj, limits, now):
    from ..types.hash import HashValue
    if rdbtype in (C.RDB_TYPE_HASH_METADATA, C.RDB_TYPE_HASH_METADATA_PRE_GA,
                   C.RDB_TYPE_HASH_LISTPACK_EX, C.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA):
        from ..types.member_expiry import set_member_expire
        live = [(f, v, t) for f, v, t in obj if not (t and t <= now)]
        value = HashValue((f, v) for f, v, _t in live)
        for f, _v, t in live:
            if t:
                set_member_expire(value, f, t)
    else:
        value = HashValue(obj)
    value.fit(limits.hash_entries, limits.hash_value, [x for pair in value.items() for x in pair])
    return value


def _id(pair):
    return pair[0] << 64 | pair[1]


def to_stream(rv, limits):
    """rdbvalue.StreamValue -> types.stream.StreamValue with its consumer groups."""
    from ..types.stream import StreamValue
    s = StreamValue()
    for e in rv.entries():
        s.append(e.ms << 64 | e.seq, [x for kv in e.fields for x in kv],
                 limits.stream_bytes, limits.stream_entries)
    s.last_id = max(_id(rv.last_id), s.last_id)
    s.first_id = s.ids[0] if s.ids else 0
    s.max_deleted = _id(rv.max_deleted_id)
    s.entries_added = max(rv.entries_added, len(s.ids))
    if rv.groups:
        s.groups = {g.name: _group(s, g) for g in rv.groups}
    return s


def _group(stream, g):
    from ..types.stream_groups import Consumer, Group, Nack, estimate_read
    last = _id(g.last_id)
    read = g.entries_read if g.entries_read is not None else estimate_read(stream, last)
    group = Group(last, read)
    nacks = {}
    for p in g.pel:
        nack = Nack(None, p.delivery_time)
        nack.delivery_count = p.delivery_count
        nacks[_id(p.id)] = nack
    for c in g.consumers:
        consumer = Consumer(c.name, c.seen_time)
        group.consumers[c.name] = consumer
        for pair in c.pel:
            sid = _id(pair)
            nack = nacks.get(sid)
            if nack is not None:
                nack.consumer = consumer
                consumer.pel[sid] = nack
    group.pel = {sid: n for sid, n in nacks.items() if n.consumer is not None}
    group.pel_ids = sorted(group.pel)
    return group


# ---- files -------------------------------------------------------------------------------

def parse_rdb(data, ndbs, limits, check_sum=True, preamble=False, progress=None,
              now=None, after_key=None):
    """Decode a whole RDB image (bytes) into LoadedData; raises RDBFormatError.
    after_key(), when given, runs after each key (key-load-delay)."""
    now = now if now is not None else time.time_ns() // 1_000_000
    out = LoadedData(ndbs)
    r = Reader(data)
    out.version = r.read_header()
    dbid, expire = 0, None
    idle = freq = None                  # the IDLE / FREQ opcodes before the next key
    stripes, exps = out.stripes(0)
    last = None
    count = 0
    buf = r._buf if isinstance(data, bytes) else bytes(data)
    size = len(buf)
    while True:
        at = r.pos
        if at + 3 < size and buf[at] == 0:          # a plain string record: fast path
            fast = _fast_string_pair(buf, at + 1, size)
            if fast is not None:
                key, value, r.pos = fast
                if expire is not None and expire < now and not preamble:
                    out.keys_expired += 1
                else:
                    _put(stripes, exps, key, value, expire)
                    out.keys_loaded += 1
                    last = None
                    if idle is not None or freq is not None:
                        out.usage[dbid, key] = (idle, freq)
                expire = idle = freq = None
                count += 1
                if progress is not None and count & 4095 == 0:
                    progress(r.pos, size)
                if after_key is not None:
                    after_key()
                continue
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
            dbid = r.read_length("db number")
            if dbid >= ndbs:
                raise RDBFormatError(f"FATAL: Data file was created with a Redis server "
                                     f"configured to handle more than {ndbs} databases", at)
            stripes, exps = out.stripes(dbid)
        elif t == C.RDB_OPCODE_RESIZEDB:
            r.read_length("db size")
            r.read_length("expires size")
        elif t == C.RDB_OPCODE_SLOT_INFO:
            r.read_length("slot"), r.read_length("slot size"), r.read_length("slot expires")
        elif t == C.RDB_OPCODE_AUX:
            name, value = r.read_string(), r.read_string()
            if name == MEXP_AUX:
                _apply_member_expires(out, last, value, r, at)
            else:
                out.aux[name] = value
        elif t == C.RDB_OPCODE_MODULE_AUX:
            from .rdbvalue import _read_module_aux
            _kind, mv, _when = _read_module_aux(r)
            log.warning(f"Skipping module AUX data of module type '{mv.name}' (no modules "
                        f"are loaded)")
        elif t == C.RDB_OPCODE_FUNCTION2:
            out.functions.append(r.read_string())
        elif t == C.RDB_OPCODE_FUNCTION_PRE_GA:
            raise r.error("Pre-release function format not supported", at)
        elif t == C.RDB_OPCODE_EOF:
            if out.version >= 5:
                if check_sum:
                    r.read_checksum()
                else:
                    r.read_bytes(8, "checksum")
            out.end = r.pos
            return out
        elif t in C.OBJECT_KIND:
            key = r.read_string()
            obj = read_object(r, t)
            try:
                value = to_value(t, obj, limits, now)
            except ValueError as exc:
                raise RDBFormatError(str(exc), at) from None
            last = None
            if value is None:
                log.warning(f"Skipping key '{key.decode('utf-8', 'replace')}': a module "
                            f"value (no modules are loaded)")
            elif (expire is not None and expire < now and not preamble):
                out.keys_expired += 1
            else:
                _put(stripes, exps, key, value, expire)
                out.keys_loaded += 1
                last = (dbid, key, value)
                if idle is not None or freq is not None:
                    out.usage[dbid, key] = (idle, freq)
            expire = idle = freq = None
            count += 1
            if progress is not None and count & 1023 == 0:
                progress(r.pos, len(data))
            if after_key is not None:
                after_key()
        else:
            raise r.error(f"Unknown RDB encoding type {t}", at)


def _fast_string_pair(buf, pos, size):
    """(key, value, next pos) of two raw strings shorter than 16 KiB (or small int
    encodings) at pos, or None to take the general path."""
    out = []
    for _ in range(2):
        if pos >= size:
            return None
        first = buf[pos]
        kind = first >> 6
        if kind == 0:
            n, pos = first, pos + 1
        elif kind == 1:
            if pos + 1 >= size:
                return None
            n, pos = ((first & 0x3F) << 8) | buf[pos + 1], pos + 2
        elif first == 0xC0 and pos + 1 < size:
            out.append(b"%d" % (buf[pos + 1] - 256 if buf[pos + 1] > 127 else buf[pos + 1]))
            pos += 2
            continue
        else:
            return None
        end = pos + n
        if end > size:
            return None
        out.append(buf[pos:end])
        pos = end
    return out[0], out[1], pos


def _apply_member_expires(out, last, blob, r, at):
    from ..types.member_expiry import set_member_expire
    rb = Reader(blob)
    try:
        key = rb.read_bytes(rb.read_length())
        n = rb.read_length()
        pairs = [(rb.read_bytes(rb.read_length()), rb.read_ms_time()) for _ in range(n)]
    except RDBFormatError:
        raise RDBFormatError("bad member expiry record", at) from None
    if last is None or last[1] != key:
        return
    dbid, _key, value = last
    for member, when in pairs:
        if value.has_member(member):
            set_member_expire(value, member, when)
    out.member_ttl_keys.append((dbid, key))


def install(server, loaded):
    """Replace every database's contents with loaded (caller holds every stripe)."""
    from ..db.member_expiry import index_key
    ks = server.keyspace
    for hook in server.flush_hooks:
        hook(ks.dbs)
    word = lfu_new() if ks.lfu else ks.lru_clock           # loaded keys are new keys
    for db in ks.dbs:
        # into the database's own dicts: they are immortal once the loops run
        # (immortal.shared_objects), and dicts made here by another thread would be
        # slow for the loops to use (docs/architecture.md)
        ks.touch_all_watched(db)
        data, exps = loaded.data[db.id], loaded.expires[db.id]
        for i in range(STRIPES):
            for target, source in ((db.data[i], data and data[i]), (db.expires[i], exps and exps[i])):
                target.clear()
                if source:
                    target.update(source)
            access = db.access[i]
            access.clear()
            access.update(dict.fromkeys(db.data[i], word))
    for (dbid, key), (idle, freq) in loaded.usage.items():
        usage = word_for_restore(ks.lfu, idle, freq, ks.lru_clock)
        acc = ks.dbs[dbid].access[hash(key) & MASK]
        if usage is not None and key in acc:
            acc[key] = usage
    for dbid, key in loaded.member_ttl_keys:
        index_key(ks.dbs[dbid], key)


def _put(stripes, exps, key, value, expire):
    """Store one loaded key (and its expiry) in its stripe of the database."""
    i = hash(key) & MASK
    stripes[i][key] = value
    if expire is not None:
        exps[i][key] = expire
    elif key in exps[i]:
        del exps[i][key]
