"""Member expiry commands. KeyDB's EXPIREMEMBER / EXPIREMEMBERAT / PEXPIREMEMBERAT (hash
fields, set members, sorted-set members) and the member forms `TTL key member`,
`PTTL key member`, `PERSIST key member` (expire.py hands those over); Redis 7.4's hash
field expiry: HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT, HTTL / HPTTL / HEXPIRETIME /
HPEXPIRETIME and HPERSIST. Both families share the value's member_expires, so HTTL sees an
EXPIREMEMBER and TTL key field sees an HEXPIRE. Expiry propagates as absolute times
(PEXPIREMEMBERAT, HPEXPIREAT), a member whose time is already past as its removal.
"""

from .. import errors
from ..db import member_expiry as db_member_expiry
from ..db.keyspace import now_ms
from ..errors import CommandError
from ..types.hash import HashValue
from ..types.member_expiry import (EXPIRING, member_expire, persist_member,
                                   register_member_expiry, set_member_expire)
from . import INSTALLERS
from .args import INT64_MAX, INT64_MIN, to_int, to_int_or_none
from .hashes import after_removal, lookup_typed
from .registry import command, ks
from ..threadstate import peek

_KEYDB = dict(group="generic", acl="keyspace", keys=[ks("RW update", 1)], since="6.0.0",
              complexity="O(1)")
_UNITS = {b"s": 1000, b"ms": 1}
_INVALID_ARGS = "ERR Invalid arguments"


def _install(server):
    _register_zset()
    db_member_expiry.install(server)


def _register_zset():
    """Sorted sets take part once types.zset.ZSetValue follows the member expiry protocol
    (types/member_expiry.py); until then EXPIREMEMBER on a zset says the type is
    unsupported."""
    try:
        from ..types.zset import ZSetValue
        probe = ZSetValue()
    except Exception:
        return
    if ZSetValue not in EXPIRING and getattr(probe, "member_expires", 0) is None and all(
            callable(getattr(probe, name, None)) for name in ("has_member", "remove_member")):
        register_member_expiry(ZSetValue, b"ZREM", "z", "zrem")


INSTALLERS.append(_install)


# -- KeyDB --------------------------------------------------------------------------------------
def _expire_member(c, key, member, when, name):
    if not INT64_MIN <= when <= INT64_MAX:
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    db = c.db
    value = db.lookup(key)
    if value is None:
        return 0
    if type(value) not in EXPIRING:
        raise CommandError("ERR object type is unsupported")
    if not value.has_member(member):
        return 0
    set_member_expire(value, member, when)
    db.changed(key, value)
    if when <= now_ms():
        db.lookup(key)                 # removes it now, propagated as HDEL / SREM / ZREM
        c.propagate_as = []
    else:
        db_member_expiry.index_key(db, key)
        c.propagate_as = [[b"PEXPIREMEMBERAT", key, member, b"%d" % when]]
    return 1


@command("expiremember", -4, "write fast",
         summary="Set a timeout on a member of a set, hash or sorted set (KeyDB).", **_KEYDB)
def cmd_expiremember(c, argv):
    delay = to_int(argv[3])
    if len(argv) > 5:
        raise CommandError("ERR Invalid number of arguments")
    unit = peek(_UNITS, argv[4].lower()) if len(argv) == 5 else 1000
    if unit is None:
        raise CommandError("ERR Invalid unit arg")
    return _expire_member(c, argv[1], argv[2], delay * unit + now_ms(), "expiremember")


@command("expirememberat", 4, "write fast",
         summary="Set the expiration of a member as a Unix timestamp (KeyDB).", **_KEYDB)
def cmd_expirememberat(c, argv):
    return _expire_member(c, argv[1], argv[2], to_int(argv[3]) * 1000, "expirememberat")


@command("pexpirememberat", 4, "write fast",
         summary="Set the expiration of a member as a Unix timestamp in milliseconds (KeyDB).",
         **_KEYDB)
def cmd_pexpirememberat(c, argv):
    return _expire_member(c, argv[1], argv[2], to_int(argv[3]), "pexpirememberat")


def member_ttl(c, argv, unit_ms):
    """TTL / PTTL key member: -2 without the key, -1 when the member has no expiry."""
    value = c.db.lookup_read(argv[1], touch=False)
    if value is None:
        return -2
    if len(argv) > 3:
        raise CommandError(_INVALID_ARGS)
    when = member_expire(value, argv[2]) if type(value) in EXPIRING else None
    if when is None:
        return -1
    ttl = max(0, when - now_ms())
    return ttl if unit_ms == 1 else (ttl + 500) // 1000


def member_persist(c, argv):
    """PERSIST key member: 1 when the member's expiry was removed."""
    db = c.db
    key = argv[1]
    value = db.lookup(key)
    if value is None:
        return 0
    if len(argv) > 3:
        raise CommandError(_INVALID_ARGS)
    if type(value) not in EXPIRING or not persist_member(value, argv[2]):
        return 0
    db.changed(key, value)
    db.notify("g", "persist", key)
    return 1


# -- Redis 7.4 hash field expiry ------------------------------------------------------------------
_HASH = dict(group="hash", acl="hash", since="7.4.0",
             complexity="O(N) where N is the number of specified fields")
_HFE_MAX_MS = 0xFFFFFFFFFFFF >> 2
_CONDITIONS = (b"nx", b"xx", b"gt", b"lt")


def _fields(argv, at, message):
    """The fields of `FIELDS numfields field ...` with numfields at argv[at]."""
    if argv[at - 1].lower() != b"fields":
        raise CommandError("ERR Mandatory argument FIELDS is missing or not at the right "
                           "position")
    count = to_int_or_none(argv[at])
    if count is None or count < 1:
        raise CommandError("ERR " + message)
    if count != len(argv) - at - 1:
        raise CommandError("ERR The `numfields` parameter must match the number of arguments")
    return argv[at + 1:]


def _expire_time(raw, unit_ms, base, name):
    when = to_int(raw)
    if when < 0:
        raise CommandError("ERR invalid expire time, must be >= 0")
    if when > _HFE_MAX_MS // unit_ms or when * unit_ms > _HFE_MAX_MS - base:
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    return when * unit_ms + base


def _hexpire(c, argv, unit_ms, relative, name):
    key = argv[1]
    value = lookup_typed(c, key, HashValue, write=True)
    now = now_ms()
    when = _expire_time(argv[2], unit_ms, now if relative else 0, name)
    condition = argv[3].lower()
    if condition not in _CONDITIONS:
        condition = None
    fields = _fields(argv, 5 if condition else 4, "Parameter `numFields` should be greater than 0")
    if value is None:
        return [-2] * len(fields)
    codes = [_expire_field(value, f, when, condition, now, c.server.keyspace.is_replica)
             for f in fields]
    _report_hexpire(c, key, value, fields, codes, when)
    return codes


def _expire_field(value, field, when, condition, now, replica):
    """-2 no such field, 0 condition not met, 1 expiry set, 2 deleted (time in the past)."""
    if field not in value:
        return -2
    current = member_expire(value, field)
    if current is None:
        if condition in (b"xx", b"gt"):
            return 0
    elif (condition == b"nx" or (condition == b"gt" and current >= when)
          or (condition == b"lt" and current <= when)):
        return 0
    if when <= now and not replica:
        value.remove_member(field)
        return 2
    set_member_expire(value, field, when)
    return 1


def _report_hexpire(c, key, value, fields, codes, when):
    deleted = [f for f, code in zip(fields, codes) if code == 2]
    updated = [f for f, code in zip(fields, codes) if code == 1]
    effects = []
    if deleted:
        effects.append([b"HDEL", key, *deleted])
    if updated:
        effects.append([b"HPEXPIREAT", key, b"%d" % when, b"FIELDS", b"%d" % len(updated),
                        *updated])
        db_member_expiry.index_key(c.db, key)
    if effects:
        after_removal(c, key, value, "h", "hdel" if deleted else "hexpire")
    c.propagate_as = effects


@command("hexpire", -6, "write denyoom fast", keys=[ks("RW update", 1)],
         summary="Set expiry for hash field using relative time to expire (seconds)", **_HASH)
def cmd_hexpire(c, argv):
    return _hexpire(c, argv, 1000, True, "hexpire")


@command("hpexpire", -6, "write denyoom fast", keys=[ks("RW update", 1)],
         summary="Set expiry for hash field using relative time to expire (milliseconds)",
         **_HASH)
def cmd_hpexpire(c, argv):
    return _hexpire(c, argv, 1, True, "hpexpire")


@command("hexpireat", -6, "write denyoom fast", keys=[ks("RW update", 1)],
         summary="Set expiry for hash field using an absolute Unix timestamp (seconds)",
         **_HASH)
def cmd_hexpireat(c, argv):
    return _hexpire(c, argv, 1000, False, "hexpireat")


@command("hpexpireat", -6, "write denyoom fast", keys=[ks("RW update", 1)],
         summary="Set expiry for hash field using an absolute Unix timestamp (milliseconds)",
         **_HASH)
def cmd_hpexpireat(c, argv):
    return _hexpire(c, argv, 1, False, "hpexpireat")


def _httl(c, argv, unit_ms, relative):
    value = lookup_typed(c, argv[1], HashValue)
    fields = _fields(argv, 3, "Number of fields must be a positive integer")
    if value is None:
        return [-2] * len(fields)
    base = now_ms() if relative else 0
    out = []
    for field in fields:
        when = member_expire(value, field)
        if field not in value:
            out.append(-2)
        elif when is None:
            out.append(-1)
        else:
            out.append((when - base + 999) // 1000 if unit_ms == 1000 else when - base)
    return out


_RO_ACCESS = [ks("RO access", 1)]


@command("httl", -5, "readonly fast", keys=_RO_ACCESS,
         summary="Returns the TTL in seconds of a hash field.", **_HASH)
def cmd_httl(c, argv):
    return _httl(c, argv, 1000, True)


@command("hpttl", -5, "readonly fast", keys=_RO_ACCESS,
         summary="Returns the TTL in milliseconds of a hash field.", **_HASH)
def cmd_hpttl(c, argv):
    return _httl(c, argv, 1, True)


@command("hexpiretime", -5, "readonly fast", keys=_RO_ACCESS,
         summary="Returns the expiration time of a hash field as a Unix timestamp, in "
         "seconds.", **_HASH)
def cmd_hexpiretime(c, argv):
    return _httl(c, argv, 1000, False)


@command("hpexpiretime", -5, "readonly fast", keys=_RO_ACCESS,
         summary="Returns the expiration time of a hash field as a Unix timestamp, in msec.",
         **_HASH)
def cmd_hpexpiretime(c, argv):
    return _httl(c, argv, 1, False)


@command("hpersist", -5, "write fast", keys=[ks("RW update", 1)],
         summary="Removes the expiration time for each specified field", **_HASH)
def cmd_hpersist(c, argv):
    key = argv[1]
    value = lookup_typed(c, key, HashValue, write=True)
    fields = _fields(argv, 3, "Number of fields must be a positive integer")
    if value is None:
        return [-2] * len(fields)
    codes = [(1 if persist_member(value, f) else -1) if f in value else -2 for f in fields]
    if 1 in codes:
        c.db.changed(key, value)
        c.db.notify("h", "hpersist", key)
    return codes
