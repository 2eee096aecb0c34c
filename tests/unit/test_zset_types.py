"""types.zset on its own: spans against a brute-force model, the SCAN cursor guarantee
while the set grows and shrinks between calls, and ZADD's flag rules."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keydb_ft.types import zset as Z
from keydb_ft.types.zset import ZSetValue

_SCORES = st.sampled_from([-math.inf, -2.0, -0.0, 0.0, 0.5, 1.0, 1.0, 3.0, math.inf])
_MEMBERS = st.binary(max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_MEMBERS, _SCORES, max_size=30), _SCORES, st.booleans(), _SCORES,
       st.booleans())
def test_score_span_matches_brute_force(scores, lo, lo_ex, hi, hi_ex):
    z = ZSetValue.from_scores(dict(scores), listpack=False)
    start, end = z.score_span(lo, lo_ex, hi, hi_ex)
    expected = [e for e in sorted((s, m) for m, s in scores.items())
                if (e[0] > lo if lo_ex else e[0] >= lo) and (e[0] < hi if hi_ex else e[0] <= hi)]
    assert z.entries(start, end) == expected


_BOUNDS = st.one_of(st.just(Z.LEX_MIN), st.just(Z.LEX_MAX), _MEMBERS)


@settings(max_examples=200, deadline=None)
@given(st.sets(_MEMBERS, max_size=30), _BOUNDS, st.booleans(), _BOUNDS, st.booleans(),
       st.booleans(), st.integers(-1, 5), st.integers(-1, 5))
def test_lex_entries_with_one_score(members, lo, lo_ex, hi, hi_ex, reverse, offset, limit):
    z = ZSetValue.from_scores({m: 7.0 for m in members})

    def inside(m):
        above = lo is Z.LEX_MIN or (lo is not Z.LEX_MAX and (m > lo if lo_ex else m >= lo))
        below = hi is Z.LEX_MAX or (hi is not Z.LEX_MIN and (m < hi if hi_ex else m <= hi))
        return above and below

    run = [(7.0, m) for m in sorted(members, reverse=reverse) if inside(m)]
    expected = [] if offset < 0 else run[offset:][:limit if limit >= 0 else None]
    assert z.lex_entries(lo, lo_ex, hi, hi_ex, reverse, offset, limit) == expected
    start, end = z.lex_span(lo, lo_ex, hi, hi_ex)
    assert end - start == len(run)


@pytest.mark.parametrize("change", [+1, -1])
def test_scan_returns_members_present_throughout(change):
    z = ZSetValue(listpack=False)
    keep = [b"keep:%d" % i for i in range(300)]
    for i, m in enumerate(keep):
        z.insert(m, float(i))
    churn = [b"churn:%d" % i for i in range(2000)]
    if change < 0:
        for m in churn:
            z.insert(m, 0.0)
    seen, cursor, step = set(), 0, 0
    while True:
        cursor, items = z.scan(cursor, 7)
        seen.update(m for m, _ in items)
        batch = churn[step * 40:(step + 1) * 40]
        for m in batch:
            z.insert(m, 1.0) if change > 0 else z.remove_member(m)
        step += 1
        if cursor == 0 or step > 10000:
            break
    assert cursor == 0
    assert set(keep) <= seen


def test_zadd_flag_rules():
    z = ZSetValue()
    assert z.add(b"a", 1.0) == (Z.ADDED, 1.0)
    assert z.add(b"a", 1.0) == (Z.UNCHANGED, 1.0)
    assert z.add(b"a", 0.5, Z.GT) == (Z.SKIPPED, None)
    assert z.add(b"a", 2.0, Z.GT) == (Z.UPDATED, 2.0)
    assert z.add(b"a", 2.0, Z.LT | Z.INCR) == (Z.SKIPPED, None)
    assert z.add(b"b", 5.0, Z.XX) == (Z.SKIPPED, None)
    assert z.add(b"a", 9.0, Z.NX) == (Z.SKIPPED, None)
    z.add(b"i", math.inf)
    with pytest.raises(Z.NotANumber):
        z.add(b"i", -math.inf, Z.INCR)
    assert list(z.pairs()) == [(b"a", 2.0), (b"i", math.inf)]


def test_listpack_limits_and_negative_zero():
    z = ZSetValue()
    z.add(b"a", -0.0, 0, 2, 3)
    assert math.copysign(1, z.score(b"a")) > 0 and z.listpack
    z.add(b"b", 1.0, 0, 2, 3)
    z.add(b"c", -0.0, 0, 2, 3)
    assert not z.listpack and math.copysign(1, z.score(b"c")) < 0
    assert not ZSetValue.from_pairs([(b"long", 1.0)]).fit(5, 3).listpack
    small = ZSetValue.from_pairs([(b"x", -0.0)], listpack=False).fit(5, 3)
    assert small.listpack and math.copysign(1, small.score(b"x")) > 0
