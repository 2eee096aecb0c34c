"""Sorted sets as Redis 7.0 keeps them: the pure half of the Z* and GEO* commands.

A ZSetValue holds a dict member -> score and a SortedList of (score, member) entries in
Redis's order: score first, then member bytes compared as memcmp does. Scores are
floats, never NaN. No replies, locks or keyspace here.

API
---
Building
    ``ZSetValue(listpack=True)``, ``ZSetValue.from_scores(dict, listpack=True)`` and
    ``ZSetValue.from_pairs([(member, score), ...], listpack=True)`` (later pairs win).
    ``copy()`` keeps the encoding.
Encoding (OBJECT ENCODING)
    ``listpack`` is True while Redis would keep the set as a listpack; the change to
    skiplist is one-way: ``add(..., max_entries, max_value)`` makes it when a new member
    passes the limits, ``fit(max_entries, max_value)`` decides for a set built from
    scratch (stores, loading). A listpack stores a score of -0 as 0, as Redis's does.
Members
    ``len(z)``, ``score(member) -> float | None``, ``has_member(member)``,
    ``insert(member, score)`` (a new member), ``remove_member(member) -> bool``
    (removals also forget a member's own TTL: types.member_expiry's protocol), ``add(member, score, flags) ->
    (outcome, score)`` with ZADD's NX XX GT LT INCR rules (outcome ADDED, UPDATED,
    UNCHANGED or SKIPPED; raises NotANumber when INCR makes NaN), optional listpack
    limits as above.
Order
    ``rank(member) -> int | None`` (ascending), ``entry(i)``, ``entries(lo, hi,
    reverse=False) -> [(score, member)]`` for index span [lo, hi),
    ``pairs() -> iter (member, score)`` ascending, ``score_span(min, minex, max, maxex)``
    and ``lex_span(min, minex, max, maxex)`` -> index span (lo, hi) (lex bounds are
    bytes, LEX_MIN or LEX_MAX), ``span_entries(lo, hi, reverse, offset, limit)`` and
    ``lex_entries(min, minex, max, maxex, reverse, offset, limit)`` -> the entries a
    ZRANGE returns, ``delete_span(lo, hi) -> count``, ``pop(count, from_min) ->
    [(score, member)]`` in pop order.
Randomness and iteration
    ``sample(count, unique) -> [(score, member)]`` (ZRANDMEMBER's cases),
    ``scan(cursor, count) -> (next cursor, [(member, score)])`` with a reverse-binary
    cursor over member hashes: a full iteration returns every member present throughout.
Set algebra over sources (anything with ``len()``, ``pairs()`` and ``score(member)``)
    ``union(sources, weights, aggregate)``, ``inter(sources, weights, aggregate)``,
    ``inter_card(sources, limit)``, ``diff(sources)`` -> dict member -> score, with
    Redis's evaluation order (inputs by size, NaN products and sums become 0).
"""

import math
import random

from sortedcontainers import SortedList

from . import register_encoding, register_type
from .member_expiry import copy_expires, register_member_expiry
from ..threadstate import peek

NX, XX, GT, LT, INCR = 1, 2, 4, 8, 16
ADDED, UPDATED, UNCHANGED, SKIPPED = "added", "updated", "unchanged", "skipped"
LEX_MIN = "-"      # the "-" bound: below every member
LEX_MAX = "+"      # the "+" bound: above every member
INF = math.inf
_U64 = (1 << 64) - 1


class NotANumber(ValueError):
    """An increment made the score NaN (inf + -inf)."""


class ZSetValue:
    __slots__ = ("scores", "order", "listpack", "member_expires", "_scan")

    def __init__(self, listpack=True):
        self.scores = {}
        self.order = SortedList()
        self.listpack = listpack
        self.member_expires = None     # types.member_expiry: members' own TTLs
        self._scan = None

    @classmethod
    def from_scores(cls, scores, listpack=True):
        z = cls(listpack)
        z.scores = scores
        z.order = SortedList((s, m) for m, s in scores.items())
        return z

    @classmethod
    def from_pairs(cls, pairs, listpack=True):
        return cls.from_scores(dict(pairs), listpack)

    def copy(self):
        z = ZSetValue(self.listpack)
        z.scores = self.scores.copy()
        z.order = SortedList(self.order)
        z.member_expires = copy_expires(self.member_expires)
        return z

    def __len__(self):
        return len(self.scores)

    def __repr__(self):
        return f"ZSetValue({list(self.pairs())!r})"

    # -- encoding -----------------------------------------------------------------------
    def fit(self, max_entries, max_value):
        """Encoding of a set built from scratch (zsetConvertToListpackIfNeeded)."""
        self.listpack = len(self.scores) <= max_entries and all(
            len(m) <= max_value for m in self.scores)
        if self.listpack:
            for member, score in list(self.scores.items()):
                if score == 0 and math.copysign(1.0, score) < 0:
                    self._move(member, score, 0.0)
        return self

    # -- members ------------------------------------------------------------------------
    def score(self, member):
        return peek(self.scores, member)

    def has_member(self, member):
        return member in self.scores

    def insert(self, member, score):
        if self.listpack and score == 0:
            score = 0.0          # a listpack keeps "-0" as the integer 0
        self.scores[member] = score
        self.order.add((score, member))
        self._scan = None

    def _move(self, member, old, new):
        if self.listpack and new == 0:
            new = 0.0
        self.order.remove((old, member))
        self.order.add((new, member))
        self.scores[member] = new

    def remove_member(self, member):
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        self._scan = None
        if self.member_expires is not None:
            self.member_expires.discard(member)
        return True

    def add(self, member, score, flags=0, max_entries=INF, max_value=INF):
        """ZADD for one pair: (outcome, resulting score or None when SKIPPED). A new
        member past the listpack limits turns the encoding to skiplist first."""
        current = peek(self.scores, member)
        if current is None:
            if flags & XX:
                return SKIPPED, None
            if self.listpack and (len(self.scores) >= max_entries or len(member) > max_value):
                self.listpack = False
            self.insert(member, score)
            return ADDED, score
        if flags & NX:
            return SKIPPED, None
        if flags & INCR:
            score += current
            if score != score:
                raise NotANumber(member)
        if (flags & LT and score >= current) or (flags & GT and score <= current):
            return SKIPPED, None
        if score != current:
            self._move(member, current, score)
            return UPDATED, score
        return UNCHANGED, score

    # -- order --------------------------------------------------------------------------
    def rank(self, member):
        score = peek(self.scores, member)
        return None if score is None else self.order.bisect_left((score, member))

    def entry(self, index):
        return self.order[index]

    def entries(self, lo, hi, reverse=False):
        if lo >= hi:
            return []
        if reverse:
            return list(self.order.islice(lo, hi, reverse=True))
        return self.order[lo:hi]

    def pairs(self):
        for score, member in self.order:
            yield member, score

    def score_span(self, lo_score, lo_ex, hi_score, hi_ex):
        """Index span of the entries with lo_score <(=) score <(=) hi_score."""
        order, n = self.order, len(self.order)
        if lo_ex:
            lo = n if lo_score == INF else order.bisect_left((math.nextafter(lo_score, INF), b""))
        else:
            lo = order.bisect_left((lo_score, b""))
        if hi_ex:
            hi = order.bisect_left((hi_score, b""))
        else:
            hi = n if hi_score == INF else order.bisect_left((math.nextafter(hi_score, INF), b""))
        return lo, max(lo, hi)

    def lex_span(self, lo, lo_ex, hi, hi_ex):
        """Index span of a lex range (ZLEXCOUNT, ZREMRANGEBYLEX): a bisection when one
        score runs throughout, else Redis's listpack walk: the first member in range
        and the run of members after it that stay below the upper bound."""
        order, n = self.order, len(self.order)
        if not n or not _lex_ordered(lo, lo_ex, hi, hi_ex):
            return 0, 0
        if order[0][0] == order[-1][0]:
            return self._lex_bisect(order[0][0], lo, lo_ex, hi, hi_ex)
        first = self._lex_start(lo, lo_ex, hi, hi_ex, False)
        if first is None:
            return 0, 0
        below = _lex_below(hi, hi_ex)
        end = first + 1
        while end < n and below(order[end][1]):
            end += 1
        return first, end

    def lex_entries(self, lo, lo_ex, hi, hi_ex, reverse=False, offset=0, limit=-1):
        """ZRANGE BYLEX: the entries in range, in direction, after offset, at most limit
        (negative: no limit); Redis's walk when scores differ."""
        order, n = self.order, len(self.order)
        if not n or not _lex_ordered(lo, lo_ex, hi, hi_ex):
            return []
        if order[0][0] == order[-1][0]:
            start, end = self._lex_bisect(order[0][0], lo, lo_ex, hi, hi_ex)
            return self.span_entries(start, end, reverse, offset, limit)
        i = self._lex_start(lo, lo_ex, hi, hi_ex, reverse)
        if i is None or offset < 0:
            return []
        step = -1 if reverse else 1
        inside = _lex_above(lo, lo_ex) if reverse else _lex_below(hi, hi_ex)
        i += step * offset
        out = []
        while 0 <= i < n and limit != 0 and inside(order[i][1]):
            out.append(order[i])
            limit -= 1
            i += step
        return out

    def _lex_start(self, lo, lo_ex, hi, hi_ex, reverse):
        """Redis's zzlFirstInLexRange / zzlLastInLexRange: an index or None."""
        order, n = self.order, len(self.order)
        above, below = _lex_above(lo, lo_ex), _lex_below(hi, hi_ex)
        if not above(order[-1][1]) or not below(order[0][1]):
            return None
        if reverse:
            i = next((i for i in range(n - 1, -1, -1) if below(order[i][1])), None)
            return i if i is not None and above(order[i][1]) else None
        i = next((i for i in range(n) if above(order[i][1])), None)
        return i if i is not None and below(order[i][1]) else None

    def _lex_bisect(self, score, lo, lo_ex, hi, hi_ex):
        order, n = self.order, len(self.order)
        if lo is LEX_MIN:
            start = 0
        elif lo is LEX_MAX:
            start = n
        else:
            start = (order.bisect_right if lo_ex else order.bisect_left)((score, lo))
        if hi is LEX_MAX:
            end = n
        elif hi is LEX_MIN:
            end = 0
        else:
            end = (order.bisect_left if hi_ex else order.bisect_right)((score, hi))
        return start, max(start, end)

    def span_entries(self, lo, hi, reverse=False, offset=0, limit=-1):
        """Entries of index span [lo, hi) in direction, skipping offset (negative:
        nothing) and keeping at most limit (negative: all)."""
        if offset < 0:
            return []
        if reverse:
            end = hi - offset
            start = lo if limit < 0 else max(lo, end - limit)
            return self.entries(start, end, reverse=True)
        start = lo + offset
        end = hi if limit < 0 else min(hi, start + limit)
        return self.entries(start, end)

    def delete_span(self, lo, hi):
        if lo >= hi:
            return 0
        scores, expires = self.scores, self.member_expires
        for _score, member in self.order.islice(lo, hi):
            del scores[member]
            if expires is not None:
                expires.discard(member)
        del self.order[lo:hi]
        self._scan = None
        return hi - lo

    def pop(self, count, from_min=True):
        n = min(count, len(self.order))
        if n <= 0:
            return []
        if n == 1:
            entry = self.order.pop(0 if from_min else -1)
            del self.scores[entry[1]]
            self._scan = None
            if self.member_expires is not None:
                self.member_expires.discard(entry[1])
            return [entry]
        if from_min:
            out = self.order[:n]
            self.delete_span(0, n)
        else:
            size = len(self.order)
            out = self.order[size - n:]
            out.reverse()
            self.delete_span(size - n, size)
        return out

    # -- randomness ---------------------------------------------------------------------
    def sample(self, count, unique):
        """ZRANDMEMBER: count entries, repeats allowed unless unique; a unique count
        that covers the set returns it whole, highest first (Redis iterates from the
        tail)."""
        order, n = self.order, len(self.order)
        if not n or count <= 0:
            return []
        if not unique:
            pick = random.randrange
            return [order[pick(n)] for _ in range(count)]
        if count >= n:
            return list(reversed(order))
        return [order[i] for i in random.sample(range(n), count)]

    # -- SCAN ---------------------------------------------------------------------------
    def scan(self, cursor, count):
        """One ZSCAN step over hash buckets of a table sized like Redis's dict."""
        mask, buckets = self._scan_buckets()
        out = []
        budget = count * 10
        while True:
            for member in peek(buckets, cursor & mask, ()):
                out.append((member, self.scores[member]))
            cursor = _next_cursor(cursor, mask)
            budget -= 1
            if cursor == 0 or len(out) >= count or budget <= 0:
                return cursor, out

    def _scan_buckets(self):
        if self._scan is None:
            size = 4
            while size < len(self.scores):
                size <<= 1
            mask = size - 1
            buckets = {}
            for member in self.scores:
                buckets.setdefault(hash(member) & mask, []).append(member)
            self._scan = (mask, buckets)
        return self._scan


def _next_cursor(cursor, mask):
    """Redis's reverse-binary cursor increment (dictScan)."""
    v = (cursor | (~mask & _U64)) & _U64
    v = _reverse64(v)
    v = (v + 1) & _U64
    return _reverse64(v)


def _reverse64(v):
    return int(f"{v:064b}"[::-1], 2)


def _lex_cmp(a, b):
    """Redis's sdscmplex: LEX_MIN / LEX_MAX sort below / above every member."""
    if a is b:
        return 0
    if a is LEX_MIN or b is LEX_MAX:
        return -1
    if a is LEX_MAX or b is LEX_MIN:
        return 1
    return (a > b) - (a < b)


def _lex_ordered(lo, lo_ex, hi, hi_ex):
    """False for ranges that are empty whatever the members (min above max, ...)."""
    cmp = _lex_cmp(lo, hi)
    return cmp < 0 or (cmp == 0 and not lo_ex and not hi_ex)


def _lex_above(bound, exclusive):
    if exclusive:
        return lambda member: _lex_cmp(member, bound) > 0
    return lambda member: _lex_cmp(member, bound) >= 0


def _lex_below(bound, exclusive):
    if exclusive:
        return lambda member: _lex_cmp(member, bound) < 0
    return lambda member: _lex_cmp(member, bound) <= 0


# -- set algebra ----------------------------------------------------------------------------
def _aggregate(aggregate):
    if aggregate == "sum":
        def combine(a, b):
            total = a + b
            return 0.0 if total != total else total
    elif aggregate == "min":
        def combine(a, b):
            return b if b < a else a
    else:
        def combine(a, b):
            return b if b > a else a
    return combine


def _weighted(score, weight):
    value = score * weight
    return 0.0 if value != value else value


def _by_size(sources, weights):
    return sorted(zip(sources, weights), key=lambda sw: len(sw[0]))


def union(sources, weights, aggregate="sum"):
    combine = _aggregate(aggregate)
    acc = {}
    for src, weight in _by_size(sources, weights):
        for member, score in src.pairs():
            value = _weighted(score, weight)
            old = peek(acc, member)
            acc[member] = value if old is None else combine(old, value)
    return acc


def _inter_scan(sources, weights, aggregate):
    """Yield (member, score) of the members present in every source."""
    ordered = _by_size(sources, weights)
    first, w0 = ordered[0]
    if not len(first):
        return
    combine = _aggregate(aggregate)
    rest = ordered[1:]
    for member, score in first.pairs():
        total = _weighted(score, w0)
        for src, weight in rest:
            value = score if src is first else src.score(member)
            if value is None:
                break
            total = combine(total, value * weight)
        else:
            yield member, total


def inter(sources, weights, aggregate="sum"):
    return dict(_inter_scan(sources, weights, aggregate))


def inter_card(sources, limit=0):
    count = 0
    for _ in _inter_scan(sources, [1.0] * len(sources), "sum"):
        count += 1
        if limit and count >= limit:
            break
    return count


def diff(sources):
    first, rest = sources[0], [s for s in sources[1:] if len(s)]
    return {m: s for m, s in first.pairs()
            if not any(src.score(m) is not None for src in rest)}


register_type(ZSetValue, "zset")
register_member_expiry(ZSetValue, b"ZREM", "z", "zrem")
register_encoding(ZSetValue, lambda value, config: "listpack" if value.listpack else "skiplist")
