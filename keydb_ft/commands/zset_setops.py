"""ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD: one argument parser and the
set algebra of types.zset. Plain sets are accepted as inputs, every member scoring 1."""

from .. import errors
from ..errors import CommandError
from ..types import type_name
from ..types import zset as Z
from ..types.zset import ZSetValue
from .args import INT64_MAX, to_int
from .registry import command, ks
from .zsets import ZSET, parse_double, scores_reply, store_result, to_long_in

UNION, INTER, DIFF = "union", "inter", "diff"
_EMPTY = ZSetValue()
_AGGREGATES = (b"sum", b"min", b"max")


class _SetSource:
    """A plain set seen as a sorted set whose scores are all 1."""

    __slots__ = ("members",)

    def __init__(self, members):
        self.members = members

    def __len__(self):
        return len(self.members)

    def pairs(self):
        for member in self.members:
            yield member, 1.0

    def score(self, member):
        return 1.0 if member in self.members else None


def _source(c, key):
    value = c.db.lookup_read(key)
    if value is None:
        return _EMPTY
    if type(value) is ZSetValue:
        return value
    if type_name(value) == "set":
        return _SetSource(value)
    raise CommandError(errors.WRONGTYPE)


def _parse(c, argv, first, op, store, card):
    """-> (sources, weights, aggregate, withscores, limit)."""
    setnum = to_int(argv[first])
    if setnum < 1:
        raise CommandError(errors.NEED_INPUT_KEY.format(
            argv[0].decode("utf-8", "replace").lower()))
    if setnum > len(argv) - first - 1:
        raise CommandError(errors.SYNTAX)
    sources = [_source(c, key) for key in argv[first + 1:first + 1 + setnum]]
    weights, aggregate, withscores, limit = [1.0] * setnum, "sum", False, 0
    j, n = first + 1 + setnum, len(argv)
    algebra = op != DIFF and not card
    while j < n:
        word, remaining = argv[j].lower(), n - j
        if algebra and remaining >= setnum + 1 and word == b"weights":
            weights = [parse_double(raw, errors.WEIGHT_NOT_FLOAT)
                       for raw in argv[j + 1:j + 1 + setnum]]
            j += setnum + 1
        elif algebra and remaining >= 2 and word == b"aggregate":
            if argv[j + 1].lower() not in _AGGREGATES:
                raise CommandError(errors.SYNTAX)
            aggregate = argv[j + 1].lower().decode()
            j += 2
        elif not store and not card and word == b"withscores":
            withscores = True
            j += 1
        elif card and remaining >= 2 and word == b"limit":
            limit = to_long_in(argv[j + 1], 0, INT64_MAX, errors.CARD_LIMIT_NEGATIVE)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    return sources, weights, aggregate, withscores, limit


def _compute(sources, weights, aggregate, op):
    if op == UNION:
        return Z.union(sources, weights, aggregate)
    if op == INTER:
        return Z.inter(sources, weights, aggregate)
    return Z.diff(sources)


def _read(c, argv, op):
    sources, weights, aggregate, withscores, _ = _parse(c, argv, 1, op, False, False)
    scores = _compute(sources, weights, aggregate, op)
    entries = sorted((score, member) for member, score in scores.items())
    return scores_reply(c, entries, withscores)


def _store(c, argv, op):
    sources, weights, aggregate, _, _ = _parse(c, argv, 2, op, True, False)
    result = ZSetValue.from_scores(_compute(sources, weights, aggregate, op))
    return store_result(c, argv[1], result, f"z{op}store")


_READ_KEYS = [ks("RO access", 1, keynum=(0, 1, 1))]
_STORE_KEYS = [ks("OW update", 1), ks("RO access", 2, keynum=(0, 1, 1))]


@command("zunion", -3, "readonly", acl="sortedset", keys=_READ_KEYS, **ZSET)
def cmd_zunion(c, argv):
    return _read(c, argv, UNION)


@command("zinter", -3, "readonly", acl="sortedset", keys=_READ_KEYS, **ZSET)
def cmd_zinter(c, argv):
    return _read(c, argv, INTER)


@command("zdiff", -3, "readonly", acl="sortedset", keys=_READ_KEYS, **ZSET)
def cmd_zdiff(c, argv):
    return _read(c, argv, DIFF)


@command("zunionstore", -4, "write denyoom", acl="sortedset", keys=_STORE_KEYS, **ZSET)
def cmd_zunionstore(c, argv):
    return _store(c, argv, UNION)


@command("zinterstore", -4, "write denyoom", acl="sortedset", keys=_STORE_KEYS, **ZSET)
def cmd_zinterstore(c, argv):
    return _store(c, argv, INTER)


@command("zdiffstore", -4, "write denyoom", acl="sortedset", keys=_STORE_KEYS, **ZSET)
def cmd_zdiffstore(c, argv):
    return _store(c, argv, DIFF)


@command("zintercard", -3, "readonly", acl="sortedset", keys=_READ_KEYS, **ZSET)
def cmd_zintercard(c, argv):
    sources, _, _, _, limit = _parse(c, argv, 1, INTER, False, True)
    return Z.inter_card(sources, limit)
