"""Key expiry: EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT with NX XX GT LT, TTL / PTTL,
EXPIRETIME / PEXPIRETIME and PERSIST. Effects propagate as PEXPIREAT (or DEL when the
time is already past) so a replica or an AOF replay lands on the same instant."""

from .. import errors
from ..db.keyspace import now_ms
from ..errors import CommandError
from .args import INT64_MAX, to_int
from .member_expiry import member_persist, member_ttl
from .registry import command, ks

_DOC = dict(group="generic")
_MEMBER_FORM = dict(info_arity=2)     # KeyDB also takes `TTL key member`; COMMAND shows 7.0
_RW_UPDATE = [ks("RW update", 1)]
_RO_ACCESS = [ks("RO access", 1)]


def _parse_flags(argv):
    flags = set()
    for raw in argv[3:]:
        word = raw.lower()
        if word in (b"nx", b"xx", b"gt", b"lt"):
            flags.add(word.decode())
        else:
            text = errors.c_string(raw).decode("utf-8", "replace")
            raise CommandError(f"ERR Unsupported option {text}")
    if "nx" in flags and len(flags) > 1:
        raise CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if "gt" in flags and "lt" in flags:
        raise CommandError("ERR GT and LT options at the same time are not compatible")
    return flags


def _expire(c, argv, unit_ms, relative, name):
    key = argv[1]
    flags = _parse_flags(argv)
    value = to_int(argv[2])
    now = now_ms()
    invalid = CommandError(errors.INVALID_EXPIRE.format(name))
    if unit_ms == 1000:
        # C's LLONG_MIN / 1000 truncates toward zero: -(INT64_MAX // 1000), not the floor
        if value > INT64_MAX // 1000 or value < -(INT64_MAX // 1000):
            raise invalid
        value *= 1000
    if relative:
        if value > INT64_MAX - now:
            raise invalid
        value += now
    db = c.db
    if db.lookup(key) is None:
        return 0
    current = db.get_expire(key)
    if flags:
        if "nx" in flags and current is not None:
            return 0
        if "xx" in flags and current is None:
            return 0
        if "gt" in flags and (current is None or value <= current):
            return 0
        if "lt" in flags and current is not None and value >= current:
            return 0
    if value <= now and not c.server.keyspace.is_replica:
        db.delete(key)
        db.notify("g", "del", key)
        c.propagate_as = [[b"DEL", key]]
        return 1
    db.set_expire(key, value)
    db.notify("g", "expire", key)
    c.propagate_as = [[b"PEXPIREAT", key, b"%d" % value]]
    return 1


@command("expire", -3, "write fast", acl="keyspace", keys=_RW_UPDATE, **_DOC)
def cmd_expire(c, argv):
    return _expire(c, argv, 1000, True, "expire")


@command("pexpire", -3, "write fast", acl="keyspace", keys=_RW_UPDATE, **_DOC)
def cmd_pexpire(c, argv):
    return _expire(c, argv, 1, True, "pexpire")


@command("expireat", -3, "write fast", acl="keyspace", keys=_RW_UPDATE, **_DOC)
def cmd_expireat(c, argv):
    return _expire(c, argv, 1000, False, "expireat")


@command("pexpireat", -3, "write fast", acl="keyspace", keys=_RW_UPDATE, **_DOC)
def cmd_pexpireat(c, argv):
    return _expire(c, argv, 1, False, "pexpireat")


def _remaining(c, key, absolute, unit_ms):
    db = c.db
    if db.lookup_read(key, touch=False) is None:
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    if absolute:
        return (when + 500) // 1000 if unit_ms == 1000 else when
    ttl = max(0, when - now_ms())
    return (ttl + 500) // 1000 if unit_ms == 1000 else ttl


@command("ttl", -2, "readonly fast", acl="keyspace", keys=_RO_ACCESS,
         tips=("nondeterministic_output",), **_DOC, **_MEMBER_FORM)
def cmd_ttl(c, argv):
    if len(argv) > 2:                      # KeyDB: TTL key member
        return member_ttl(c, argv, 1000)
    return _remaining(c, argv[1], False, 1000)


@command("pttl", -2, "readonly fast", acl="keyspace", keys=_RO_ACCESS,
         tips=("nondeterministic_output",), **_DOC, **_MEMBER_FORM)
def cmd_pttl(c, argv):
    if len(argv) > 2:                      # KeyDB: PTTL key member
        return member_ttl(c, argv, 1)
    return _remaining(c, argv[1], False, 1)


@command("expiretime", 2, "readonly fast", acl="keyspace", keys=_RO_ACCESS, **_DOC)
def cmd_expiretime(c, argv):
    return _remaining(c, argv[1], True, 1000)


@command("pexpiretime", 2, "readonly fast", acl="keyspace", keys=_RO_ACCESS,
         **_DOC)
def cmd_pexpiretime(c, argv):
    return _remaining(c, argv[1], True, 1)


@command("persist", -2, "write fast", acl="keyspace", keys=_RW_UPDATE, **_DOC, **_MEMBER_FORM)
def cmd_persist(c, argv):
    if len(argv) > 2:                      # KeyDB: PERSIST key member
        return member_persist(c, argv)
    db = c.db
    if db.lookup(argv[1]) is None:
        return 0
    if db.persist(argv[1]):
        db.notify("g", "persist", argv[1])
        return 1
    return 0
