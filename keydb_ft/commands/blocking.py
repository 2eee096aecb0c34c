"""Blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
and CLIENT UNBLOCK. The waiting itself is db/blocking.py's.

Each command is a `serve(c, key)` function (reply, or None when key has nothing to give;
WRONGTYPE raised) used twice: over the keys in order when the command runs, then, once
blocked, for the key that became ready (after checking its type: Redis 7.0 leaves a
client blocked when the key holds another type).
"""

import re
from decimal import ROUND_CEILING, Decimal

from .. import errors
from ..db.blocking import block, can_block, client_closed, key_ready, unblock
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY
from ..types.list import ListValue
from ..types.zset import ZSetValue
from . import INSTALLERS, zsets
from .args import to_int
from .lists import get_list, lmove, mpop_from, parse_mpop, pop_list, side
from .registry import command, ks
from ..threadstate import peek

LIST = dict(group="list")
ZSET = dict(group="sorted-set")
KEYS_THEN_TIMEOUT = [ks("RW access delete", 1, last=-2)]
MOVE_KEYS = [ks("RW access delete", 1), ks("RW insert", 2)]
MPOP_KEYS = [ks("RW access delete", 2, keynum=(0, 1, 1))]

# strtold's syntax: decimal or hex floats, inf / infinity, nan (refused below)
_LONG_DOUBLE = re.compile(
    rb"[+-]?(?:inf(?:inity)?|nan(?:\([0-9a-z_]*\))?|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)"
    rb"(?:p[+-]?[0-9]+)?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)", re.IGNORECASE)
_LD_MAX = Decimal("1.18973149535723176502e4932")
_LD_MIN = Decimal("3.64519953188247460253e-4951")
_LLONG_MIN = -(1 << 63)


def parse_timeout(raw):
    """A blocking timeout in seconds -> milliseconds, 0 = forever, as Redis 7.0's
    getTimeoutFromObjectOrReply: a long double, ceil(s * 1000) cast to long long (out of
    range -> LLONG_MIN, so "negative")."""
    if raw.isdigit() and len(raw) < 16:
        return int(raw) * 1000
    if (len(raw) >= 5120 or not _LONG_DOUBLE.fullmatch(raw)       # string2ld's limits
            or raw.lower().find(b"nan") >= 0):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    text = raw.decode()
    if "x" in text.lower():
        try:
            value = Decimal(float.fromhex(text))
        except OverflowError:
            value = Decimal("-inf")
    else:
        try:
            value = Decimal(text)
        except ArithmeticError:              # an exponent beyond any range: ERANGE
            raise CommandError(errors.TIMEOUT_NOT_FLOAT) from None
    if value.is_finite() and (abs(value) > _LD_MAX or 0 < abs(value) < _LD_MIN):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    ms = _LLONG_MIN
    if value.is_finite():
        ms = int((value * 1000).to_integral_value(rounding=ROUND_CEILING))
        if not _LLONG_MIN <= ms < -_LLONG_MIN:
            ms = _LLONG_MIN
    if ms < 0:
        raise CommandError(errors.NEGATIVE_TIMEOUT)
    return ms


def wait_for(c, keys, timeout, value_type, serve, extra_keys=(), denied=NULL_ARRAY):
    """Serve from the first key that can, else block until serve(c, key) can."""
    for key in keys:
        reply = serve(c, key)
        if reply is not None:
            return reply
    if not can_block(c):
        return denied

    def retry(c, key):
        if type(c.db.lookup(key)) is not value_type:
            return None
        return serve(c, key)
    return block(c, keys, timeout, retry, extra_keys=extra_keys)


# -- lists ----------------------------------------------------------------------------------
def _pop_pair(c, key, left):
    value = get_list(c, key)
    if not value:
        return None
    c.propagate_as = [[b"LPOP" if left else b"RPOP", key]]
    return [key, pop_list(c, key, value, left, 1)[0]]


def _bpop(c, argv, left):
    timeout = parse_timeout(argv[-1])
    return wait_for(c, argv[1:-1], timeout, ListValue, lambda c, key: _pop_pair(c, key, left))


@command("blpop", -3, "write noscript blocking", acl="list", keys=KEYS_THEN_TIMEOUT, **LIST)
def cmd_blpop(c, argv):
    return _bpop(c, argv, True)


@command("brpop", -3, "write noscript blocking", acl="list", keys=KEYS_THEN_TIMEOUT, **LIST)
def cmd_brpop(c, argv):
    return _bpop(c, argv, False)


def _bmove(c, argv, from_left, to_left, timeout, effect):
    src, dst = argv[1], argv[2]

    def serve(c, key):
        element = lmove(c, src, dst, from_left, to_left)
        if element is not None:
            c.propagate_as = [effect]
        return element
    return wait_for(c, (src,), timeout, ListValue, serve, extra_keys=(dst,), denied=None)


@command("blmove", 6, "write denyoom noscript blocking", acl="list", keys=MOVE_KEYS, **LIST)
def cmd_blmove(c, argv):
    from_left, to_left = side(argv[3]), side(argv[4])
    timeout = parse_timeout(argv[5])
    return _bmove(c, argv, from_left, to_left, timeout, [b"LMOVE"] + argv[1:5])


@command("brpoplpush", 4, "write denyoom noscript blocking", acl="list", keys=MOVE_KEYS, **LIST)
def cmd_brpoplpush(c, argv):
    timeout = parse_timeout(argv[3])
    return _bmove(c, argv, False, True, timeout, [b"RPOPLPUSH", argv[1], argv[2]])


@command("blmpop", -5, "write blocking", acl="list", keys=MPOP_KEYS, **LIST)
def cmd_blmpop(c, argv):
    keys, left, count = parse_mpop(argv, 2)
    timeout = parse_timeout(argv[1])
    return wait_for(c, keys, timeout, ListValue, lambda c, key: mpop_from(c, key, left, count))


# -- sorted sets ----------------------------------------------------------------------------
def _zpop_triple(c, key, where_min):
    items = zsets.pop_from(c, key, where_min)
    if not items:
        return None
    member, score = items[0]
    return [key, member, score]


def _bzpop(c, argv, where_min):
    timeout = parse_timeout(argv[-1])
    return wait_for(c, argv[1:-1], timeout, ZSetValue,
                    lambda c, key: _zpop_triple(c, key, where_min))


@command("bzpopmin", -3, "write noscript blocking fast", acl="sortedset",
         keys=KEYS_THEN_TIMEOUT, **ZSET)
def cmd_bzpopmin(c, argv):
    return _bzpop(c, argv, True)


@command("bzpopmax", -3, "write noscript blocking fast", acl="sortedset",
         keys=KEYS_THEN_TIMEOUT, **ZSET)
def cmd_bzpopmax(c, argv):
    return _bzpop(c, argv, False)


def _zmpop_from(c, key, where_min, count):
    items = zsets.pop_from(c, key, where_min, count)
    if not items:
        return None
    return [key, zsets.pop_reply(c, items, True)]


@command("bzmpop", -5, "write blocking", acl="sortedset", keys=MPOP_KEYS, **ZSET)
def cmd_bzmpop(c, argv):
    keys, where_min, count = zsets.parse_mpop(argv, 2)
    timeout = parse_timeout(argv[1])
    return wait_for(c, keys, timeout, ZSetValue,
                    lambda c, key: _zmpop_from(c, key, where_min, count))


# -- CLIENT UNBLOCK -------------------------------------------------------------------------
@command("client|unblock", -3, "admin noscript loading stale no_lock", acl="connection", group="connection")
def cmd_client_unblock(c, argv):
    if len(argv) > 4:
        raise CommandError("ERR unknown subcommand or wrong number of arguments for "
                           f"'{argv[1].decode('utf-8', 'replace')}'. Try CLIENT HELP.")
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason not in (b"timeout", b"error"):
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        error = reason == b"error"
    client_id = to_int(argv[2])
    server = c.server
    with server.client_lock:
        target = peek(server.clients, client_id)
    # inside EXEC every stripe is held already (no_lock commands make EXEC take them all)
    return int(target is not None and unblock(target, error, held=c.in_exec))


def _install(server):
    blocking = server.keyspace.blocking
    dbs = server.keyspace.dbs
    server.close_hooks.append(client_closed)
    server.swapdb_hooks.append(lambda a, b: blocking.signal_all(dbs, (a, b)))
    server.flush_hooks.append(blocking.flushed)
    server.signal_key_ready = key_ready


INSTALLERS.append(_install)
