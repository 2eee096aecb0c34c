"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. Thin handlers
over types.hll; HLL values are plain strings, byte-identical to Redis's."""

from .. import errors
from ..errors import CommandError
from ..resp.writer import OK
from ..types import hll, is_string
from .registry import command, ks

HLL = dict(group="hyperloglog")


def _value(c, key, write=False):
    """The key's string for types.hll: None when missing; a WRONGTYPE error instance
    (raised by types.hll when it reaches the key) for another type."""
    db = c.db
    value = db.lookup(key) if write else db.lookup_read(key)
    if value is None or is_string(value):
        return value
    return CommandError(errors.WRONGTYPE)


def _checked(value):
    if isinstance(value, CommandError):
        raise value
    return value


def _run(fn, *args):
    """Call into types.hll, turning its errors into error replies."""
    try:
        return fn(*args)
    except hll.HllError as exc:
        raise CommandError(str(exc)) from None


def _sparse_max(c):
    return c.server.config.hll_sparse_max_bytes


@command("pfadd", -2, "write denyoom fast", acl="hyperloglog", keys=[ks("RW insert", 1)], **HLL)
def cmd_pfadd(c, argv):
    key = argv[1]
    old = _checked(_value(c, key, write=True))
    try:
        value, changed = hll.add(old, argv[2:], _sparse_max(c))
    except hll.HllError as exc:
        if exc.partial is not None:      # the registers set before the corruption
            _store(c, key, old, exc.partial)
        raise CommandError(str(exc)) from None
    if changed:
        _store(c, key, old, value, "pfadd")
        c.dirty_as = changed
    return 1 if changed else 0


def _store(c, key, old, value, event=None):
    db = c.db
    if old is None:
        db.add(key, value)
    else:
        db.set(key, value, keep_ttl=True)
    if event:
        db.notify("$", event, key)


@command("pfcount", -2, "readonly may_replicate", acl="hyperloglog",
         keys=[ks("RW access", 1, last=-1, notes="RW because it may change the internal "
                  "representation of the key, and propagate to replicas")],
         **HLL)
def cmd_pfcount(c, argv):
    keys = argv[1:]
    if len(keys) == 1:
        old = _checked(_value(c, keys[0]))
        card, cached = _run(hll.count, [old])
        if cached is not None:
            _store(c, keys[0], old, cached)   # the refreshed cache: a write, propagated
        return card
    values = []
    for key in keys:
        value = _value(c, key)
        values.append(value)
        if isinstance(value, CommandError):
            break
    return _run(hll.count, values)[0]


@command("pfmerge", -2, "write denyoom", acl="hyperloglog",
         keys=[ks("RW access insert", 1), ks("RO access", 2, last=-1)], **HLL)
def cmd_pfmerge(c, argv):
    dest = argv[1]
    old = _value(c, dest, write=True)
    sources = [_value(c, key) for key in argv[2:]]
    value = _run(hll.merge, old, sources, _sparse_max(c))
    _store(c, dest, old, value, "pfadd")
    return OK


_DEBUG_REPLY = {"decode": lambda text: text.encode()}


@command("pfdebug", 3, "write denyoom admin", acl="hyperloglog",
         keys=[ks("RW access", 2)], **HLL)
def cmd_pfdebug(c, argv):
    key = argv[2]
    old = _value(c, key, write=True)
    reply, value = _run(hll.debug, argv[1], old)
    if value is not None:
        _store(c, key, old, value)
    if argv[1].lower() == b"decode":
        return reply.encode()
    return reply


@command("pfselftest", 1, "admin", acl="hyperloglog", **HLL)
def cmd_pfselftest(c, argv):
    _run(hll.selftest)
    return OK
