"""The ZRANGE family: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES), ZRANGESTORE, the
deprecated ZREVRANGE / Z[REV]RANGEBYSCORE / Z[REV]RANGEBYLEX, and ZREMRANGEBYRANK /
BYSCORE / BYLEX. One option parser and one range selector serve them all, as in Redis's
zrangeGenericCommand."""

from .. import errors
from ..errors import CommandError
from ..types.zset import ZSetValue
from .args import to_int
from .registry import command, ks
from .zsets import (ZSET, changed, get_zset, get_zset_for_write, parse_lex_range,
                    parse_score_range, scores_reply, store_result)

RANK, SCORE, LEX = "rank", "score", "lex"


def _options(argv, first, store, kind, reverse):
    """Options after <src> <min> <max>: (kind, reverse, withscores, offset, limit)."""
    withscores, offset, limit = False, 0, -1
    j, n = first, len(argv)
    while j < n:
        word = argv[j].lower()
        if not store and word == b"withscores":
            withscores = True
        elif word == b"limit" and n - j - 1 >= 2:
            offset, limit = to_int(argv[j + 1]), to_int(argv[j + 2])
            j += 2
        elif reverse is None and word == b"rev":
            reverse = True
        elif kind is None and word == b"bylex":
            kind = LEX
        elif kind is None and word == b"byscore":
            kind = SCORE
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    kind = kind or RANK
    if limit != -1 and kind is RANK:
        raise CommandError(errors.ZRANGE_LIMIT_NEEDS_BY)
    if withscores and kind is LEX:
        raise CommandError(errors.ZRANGE_WITHSCORES_BYLEX)
    return kind, bool(reverse), withscores, offset, limit


def _bounds(kind, raw_min, raw_max):
    if kind is RANK:
        return to_int(raw_min), to_int(raw_max)
    if kind is SCORE:
        return parse_score_range(raw_min, raw_max)
    return parse_lex_range(raw_min, raw_max)


def rank_span(start, end, size):
    """Redis's index sanitising: (lo, hi) index span, empty when lo >= hi."""
    if start < 0:
        start += size
    if end < 0:
        end += size
    start = max(start, 0)
    if start > end or start >= size:
        return 0, 0
    return start, min(end, size - 1) + 1


def _select(zs, kind, bounds, reverse, offset, limit):
    if kind is RANK:
        lo, hi = rank_span(bounds[0], bounds[1], len(zs))
        if reverse:
            size = len(zs)
            return zs.entries(size - hi, size - lo, reverse=True)
        return zs.entries(lo, hi)
    if kind is SCORE:
        lo, hi = zs.score_span(*bounds)
        return zs.span_entries(lo, hi, reverse, offset, limit)
    return zs.lex_entries(*bounds, reverse, offset, limit)


def zrange_generic(c, argv, src, store=False, kind=None, reverse=None):
    """(entries or None when the source is missing, withscores)."""
    kind, reverse, withscores, offset, limit = _options(argv, src + 3, store, kind, reverse)
    raw_min, raw_max = argv[src + 1], argv[src + 2]
    if reverse and kind is not RANK:
        raw_min, raw_max = raw_max, raw_min
    bounds = _bounds(kind, raw_min, raw_max)
    zs = get_zset(c, argv[src])
    if zs is None:
        return None, withscores
    return _select(zs, kind, bounds, reverse, offset, limit), withscores


def _reply(c, argv, kind=None, reverse=None):
    entries, withscores = zrange_generic(c, argv, 1, False, kind, reverse)
    return scores_reply(c, entries or [], withscores)


RO_ACCESS = ks("RO access", 1)


@command("zrange", -4, "readonly", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrange(c, argv):
    return _reply(c, argv)


@command("zrangestore", -5, "write denyoom", acl="sortedset",
         keys=[ks("OW update", 1), ks("RO access", 2)], **ZSET)
def cmd_zrangestore(c, argv):
    entries, _ = zrange_generic(c, argv, 2, store=True)
    result = ZSetValue.from_scores({member: score for score, member in entries or ()})
    return store_result(c, argv[1], result, "zrangestore")


@command("zrevrange", -4, "readonly", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrevrange(c, argv):
    return _reply(c, argv, RANK, True)


@command("zrangebyscore", -4, "readonly", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrangebyscore(c, argv):
    return _reply(c, argv, SCORE, False)


@command("zrevrangebyscore", -4, "readonly", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrevrangebyscore(c, argv):
    return _reply(c, argv, SCORE, True)


@command("zrangebylex", -4, "readonly", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrangebylex(c, argv):
    return _reply(c, argv, LEX, False)


@command("zrevrangebylex", -4, "readonly", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrevrangebylex(c, argv):
    return _reply(c, argv, LEX, True)


# -- ZREMRANGEBY* -------------------------------------------------------------------------
def _remrange(c, argv, kind):
    bounds = _bounds(kind, argv[2], argv[3])
    key = argv[1]
    zs = get_zset_for_write(c, key)
    if zs is None:
        return 0
    if kind is RANK:
        lo, hi = rank_span(bounds[0], bounds[1], len(zs))
    elif kind is SCORE:
        lo, hi = zs.score_span(*bounds)
    else:
        lo, hi = zs.lex_span(*bounds)
    deleted = zs.delete_span(lo, hi)
    if deleted:
        changed(c, key, zs, "zremrangeby" + kind)
        c.dirty_as = deleted
    return deleted


RW_DELETE = ks("RW delete", 1)


@command("zremrangebyrank", 4, "write", acl="sortedset", keys=[RW_DELETE], **ZSET)
def cmd_zremrangebyrank(c, argv):
    return _remrange(c, argv, RANK)


@command("zremrangebyscore", 4, "write", acl="sortedset", keys=[RW_DELETE], **ZSET)
def cmd_zremrangebyscore(c, argv):
    return _remrange(c, argv, SCORE)


@command("zremrangebylex", 4, "write", acl="sortedset", keys=[RW_DELETE], **ZSET)
def cmd_zremrangebylex(c, argv):
    return _remrange(c, argv, LEX)
