"""String commands: thin handlers over bytes values (types.longdouble for float math)."""

from .. import errors
from ..db.keyspace import now_ms
from ..errors import CommandError
from ..resp.writer import OK
from ..types import is_string
from ..types import longdouble
from .args import INT64_MAX, INT64_MIN, expire_at_ms, to_int
from .registry import LANE_GET, LANE_SET, command, ks
from ..threadstate import peek

RW_ACCESS_UPDATE = ks("RW access update", 1)
RO_ACCESS = ks("RO access", 1)
STRING = dict(group="string")


def get_string(c, key):
    """The string at key, None if missing; WRONGTYPE for another type."""
    value = c.db.lookup_read(key)
    if value is None or is_string(value):
        return value
    raise CommandError(errors.WRONGTYPE)


def get_string_for_write(c, key):
    value = c.db.lookup(key)
    if value is None or is_string(value):
        return value
    raise CommandError(errors.WRONGTYPE)


def check_size(c, size):
    if size > c.server.config.proto_max_bulk_len:
        raise CommandError(errors.STRING_TOO_LONG)


@command("get", 2, "readonly fast", acl="string", keys=[RO_ACCESS], lane=LANE_GET, **STRING)
def cmd_get(c, argv):
    value = c.db.lookup_read(argv[1])     # get_string() written out: the commonest command
    kind = type(value)
    if kind is bytes or value is None or kind is bytearray:
        return value
    raise CommandError(errors.WRONGTYPE)


_SET_FLAGS = {b"nx": "nx", b"xx": "xx", b"get": "get", b"keepttl": "keepttl"}
_SET_UNITS = {b"ex": (1000, True), b"px": (1, True), b"exat": (1000, False), b"pxat": (1, False)}


def parse_set_options(argv, start, command_name):
    """SET's option words -> (flags set, expiry unit or None, raw expiry)."""
    flags = set()
    unit = raw = None
    i, n = start, len(argv)
    while i < n:
        word = argv[i].lower()
        flag = peek(_SET_FLAGS, word)
        if flag == "nx" and "xx" not in flags:
            flags.add(flag)
        elif flag == "xx" and "nx" not in flags:
            flags.add(flag)
        elif flag == "get":
            flags.add(flag)
        elif flag == "keepttl" and unit is None:
            flags.add(flag)
        elif word in _SET_UNITS and "keepttl" not in flags and i + 1 < n and (
                unit is None or unit == _SET_UNITS[word]):
            unit = _SET_UNITS[word]
            raw = argv[i + 1]
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    return flags, unit, raw


def _set_key_flags(argv, position):
    """SET reads the old value only with GET."""
    if any(a.lower() == b"get" for a in argv[3:]):
        return ("RW", "access", "update")
    return ("OW", "update")


@command("set", -3, "write denyoom", acl="string",
         keys=[ks("RW access update variable_flags", 1,
                  notes="RW and ACCESS due to the optional `GET` argument")],
         keyflags=_set_key_flags, lane=LANE_SET, **STRING)
def cmd_set(c, argv):
    key, value = argv[1], argv[2]
    if len(argv) == 3:                   # the common case: no options, argv is the effect
        db = c.db
        db.set(key, value)
        db.notify("$", "set", key)
        return OK
    flags, unit, raw = parse_set_options(argv, 3, "set")
    now = now_ms()
    when = expire_at_ms(raw, unit[0], unit[1], "set", now) if unit else None
    db = c.db
    old = db.lookup_read(key) if "get" in flags else db.lookup(key)   # GET reads, as Redis's
    if "get" in flags and old is not None and not is_string(old):
        raise CommandError(errors.WRONGTYPE)
    if ("nx" in flags and old is not None) or ("xx" in flags and old is None):
        return old if "get" in flags else None
    word = db.access_word(key) if old is not None and db.ks.lfu else None
    result = _store(c, key, value, when, "keepttl" in flags, old if "get" in flags else OK, now)
    if word is not None and db.access_word(key) is not None:
        db.set_access_word(key, word)    # the lookup above was the access (LFU), not twice
    return result


def _store(c, key, value, when, keep_ttl, result, now):
    """Set key to value with an optional absolute expiry; propagate deterministically."""
    db = c.db
    db.set(key, value, keep_ttl)
    db.notify("$", "set", key)
    if when is not None:
        c.dirty_as = 1                   # one change with its TTL, as in Redis
        if when <= now:
            db.delete(key)
            db.notify("g", "del", key)
            c.propagate_as = [[b"DEL", key]]
            return result
        db.set_expire(key, when)
        db.notify("g", "expire", key)
        c.propagate_as = [[b"SET", key, value, b"PXAT", b"%d" % when]]
    elif keep_ttl:
        c.propagate_as = [[b"SET", key, value, b"KEEPTTL"]]
    else:
        c.propagate_as = [[b"SET", key, value]]
    return result


@command("setnx", 3, "write denyoom fast", acl="string", keys=[ks("OW insert", 1)], **STRING)
def cmd_setnx(c, argv):
    if c.db.lookup(argv[1]) is not None:
        return 0
    _store(c, argv[1], argv[2], None, False, None, 0)
    return 1


def _setex(c, argv, unit, name):
    now = now_ms()
    when = expire_at_ms(argv[2], unit, True, name, now)
    return _store(c, argv[1], argv[3], when, False, OK, now)


@command("setex", 4, "write denyoom", acl="string", keys=[ks("OW update", 1)], **STRING)
def cmd_setex(c, argv):
    return _setex(c, argv, 1000, "setex")


@command("psetex", 4, "write denyoom", acl="string", keys=[ks("OW update", 1)], **STRING)
def cmd_psetex(c, argv):
    return _setex(c, argv, 1, "psetex")


@command("getset", 3, "write denyoom fast", acl="string", keys=[RW_ACCESS_UPDATE], **STRING)
def cmd_getset(c, argv):
    old = get_string(c, argv[1])          # a read for the statistics, as in Redis
    _store(c, argv[1], argv[2], None, False, None, 0)
    return old


@command("getdel", 2, "write fast", acl="string", keys=[ks("RW access delete", 1)], **STRING)
def cmd_getdel(c, argv):
    old = get_string(c, argv[1])
    if old is not None:
        lazy = c.server.config.lazyfree_lazy_user_del
        c.db.delete(argv[1], lazy)
        c.db.notify("g", "del", argv[1])
        c.propagate_as = [[b"UNLINK" if lazy else b"DEL", argv[1]]]     # as Redis does
    return old


_GETEX_UNITS = {b"ex": (1000, True), b"px": (1, True), b"exat": (1000, False), b"pxat": (1, False)}


@command("getex", -2, "write fast", acl="string", keys=[RW_ACCESS_UPDATE], **STRING)
def cmd_getex(c, argv):
    key = argv[1]
    unit = raw = None
    persist = False
    i = 2
    while i < len(argv):
        word = argv[i].lower()
        if word == b"persist" and unit is None:          # repeating it is allowed
            persist = True
        elif word in _GETEX_UNITS and not persist and i + 1 < len(argv) and (
                unit is None or unit == _GETEX_UNITS[word]):
            unit, raw = _GETEX_UNITS[word], argv[i + 1]
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    value = get_string(c, key)         # as Redis: a missing key or WRONGTYPE first, then
    if value is None:                  # the expire time is read and checked
        return None
    now = now_ms()
    when = expire_at_ms(raw, unit[0], unit[1], "getex", now) if unit else None
    db = c.db
    if when is not None:
        if when <= now:
            db.delete(key)
            db.notify("g", "del", key)
            c.propagate_as = [[b"DEL", key]]
        else:
            db.set_expire(key, when)
            db.notify("g", "expire", key)
            c.propagate_as = [[b"PEXPIREAT", key, b"%d" % when]]
    elif persist and db.persist(key):
        db.notify("g", "persist", key)
        c.propagate_as = [[b"PERSIST", key]]
    return value


@command("mget", -2, "readonly fast", acl="string", keys=[ks("RO access", 1, last=-1)],
         tips=("request_policy:multi_shard",), **STRING)
def cmd_mget(c, argv):
    lookup = c.db.lookup_read
    out = []
    for key in argv[1:]:
        value = lookup(key)
        out.append(value if value is None or is_string(value) else None)
    return out


def _check_pairs(argv, name):
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity(name))


@command("mset", -3, "write denyoom", acl="string", keys=[ks("OW update", 1, last=-1, step=2)],
         tips=("request_policy:multi_shard", "response_policy:all_succeeded"), **STRING)
def cmd_mset(c, argv):
    _check_pairs(argv, "mset")
    db = c.db
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        db.notify("$", "set", argv[i])
    return OK


@command("msetnx", -3, "write denyoom", acl="string", keys=[ks("OW insert", 1, last=-1, step=2)],
         tips=("request_policy:multi_shard", "response_policy:agg_min"), **STRING)
def cmd_msetnx(c, argv):
    _check_pairs(argv, "msetnx")
    db = c.db
    if any(db.lookup(argv[i]) is not None for i in range(1, len(argv), 2)):
        return 0
    return int(cmd_mset(c, argv) == OK)


@command("append", 3, "write denyoom fast", acl="string", keys=[ks("RW insert", 1)], **STRING)
def cmd_append(c, argv):
    key, extra = argv[1], argv[2]
    old = get_string_for_write(c, key)
    db = c.db
    if old is None:
        db.set(key, extra)
        db.notify("$", "append", key)
        return len(extra)
    check_size(c, len(old) + len(extra))
    if type(old) is bytes:
        old = bytearray(old)
        db.set(key, old, keep_ttl=True)
    old += extra
    db.changed(key, True)
    db.notify("$", "append", key)
    return len(old)


@command("strlen", 2, "readonly fast", acl="string", keys=[ks("RO", 1)], **STRING)
def cmd_strlen(c, argv):
    value = get_string(c, argv[1])
    return 0 if value is None else len(value)


def _incr(c, key, delta):
    old = get_string_for_write(c, key)
    if old is None:
        current = 0
    else:
        current = to_int(bytes(old)) if len(old) <= 20 else None
        if current is None:
            raise CommandError(errors.NOT_INTEGER)
    result = current + delta
    if result > INT64_MAX or result < INT64_MIN:
        raise CommandError(errors.OVERFLOW)
    c.db.set(key, b"%d" % result, keep_ttl=True)
    c.db.notify("$", "incrby", key)
    return result


@command("incr", 2, "write denyoom fast", acl="string", keys=[RW_ACCESS_UPDATE], **STRING)
def cmd_incr(c, argv):
    return _incr(c, argv[1], 1)


@command("decr", 2, "write denyoom fast", acl="string", keys=[RW_ACCESS_UPDATE], **STRING)
def cmd_decr(c, argv):
    return _incr(c, argv[1], -1)


@command("incrby", 3, "write denyoom fast", acl="string", keys=[RW_ACCESS_UPDATE],
         **STRING)
def cmd_incrby(c, argv):
    return _incr(c, argv[1], to_int(argv[2]))


@command("decrby", 3, "write denyoom fast", acl="string", keys=[RW_ACCESS_UPDATE],
         **STRING)
def cmd_decrby(c, argv):
    delta = to_int(argv[2])
    if delta == INT64_MIN:
        raise CommandError("ERR decrement would overflow")
    return _incr(c, argv[1], -delta)


@command("incrbyfloat", 3, "write denyoom fast", acl="string", keys=[RW_ACCESS_UPDATE],
         **STRING)
def cmd_incrbyfloat(c, argv):
    key = argv[1]
    old = get_string_for_write(c, key)
    text = float_sum_text(bytes(old) if old is not None else b"0", argv[2])
    c.db.set(key, text, keep_ttl=True)
    c.db.notify("$", "incrbyfloat", key)
    c.propagate_as = [[b"SET", key, text, b"KEEPTTL"]]
    return text


def float_sum_text(current, delta, not_float=errors.NOT_FLOAT):
    """current + delta in long double, as Redis prints it; Redis's errors otherwise: both
    are read first (an infinity is a valid number), then a sum that is not finite is
    refused."""
    a, b = _long_double(current, not_float), _long_double(delta, not_float)
    if a is None or b is None:
        raise CommandError(errors.NAN_OR_INF)
    try:
        return longdouble.to_text(longdouble.add(a, b))
    except longdouble.NotANumber:                      # overflow
        raise CommandError(errors.NAN_OR_INF) from None


def _long_double(text, not_float):
    """The value of text, None for an infinity."""
    try:
        return longdouble.parse(text)
    except longdouble.Infinite:
        return None
    except longdouble.NotANumber:
        raise CommandError(not_float) from None


def _getrange(c, argv):
    start, end = to_int(argv[2]), to_int(argv[3])
    value = get_string(c, argv[1])
    if value is None:
        return b""
    size = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(0, size + start)
    if end < 0:
        end = max(0, size + end)
    if end >= size:
        end = size - 1
    if start > end or size == 0:
        return b""
    return bytes(value[start:end + 1])


@command("getrange", 4, "readonly", acl="string", keys=[RO_ACCESS], **STRING)
def cmd_getrange(c, argv):
    return _getrange(c, argv)


@command("substr", 4, "readonly", acl="string", keys=[RO_ACCESS], **STRING)
def cmd_substr(c, argv):
    return _getrange(c, argv)


@command("setrange", 4, "write denyoom", acl="string", keys=[ks("RW update", 1)], **STRING)
def cmd_setrange(c, argv):
    key, patch = argv[1], argv[3]
    offset = to_int(argv[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_OUT_OF_RANGE)
    old = get_string_for_write(c, key)
    if not patch:
        return 0 if old is None else len(old)
    check_size(c, offset + len(patch))
    db = c.db
    if old is None:
        value = bytearray(offset) + patch
        db.set(key, value)
    else:
        value = old if type(old) is bytearray else bytearray(old)
        if len(value) < offset:
            value.extend(bytes(offset - len(value)))
        value[offset:offset + len(patch)] = patch
        if value is not old:
            db.set(key, value, keep_ttl=True)
        else:
            db.changed(key, True)
    db.notify("$", "setrange", key)
    return len(value)


from . import lcs  # noqa: E402,F401  (LCS lives in its own module)
