"""Sorted-set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
ZCOUNT, ZLEXCOUNT, ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN; zset_ranges.py has the
ZRANGE family, zset_setops.py ZUNION / ZINTER / ZDIFF. Thin handlers over types.zset.

Helpers other modules use:
    get_zset(c, key) / get_zset_for_write(c, key)  the ZSetValue or None; WRONGTYPE raised.
    parse_double(raw, error)   Redis's string2d (strtod, whole text, no overflow, no NaN).
    parse_score_range(min, max) / parse_lex_range(min, max)  range arguments with
        Redis's errors.
    scores_reply(c, entries, withscores)  [(score, member)] -> flat (RESP2) or
        [member, score] pairs (RESP3) as Redis 7.0 replies WITHSCORES.
    store_result(c, key, zs, event)  STORE-style commands: set key to zs (its encoding
        fitted) or delete it when zs is empty; returns the reply (the cardinality).
    zadd_apply(c, key, flags, ch, scores, members, event)  the body of ZADD / GEOADD.

Blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP live with the blocking commands) call
    pop_from(c, key, where_min, count=None, propagate=True)
        -> [(member, score), ...] or None when key is missing (WRONGTYPE raised).
        Pops count entries (one when count is None) from the low (where_min) or high
        end, emits zpopmin/zpopmax (and del when the set empties), and when propagate is
        set appends the deterministic effect (ZPOPMIN|ZPOPMAX key [n]) to
        c.propagate_as. The caller holds the key's stripe.
    pop_reply(c, items, nested)  items -> flat [m, s, ...] or nested [[m, s], ...].
"""

import math
import re

from .. import errors
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY
from ..types import zset as Z
from ..types.zset import ZSetValue
from .args import INT64_MAX, parse_scan_cursor, to_int
from .keys import parse_scan_options
from .registry import command, ks
from ..threadstate import peek

ZSET = dict(group="sorted-set")
RW_UPDATE = ks("RW update", 1)
RO_ACCESS = ks("RO access", 1)


# -- lookups ------------------------------------------------------------------------------
def get_zset(c, key):
    value = c.db.lookup_read(key)
    if value is None or type(value) is ZSetValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def get_zset_for_write(c, key):
    value = c.db.lookup(key)
    if value is None or type(value) is ZSetValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def limits(c):
    config = c.server.config
    return config.zset_max_listpack_entries, config.zset_max_listpack_value


# -- number parsing (C strtod) -------------------------------------------------------------
_NUMBER = (rb"([+-]?)(?:(inf(?:inity)?)|(nan(?:\([0-9a-z_]*\))?)"
           rb"|0x((?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?)"
           rb"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?))")
_STRICT = re.compile(_NUMBER, re.IGNORECASE)
_LOOSE = re.compile(rb"[ \t\n\v\f\r]*" + _NUMBER, re.IGNORECASE)
_NONZERO = re.compile(rb"[1-9a-f]", re.IGNORECASE)
_NONZERO_DIGIT = re.compile(rb"[1-9]")


def _strtod(match):
    """(value, overflowed or underflowed) for a match of _NUMBER."""
    sign, inf, nan, hexa, dec = match.groups()
    if nan:
        return math.nan, False
    if inf:
        value, erange = Z.INF, False
    elif hexa:
        mantissa = hexa.lower().split(b"p")[0]
        try:
            value = float.fromhex("0x" + hexa.decode())
        except OverflowError:
            value = Z.INF
        erange = value == Z.INF or (value == 0 and _NONZERO.search(mantissa) is not None)
    else:
        value = float(dec)
        mantissa = dec.lower().split(b"e")[0]
        erange = value == Z.INF or (value == 0 and _NONZERO.search(mantissa) is not None)
    return (-value if sign == b"-" else value), erange


def parse_double(raw, error=errors.NOT_FLOAT):
    """Redis's getDoubleFromObject: the whole text is a number, no leading space, no
    overflow to +-HUGE_VAL or underflow to 0, no NaN."""
    if (raw[-1:].isalnum() or raw[-1:] == b".") and raw.find(b"_") < 0 and (
            raw[:1].isalnum() or raw[:1] in b"+-."):
        try:
            value = float(raw)       # Python's grammar is strtod's, less hex, plus '_'
        except ValueError:
            pass
        else:
            if value == value and (value not in (Z.INF, -Z.INF) or b"n" in raw.lower()) and (
                    value or _NONZERO_DIGIT.search(raw.lower().split(b"e")[0]) is None):
                return value
            raise CommandError(error)
    match = _STRICT.fullmatch(raw)
    if match is None:
        raise CommandError(error)
    value, erange = _strtod(match)
    if erange or value != value:
        raise CommandError(error)
    return value


def _range_bound(raw):
    exclusive = raw[:1] == b"("
    text = errors.c_string(raw[1:] if exclusive else raw)
    if not text:
        return 0.0, exclusive
    match = _LOOSE.fullmatch(text)
    if match is None:
        raise CommandError(errors.ZSET_NOT_FLOAT_RANGE)
    value = _strtod(match)[0]
    if value != value:
        raise CommandError(errors.ZSET_NOT_FLOAT_RANGE)
    return value, exclusive


def parse_score_range(raw_min, raw_max):
    """(min, min exclusive, max, max exclusive) as zslParseRange reads them."""
    return _range_bound(raw_min) + _range_bound(raw_max)


def _lex_bound(raw):
    head, tail = raw[:1], raw[1:2]
    if head in (b"+", b"-"):
        if tail not in (b"", b"\0"):
            raise CommandError(errors.ZSET_NOT_LEX_RANGE)
        return (Z.LEX_MAX if head == b"+" else Z.LEX_MIN), True
    if head == b"(":
        return raw[1:], True
    if head == b"[":
        return raw[1:], False
    raise CommandError(errors.ZSET_NOT_LEX_RANGE)


def parse_lex_range(raw_min, raw_max):
    return _lex_bound(raw_min) + _lex_bound(raw_max)


def to_long_in(raw, lo, hi, message=None):
    """getRangeLongFromObjectOrReply: message (if any) replaces both errors."""
    try:
        value = to_int(raw)
    except CommandError:
        raise CommandError(message or errors.NOT_INTEGER) from None
    if not lo <= value <= hi:
        raise CommandError(message or errors.LONG_OUT_OF_RANGE.format(lo, hi))
    return value


# -- replies ------------------------------------------------------------------------------
def scores_reply(c, entries, withscores):
    if not withscores:
        return [member for _score, member in entries]
    return pop_reply(c, [(member, score) for score, member in entries], c.resp3)


def pop_reply(c, items, nested):
    """[(member, score)] -> nested [[m, s], ...] or flat [m, s, ...]."""
    if nested:
        return [[member, score] for member, score in items]
    out = []
    for member, score in items:
        out.append(member)
        out.append(score)
    return out


def store_result(c, key, zs, event):
    """Store zs at key (replacing any value and TTL) or delete key when zs is empty."""
    db = c.db
    if len(zs):
        zs.fit(*limits(c))
        db.set(key, zs)
        db.notify("z", event, key)
    elif db.delete(key):
        db.notify("g", "del", key)
    return len(zs)


def changed(c, key, zs, event):
    """After an in-place change: WATCH, dirty, events; deletes key when zs emptied."""
    db = c.db
    db.changed(key, zs)
    db.notify("z", event, key)
    if not zs:
        db.notify("g", "del", key)


# -- ZADD / ZINCRBY -----------------------------------------------------------------------
_ZADD_WORDS = {b"nx": Z.NX, b"xx": Z.XX, b"gt": Z.GT, b"lt": Z.LT, b"incr": Z.INCR}


def _zadd(c, argv, flags):
    i, n, ch = 2, len(argv), False
    while i < n:
        word = argv[i].lower()
        bit = peek(_ZADD_WORDS, word)
        if bit:
            flags |= bit
        elif word == b"ch":
            ch = True
        else:
            break
        i += 1
    rest = n - i
    if rest % 2 or not rest:
        raise CommandError(errors.SYNTAX)
    check_zadd_flags(flags, rest // 2)
    scores = [parse_double(argv[j]) for j in range(i, n, 2)]
    event = "zincr" if flags & Z.INCR else "zadd"
    return zadd_apply(c, argv[1], flags, ch, scores, argv[i + 1:n:2], event)


def check_zadd_flags(flags, pairs):
    if flags & Z.NX and flags & Z.XX:
        raise CommandError(errors.ZADD_XX_AND_NX)
    if (flags & Z.NX and flags & (Z.GT | Z.LT)) or (flags & Z.GT and flags & Z.LT):
        raise CommandError(errors.ZADD_GT_LT_NX)
    if flags & Z.INCR and pairs > 1:
        raise CommandError(errors.ZADD_INCR_PAIRS)


def zadd_apply(c, key, flags, ch, scores, members, event):
    """Add the (score, member) pairs with ZADD's flags; reply as ZADD does."""
    incr = flags & Z.INCR
    zs = get_zset_for_write(c, key)
    created = zs is None
    if created:
        if flags & Z.XX:
            return None if incr else 0
        zs = ZSetValue()
    max_entries, max_value = limits(c)
    added = updated = processed = 0
    score = None
    for score, member in zip(scores, members):
        try:
            outcome, score = zs.add(member, score, flags, max_entries, max_value)
        except Z.NotANumber:
            raise CommandError(errors.ZSET_NAN_SCORE) from None
        if outcome is Z.ADDED:
            added += 1
        elif outcome is Z.UPDATED:
            updated += 1
        if outcome is not Z.SKIPPED:
            processed += 1
    if added or updated:
        if created:
            c.db.add(key, zs)
            c.db.notify("z", event, key)
        else:
            changed(c, key, zs, event)
        c.dirty_as = added + updated    # as Redis's zaddGenericCommand (GEOADD too)
    if incr:
        return score if processed else None
    return added + updated if ch else added


@command("zadd", -4, "write denyoom fast", acl="sortedset", keys=[RW_UPDATE], **ZSET)
def cmd_zadd(c, argv):
    return _zadd(c, argv, 0)


@command("zincrby", 4, "write denyoom fast", acl="sortedset", keys=[ks("RW access update", 1)], **ZSET)
def cmd_zincrby(c, argv):
    return _zadd(c, argv, Z.INCR)


# -- single-key reads and ZREM ------------------------------------------------------------
@command("zrem", -3, "write fast", acl="sortedset", keys=[ks("RW delete", 1)], **ZSET)
def cmd_zrem(c, argv):
    key = argv[1]
    zs = get_zset_for_write(c, key)
    if zs is None:
        return 0
    deleted = 0
    for member in argv[2:]:
        deleted += zs.remove_member(member)
        if not zs:
            break
    if deleted:
        changed(c, key, zs, "zrem")
        c.dirty_as = deleted
    return deleted


@command("zcard", 2, "readonly fast", acl="sortedset", keys=[ks("RO", 1)], **ZSET)
def cmd_zcard(c, argv):
    zs = get_zset(c, argv[1])
    return 0 if zs is None else len(zs)


@command("zscore", 3, "readonly fast", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zscore(c, argv):
    zs = get_zset(c, argv[1])
    return None if zs is None else zs.score(argv[2])


@command("zmscore", -3, "readonly fast", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zmscore(c, argv):
    zs = get_zset(c, argv[1])
    if zs is None:
        return [None] * (len(argv) - 2)
    return [zs.score(member) for member in argv[2:]]


def _rank(c, argv, reverse):
    zs = get_zset(c, argv[1])
    if zs is None:
        return None
    rank = zs.rank(argv[2])
    if rank is None or not reverse:
        return rank
    return len(zs) - 1 - rank


@command("zrank", 3, "readonly fast", acl="sortedset", keys=[RO_ACCESS],
         **ZSET)
def cmd_zrank(c, argv):
    return _rank(c, argv, False)


@command("zrevrank", 3, "readonly fast", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zrevrank(c, argv):
    return _rank(c, argv, True)


def _count(c, argv, parse, span):
    bounds = parse(argv[2], argv[3])
    zs = get_zset(c, argv[1])
    if zs is None:
        return 0
    lo, hi = span(zs, *bounds)
    return hi - lo


@command("zcount", 4, "readonly fast", acl="sortedset", keys=[RO_ACCESS],
         **ZSET)
def cmd_zcount(c, argv):
    return _count(c, argv, parse_score_range, ZSetValue.score_span)


@command("zlexcount", 4, "readonly fast", acl="sortedset", keys=[RO_ACCESS], **ZSET)
def cmd_zlexcount(c, argv):
    return _count(c, argv, parse_lex_range, ZSetValue.lex_span)


# -- pops ---------------------------------------------------------------------------------
def pop_from(c, key, where_min, count=None, propagate=True):
    """Pop from the zset at key; see the module docstring."""
    zs = get_zset_for_write(c, key)
    if zs is None:
        return None
    entries = zs.pop(1 if count is None else count, where_min)
    if entries:
        changed(c, key, zs, "zpopmin" if where_min else "zpopmax")
        c.dirty_as = len(entries)
        if propagate:
            effect = [b"ZPOPMIN" if where_min else b"ZPOPMAX", key]
            if count is not None:
                effect.append(b"%d" % len(entries))
            if c.propagate_as is None:
                c.propagate_as = []
            c.propagate_as.append(effect)
    return [(member, score) for score, member in entries]


def _zpop(c, argv, where_min):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = None
    if len(argv) == 3:
        count = to_long_in(argv[2], 0, INT64_MAX, errors.MUST_BE_POSITIVE)
    items = pop_from(c, argv[1], where_min, count, propagate=False)
    if not items:
        return []
    return pop_reply(c, items, c.resp3 and count is not None)


@command("zpopmin", -2, "write fast", acl="sortedset", keys=[ks("RW access delete", 1)], **ZSET)
def cmd_zpopmin(c, argv):
    return _zpop(c, argv, True)


@command("zpopmax", -2, "write fast", acl="sortedset", keys=[ks("RW access delete", 1)], **ZSET)
def cmd_zpopmax(c, argv):
    return _zpop(c, argv, False)


def parse_mpop(argv, numkeys_idx):
    """ZMPOP / BZMPOP arguments after the timeout: (keys, where_min, count)."""
    numkeys = to_long_in(argv[numkeys_idx], 1, INT64_MAX, errors.NUMKEYS_POSITIVE)
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= len(argv):
        raise CommandError(errors.SYNTAX)
    where = argv[where_idx].lower()
    if where not in (b"min", b"max"):
        raise CommandError(errors.SYNTAX)
    count = None
    j = where_idx + 1
    while j < len(argv):
        if count is None and argv[j].lower() == b"count" and j + 1 < len(argv):
            count = to_long_in(argv[j + 1], 1, INT64_MAX, errors.COUNT_POSITIVE)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    return argv[numkeys_idx + 1:where_idx], where == b"min", count or 1


@command("zmpop", -4, "write", acl="sortedset", keys=[ks("RW access delete", 1, keynum=(0, 1, 1))],
         **ZSET)
def cmd_zmpop(c, argv):
    keys, where_min, count = parse_mpop(argv, 1)
    for key in keys:
        items = pop_from(c, key, where_min, count)
        if items is not None:
            return [key, pop_reply(c, items, True)]
    return NULL_ARRAY


# -- ZRANDMEMBER --------------------------------------------------------------------------
RANDOM_REPLY_MAX = 1 << 27   # repeats allowed: a longer reply could not be built in memory

@command("zrandmember", -2, "readonly", acl="sortedset", keys=[RO_ACCESS],
         tips=("nondeterministic_output",), **ZSET)
def cmd_zrandmember(c, argv):
    if len(argv) == 2:
        zs = get_zset(c, argv[1])
        return None if zs is None else zs.sample(1, True)[0][1]
    count = to_long_in(argv[2], -INT64_MAX, INT64_MAX)
    withscores = len(argv) == 4
    if len(argv) > 4 or (withscores and argv[3].lower() != b"withscores"):
        raise CommandError(errors.SYNTAX)
    if withscores and not -(INT64_MAX // 2) <= count <= INT64_MAX // 2:
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    zs = get_zset(c, argv[1])
    if zs is None or count == 0:
        return []
    if count < -RANDOM_REPLY_MAX:
        # Redis would stream such a reply until memory runs out; refuse it instead.
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    return scores_reply(c, zs.sample(abs(count), count > 0), withscores)


# -- ZSCAN --------------------------------------------------------------------------------


def _score_text(score, listpack):
    """The score text ZSCAN replies: listpack stores d2string's, skiplist %.17Lg."""
    if score in (Z.INF, -Z.INF):
        return b"inf" if score > 0 else b"-inf"
    if listpack and score == int(score) and abs(score) <= 1 << 62 and score != 0:
        return b"%d" % int(score)
    return b"%.17g" % score


@command("zscan", -3, "readonly", acl="sortedset", keys=[RO_ACCESS],
         tips=("nondeterministic_output",), **ZSET)
def cmd_zscan(c, argv):
    cursor = parse_scan_cursor(argv[2])
    zs = get_zset(c, argv[1])
    if zs is None:
        return [b"0", []]
    match, count, _ = parse_scan_options(argv, 3)
    if zs.listpack:
        cursor, items = 0, list(zs.pairs())
    else:
        cursor, items = zs.scan(cursor, count)
    out = []
    for member, score in items:
        if match is None or match(member):
            out.append(member)
            out.append(_score_text(score, zs.listpack))
    return [b"%d" % cursor, out]
