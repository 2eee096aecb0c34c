"""Hash commands: thin handlers over types.hash.HashValue. Also the helpers the set
commands share: typed lookups, removal bookkeeping, random-member counts and HSCAN / SSCAN.

HSCAN / SSCAN: a listpack hash or an intset set is returned whole with cursor 0, as Redis
does. A hashtable container is walked in the order of a stable 63-bit hash of its members
(types.set.ScanOrder); the cursor is the hash where the next call resumes. The order is
rebuilt when an iteration starts (cursor 0), so every member present throughout an
iteration is returned, without keeping any per-client state.
"""

from fractions import Fraction

from .. import errors
from ..errors import CommandError
from ..resp.writer import OK
from ..types import longdouble
from ..types.hash import HashValue
from ..types.set import sample_members, scan_page
from .args import INT64_MAX, INT64_MIN, parse_scan_cursor, to_int, to_int_or_none
from .keys import parse_scan_options
from .registry import command, ks
from ..threadstate import peek

HASH = dict(group="hash")
_RW_UPDATE = [ks("RW update", 1)]
_RW_ACCESS_UPDATE = [ks("RW access update", 1)]
_RO = [ks("RO", 1)]
_RO_ACCESS = [ks("RO access", 1)]
_ORDER = ("nondeterministic_output_order",)
_RANDOM = ("nondeterministic_output",)
RANDOM_COUNT_LIMIT = 10_000_000     # larger counts would exhaust memory before replying


# -- helpers shared with the set commands ----------------------------------------------------
def lookup_typed(c, key, cls, write=False):
    """The value at key if it is a cls, None if missing; WRONGTYPE otherwise."""
    value = c.db.lookup(key) if write else c.db.lookup_read(key)
    if value is None or type(value) is cls:
        return value
    raise CommandError(errors.WRONGTYPE)


def save(c, key, value, new, type_class, event):
    """After a write: add a new container, or mark an existing one changed."""
    db = c.db
    if new:
        db.add(key, value)
    else:
        db.changed(key, value)
    db.notify(type_class, event, key)


def after_removal(c, key, value, type_class, event):
    """Members were removed: the key goes away with its last member."""
    db = c.db
    db.changed(key, value)
    db.notify(type_class, event, key)
    if not value:
        db.notify("g", "del", key)


def remove_members(c, argv, cls, type_class, event):
    """HDEL / SREM key member...: how many were removed."""
    key = argv[1]
    value = lookup_typed(c, key, cls, write=True)
    if value is None:
        return 0
    remove = value.remove_member
    removed = sum(1 for m in argv[2:] if remove(m))
    if removed:
        after_removal(c, key, value, type_class, event)
        c.dirty_as = removed
    return removed


def random_count(raw):
    """The count of HRANDFIELD / SRANDMEMBER: a long in -LONG_MAX..LONG_MAX."""
    count = to_int(raw)
    if count == INT64_MIN:
        raise CommandError("ERR value is out of range, value must between "
                           "-9223372036854775807 and 9223372036854775807")
    if abs(count) > RANDOM_COUNT_LIMIT:
        raise CommandError("ERR value is out of range")
    return count


def scan_command(c, argv, cls):
    """HSCAN / SSCAN key cursor [MATCH pattern] [COUNT count]."""
    cursor = parse_scan_cursor(argv[2])
    value = lookup_typed(c, argv[1], cls)
    if value is None:
        return [b"0", []]
    match, count, _ = parse_scan_options(argv, 3)
    if value.is_compact():
        cursor, members = 0, value.ordered()
    else:
        cursor, members = scan_page(value, cursor, count)
    if match:
        members = [m for m in members if match(m)]
    if cls is HashValue:
        members = [x for f in members for x in (f, value[f])]
    return [b"%d" % cursor, members]


# -- hashes -----------------------------------------------------------------------------------
def _for_write(c, key):
    """(hash, is new) for a command that creates the hash when missing."""
    value = lookup_typed(c, key, HashValue, write=True)
    if value is None:
        return HashValue(), True
    return value, False


def _fit(c, value, texts):
    cfg = c.server.config
    value.fit(cfg.hash_max_listpack_entries, cfg.hash_max_listpack_value, texts)


def _hset(c, argv, name):
    if len(argv) % 2:
        raise CommandError(errors.wrong_arity(name))
    key = argv[1]
    value, new = _for_write(c, key)
    set_field = value.set_field
    created = 0
    for i in range(2, len(argv), 2):
        created += set_field(argv[i], argv[i + 1])
    _fit(c, value, argv[2:])
    save(c, key, value, new, "h", "hset")
    c.dirty_as = (len(argv) - 2) // 2    # Redis counts every pair, new or not
    return created


@command("hset", -4, "write denyoom fast", acl="hash", keys=_RW_UPDATE, **HASH)
def cmd_hset(c, argv):
    return _hset(c, argv, "hset")


@command("hmset", -4, "write denyoom fast", acl="hash", keys=_RW_UPDATE,
         **HASH)
def cmd_hmset(c, argv):
    _hset(c, argv, "hmset")
    return OK


@command("hsetnx", 4, "write denyoom fast", acl="hash", keys=[ks("RW insert", 1)], **HASH)
def cmd_hsetnx(c, argv):
    key, field = argv[1], argv[2]
    value, new = _for_write(c, key)
    if field in value:
        return 0
    value.set_field(field, argv[3])
    _fit(c, value, argv[2:])
    save(c, key, value, new, "h", "hset")
    return 1


@command("hget", 3, "readonly fast", acl="hash", keys=_RO_ACCESS, **HASH)
def cmd_hget(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return None if value is None else peek(value, argv[2])


@command("hmget", -3, "readonly fast", acl="hash", keys=_RO_ACCESS, **HASH)
def cmd_hmget(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    if value is None:
        return [None] * (len(argv) - 2)
    return [value[f] if f in value else None for f in argv[2:]]   # not dict.get: peek


@command("hdel", -3, "write fast", acl="hash", keys=[ks("RW delete", 1)], **HASH)
def cmd_hdel(c, argv):
    return remove_members(c, argv, HashValue, "h", "hdel")


@command("hlen", 2, "readonly fast", acl="hash", keys=_RO, **HASH)
def cmd_hlen(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return 0 if value is None else len(value)


@command("hstrlen", 3, "readonly fast", acl="hash", keys=_RO, **HASH)
def cmd_hstrlen(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return len(peek(value, argv[2], b"")) if value is not None else 0


@command("hexists", 3, "readonly fast", acl="hash", keys=_RO, **HASH)
def cmd_hexists(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return int(value is not None and argv[2] in value)


_WHOLE = dict(acl="hash", keys=_RO_ACCESS, tips=_ORDER, **HASH)


@command("hkeys", 2, "readonly", **_WHOLE)
def cmd_hkeys(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return [] if value is None else list(value)


@command("hvals", 2, "readonly", **_WHOLE)
def cmd_hvals(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return [] if value is None else list(value.values())


@command("hgetall", 2, "readonly", **_WHOLE)
def cmd_hgetall(c, argv):
    value = lookup_typed(c, argv[1], HashValue)
    return {} if value is None else dict(value)


def _store_number(c, key, value, new, field, text, event):
    value.set_field(field, text, keep_ttl=True)
    _fit(c, value, (field, text))
    save(c, key, value, new, "h", event)


@command("hincrby", 4, "write denyoom fast", acl="hash", keys=_RW_ACCESS_UPDATE, **HASH)
def cmd_hincrby(c, argv):
    delta = to_int(argv[3])
    key, field = argv[1], argv[2]
    value, new = _for_write(c, key)
    old = peek(value, field)
    current = 0 if old is None else to_int_or_none(old)
    if current is None:
        raise CommandError("ERR hash value is not an integer")
    result = current + delta
    if result > INT64_MAX or result < INT64_MIN:
        raise CommandError(errors.OVERFLOW)
    _store_number(c, key, value, new, field, b"%d" % result, "hincrby")
    return result


_INFINITY = object()                      # parse_long_double of an infinity
_HUGE = Fraction(2) ** 16384              # strtold overflows (ERANGE) from here
_TINY = Fraction(1, 1 << 16446)           # ... and underflows to 0 below this


def parse_long_double(raw):
    """Redis's string2ld: strtold over the whole text (decimal or hex), no leading space,
    no NaN, no overflow, no underflow to 0. A Fraction, _INFINITY, or None if invalid."""
    if not raw or len(raw) >= 5120 or raw[:1].isspace() or raw[-1:].isspace():
        return None
    body = raw[1:].lower() if raw[:1] in (b"+", b"-") else raw.lower()
    if body in (b"inf", b"infinity"):
        return _INFINITY
    try:
        if body[:2] == b"0x":
            number = Fraction(float.fromhex(raw.decode()))
        else:
            number = longdouble.parse(raw)
    except (ValueError, OverflowError):
        return None
    if number and not _TINY <= abs(number) < _HUGE:
        return None
    return number


@command("hincrbyfloat", 4, "write denyoom fast", acl="hash", keys=_RW_ACCESS_UPDATE, **HASH)
def cmd_hincrbyfloat(c, argv):
    key, field = argv[1], argv[2]
    delta = parse_long_double(argv[3])
    if delta is None:
        raise CommandError(errors.NOT_FLOAT)
    if delta is _INFINITY:
        raise CommandError("ERR value is NaN or Infinity")
    value, new = _for_write(c, key)
    old = peek(value, field)
    current = Fraction(0) if old is None else parse_long_double(old)
    if current is None:
        raise CommandError("ERR hash value is not a float")
    try:
        if current is _INFINITY:
            raise longdouble.NotANumber("infinite")
        text = longdouble.to_text(longdouble.add(current, delta))
    except longdouble.NotANumber:
        raise CommandError(errors.NAN_OR_INF) from None
    _store_number(c, key, value, new, field, text, "hincrbyfloat")
    c.propagate_as = [[b"HSET", key, field, text]]
    return text


@command("hrandfield", -2, "readonly", acl="hash", keys=_RO_ACCESS, tips=_RANDOM, **HASH)
def cmd_hrandfield(c, argv):
    if len(argv) == 2:
        value = lookup_typed(c, argv[1], HashValue)
        return None if value is None else value.random_field()
    count = random_count(argv[2])
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(errors.SYNTAX)
    with_values = len(argv) == 4
    if with_values and not -(INT64_MAX // 2) <= count <= INT64_MAX // 2:
        raise CommandError("ERR value is out of range")
    value = lookup_typed(c, argv[1], HashValue)
    if value is None or count == 0:
        return []
    fields = sample_members(value, count, value.ordered)
    if not with_values:
        return fields
    if c.resp3:
        return [[f, value[f]] for f in fields]
    return [x for f in fields for x in (f, value[f])]


@command("hscan", -3, "readonly", acl="hash", keys=_RO_ACCESS, tips=_RANDOM, **HASH)
def cmd_hscan(c, argv):
    return scan_command(c, argv, HashValue)
