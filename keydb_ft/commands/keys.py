"""Generic keyspace commands: DEL, EXISTS, TYPE, RENAME, KEYS, SCAN, MOVE, COPY, OBJECT,
expiry (EXPIRE family, TTL family, PERSIST), RANDOMKEY, TOUCH."""

import random

from .. import errors
from ..db.access import idle_ms, lfu_counter
from ..db.keyspace import now_ms
from ..errors import CommandError
from ..locks import STRIPES
from ..locks.striped import STRIPE_BITS
from ..resp.writer import OK
from ..types import copy_value, encoding_of, type_name
from .args import INT64_MAX, glob_matcher, parse_scan_cursor, to_int
from . import INSTALLERS
from .registry import command, help_reply, ks
from ..threadstate import peek

# SCAN's cursor names a quarter of a stripe: the keys whose hash has that value in the
# two bits above the stripe's. A call returns at least one whole part, so a page is
# about a 1,024th of the keyspace; each key present throughout an iteration is in
# exactly one part, read whole under its stripe's lock.
SCAN_PARTS = 4
PART_MASK = SCAN_PARTS - 1
SCAN_END = STRIPES * SCAN_PARTS

KEYSPACE = dict(group="generic")


@command("del", -2, "write", acl="keyspace", keys=[ks("RM delete", 1, last=-1)],
         tips=("request_policy:multi_shard", "response_policy:agg_sum"), **KEYSPACE)
def cmd_del(c, argv):
    return _delete(c, argv, c.server.config.lazyfree_lazy_user_del)


@command("unlink", -2, "write fast", acl="keyspace", keys=[ks("RM delete", 1, last=-1)],
         tips=("request_policy:multi_shard", "response_policy:agg_sum"), **KEYSPACE)
def cmd_unlink(c, argv):
    return _delete(c, argv, True)


def _delete(c, argv, lazy):
    db = c.db
    removed = 0
    for key in argv[1:]:
        if db.lookup(key) is not None and db.delete(key, lazy):
            db.notify("g", "del", key)
            removed += 1
    return removed


@command("exists", -2, "readonly fast", acl="keyspace", keys=[ks("RO", 1, last=-1)],
         tips=("request_policy:multi_shard", "response_policy:agg_sum"), **KEYSPACE)
def cmd_exists(c, argv):
    lookup = c.db.lookup_read           # counts hits and misses, as every read does
    return sum(1 for key in argv[1:] if lookup(key, touch=False) is not None)


@command("touch", -2, "readonly fast", acl="keyspace", keys=[ks("RO", 1, last=-1)],
         tips=("request_policy:multi_shard", "response_policy:agg_sum"), **KEYSPACE)
def cmd_touch(c, argv):
    lookup = c.db.lookup_read          # EXISTS that counts as an access
    return sum(1 for key in argv[1:] if lookup(key) is not None)


@command("type", 2, "readonly fast", acl="keyspace", keys=[ks("RO", 1)], **KEYSPACE)
def cmd_type(c, argv):
    value = c.db.lookup_read(argv[1], touch=False)
    return "none" if value is None else type_name(value)


def _rename(c, argv, nx):
    src, dst = argv[1], argv[2]
    db = c.db
    value = db.lookup(src)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    if nx and db.lookup(dst) is not None:
        return 0
    when = db.get_expire(src)
    word = db.access_word(src)
    db.delete(src)
    db.set(dst, value)
    db.set_access_word(dst, word)       # the value moves, and its access word with it
    if when is not None:
        db.set_expire(dst, when)
    db.notify("g", "rename_from", src)
    db.notify("g", "rename_to", dst)
    c.dirty_as = 1                      # one change for Redis, however many here
    return 1 if nx else OK


@command("rename", 3, "write", acl="keyspace",
         keys=[ks("RW access delete", 1), ks("OW update", 2)],
         **KEYSPACE)
def cmd_rename(c, argv):
    return _rename(c, argv, False)


@command("renamenx", 3, "write fast", acl="keyspace",
         keys=[ks("RW access delete", 1), ks("OW insert", 2)], **KEYSPACE)
def cmd_renamenx(c, argv):
    return _rename(c, argv, True)


@command("keys", 2, "readonly all_stripes", acl="keyspace dangerous",
         tips=("request_policy:all_shards", "nondeterministic_output_order"), **KEYSPACE)
def cmd_keys(c, argv):
    match = glob_matcher(argv[1])
    db = c.db
    now = now_ms()
    out = []
    for i in range(STRIPES):
        exp = db.expires[i]
        for key in db.data[i]:
            if match(key) and not (exp and peek(exp, key, INT64_MAX) <= now):
                out.append(key)
    return out


@command("scan", -2, "readonly no_lock", acl="keyspace",
         tips=("nondeterministic_output", "request_policy:special"), **KEYSPACE)
def cmd_scan(c, argv):
    cursor = parse_cursor(argv[1])
    match, count, want_type = parse_scan_options(argv, 2, allow_type=True)
    db = c.db
    locks = c.server.key_locks.stripes
    held = c.in_exec
    out = []
    visited = 0
    data = db.data
    while cursor < SCAN_END and (len(out) < count and visited < count * 10 or visited == 0):
        stripe, part = divmod(cursor, SCAN_PARTS)
        if not data[stripe]:
            # Empty stripes cost nothing and are not counted against the work limit, so
            # a small keyspace is done in few calls. (A key missed this way was not
            # there throughout the iteration.)
            cursor = (stripe + 1) * SCAN_PARTS
            continue
        if not held:
            locks[stripe].acquire()
        try:
            for key in db.keys_in_stripe(stripe):
                if (hash(key) >> STRIPE_BITS) & PART_MASK != part:
                    continue
                value = db.lookup(key, touch=False)
                if value is None or (match and not match(key)):
                    continue
                if want_type and type_name(value) != want_type:
                    continue
                out.append(key)
        finally:
            if not held:
                locks[stripe].release()
        cursor += 1
        visited += 1
    return [b"%d" % (0 if cursor >= SCAN_END else cursor), out]


def parse_cursor(raw):
    """SCAN's cursor: Redis's rules (parse_scan_cursor); a part of a stripe (SCAN_PARTS),
    anything past the last part meaning the iteration is over."""
    cursor = parse_scan_cursor(raw)
    return cursor if cursor < SCAN_END else SCAN_END


def parse_scan_options(argv, start, allow_type=False):
    match = None
    count = 10
    want_type = None
    i = start
    while i < len(argv):
        word = argv[i].lower()
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        if word == b"count":
            count = to_int(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif word == b"match":
            match = None if argv[i + 1] == b"*" else glob_matcher(argv[i + 1])
        elif word == b"type" and allow_type:
            want_type = argv[i + 1].decode("utf-8", "replace").lower()
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return match, count, want_type


@command("randomkey", 1, "readonly no_lock", acl="keyspace",
         tips=("request_policy:all_shards", "nondeterministic_output"),
         **KEYSPACE)
def cmd_randomkey(c, argv):
    db = c.db
    locks = c.server.key_locks.stripes
    candidates = [i for i in range(STRIPES) if db.data[i]]
    random.shuffle(candidates)
    for i in candidates:
        if not c.in_exec:
            locks[i].acquire()
        try:
            keys = db.keys_in_stripe(i)
            random.shuffle(keys)
            for key in keys[:16]:
                if db.lookup(key, touch=False) is not None:
                    return key
        finally:
            if not c.in_exec:
                locks[i].release()
    return None


def _db_index(c, raw):
    try:
        index = to_int(raw)
    except CommandError:
        raise CommandError(errors.NOT_INTEGER) from None
    if not 0 <= index < len(c.server.keyspace.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    return index


@command("move", 3, "write fast", acl="keyspace", keys=[ks("RW access update", 1)],
         **KEYSPACE)
def cmd_move(c, argv):
    key = argv[1]
    index = _db_index(c, argv[2])
    target = c.server.keyspace.dbs[index]
    src = c.db
    if target is src:
        raise CommandError(errors.SAME_OBJECT)
    value = src.lookup(key)
    if value is None or target.lookup(key) is not None:
        return 0
    when = src.get_expire(key)
    target.set(key, value)
    target.set_access_word(key, src.access_word(key))
    if when is not None:
        target.set_expire(key, when)
    src.delete(key)
    src.notify("g", "move_from", key)
    target.notify("g", "move_to", key)
    c.dirty_as = 1
    return 1


@command("copy", -3, "write denyoom", acl="keyspace",
         keys=[ks("RO access", 1), ks("OW update", 2)], **KEYSPACE)
def cmd_copy(c, argv):
    src_key, dst_key = argv[1], argv[2]
    target = c.db
    replace = False
    i = 3
    while i < len(argv):
        word = argv[i].lower()
        if word == b"replace":
            replace = True
        elif word == b"db" and i + 1 < len(argv):
            try:
                index = to_int(argv[i + 1])
            except CommandError:
                raise CommandError(errors.NOT_INTEGER) from None
            if not 0 <= index < len(c.server.keyspace.dbs):
                raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
            target = c.server.keyspace.dbs[index]
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    src = c.db
    if src is target and src_key == dst_key:
        raise CommandError(errors.SAME_OBJECT)
    value = src.lookup_read(src_key)     # COPY reads its source (keyspace hits)
    if value is None:
        return 0
    if target.lookup(dst_key) is not None:
        if not replace:
            return 0
        target.delete(dst_key)
    target.set(dst_key, copy_value(value))
    when = src.get_expire(src_key)
    if when is not None:
        target.set_expire(dst_key, when)
    target.notify("g", "copy_to", dst_key)
    c.dirty_as = 1
    return 1


# -- OBJECT ----------------------------------------------------------------------------------
_OBJ = dict(group="generic")


def _install_access(server):
    """A touch stores an LFU word while maxmemory-policy is an LFU one (Keyspace.use_lfu)."""
    ks = server.keyspace
    cfg = server.config

    def apply_policy(config, opt, value):
        ks.use_lfu("lfu" in value)

    ks.config = cfg

    cfg.hooks["eviction"] = apply_policy
    apply_policy(cfg, None, cfg.maxmemory_policy)


INSTALLERS.append(_install_access)


@command("object|encoding", 3, "readonly", acl="keyspace", keys=[ks("RO", 2)],
         tips=("nondeterministic_output",), **_OBJ)
def cmd_object_encoding(c, argv):
    value = c.db.lookup_read(argv[2], touch=False)
    if value is None:
        return None
    return encoding_of(value, c.server.config).encode()


@command("object|freq", 3, "readonly", acl="keyspace", keys=[ks("RO", 2)],
         tips=("nondeterministic_output",), **_OBJ)
def cmd_object_freq(c, argv):
    value = c.db.lookup_read(argv[2], touch=False)
    if value is None:
        return None
    if "lfu" not in c.server.config.maxmemory_policy:
        raise CommandError("ERR An LFU maxmemory policy is not selected, access frequency not "
                           "tracked. Please note that when switching between policies at "
                           "runtime LRU and LFU data will take some time to adjust.")
    return lfu_counter(c.db.access_word(argv[2]), c.server.config.lfu_decay_time)


@command("object|idletime", 3, "readonly", acl="keyspace", keys=[ks("RO", 2)],
         tips=("nondeterministic_output",), **_OBJ)
def cmd_object_idletime(c, argv):
    value = c.db.lookup_read(argv[2], touch=False)
    if value is None:
        return None
    if "lfu" in c.server.config.maxmemory_policy:
        raise CommandError("ERR An LFU maxmemory policy is selected, idle time not tracked. "
                           "Please note that when switching between policies at runtime LRU "
                           "and LFU data will take some time to adjust.")
    return idle_ms(c.db.access_word(argv[2]), c.db.ks.lru_clock) // 1000


@command("object|refcount", 3, "readonly", acl="keyspace", keys=[ks("RO", 2)],
         tips=("nondeterministic_output",), **_OBJ)
def cmd_object_refcount(c, argv):
    value = c.db.lookup_read(argv[2], touch=False)
    if value is None:
        return None
    return 2147483647 if type(value) is bytes and encoding_of(value, None) == "int" \
        and 0 <= int(value) < 10000 else 1


@command("object|help", 2, "loading stale", acl="keyspace",
         **_OBJ)
def cmd_object_help(c, argv):
    return help_reply("OBJECT")


from . import expire  # noqa: E402,F401  (expiry commands live in their own module)
