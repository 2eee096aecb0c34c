"""types.list.ListValue against naive models of Redis's list semantics."""

from hypothesis import given
from hypothesis import strategies as st

from keydb_ft.types import copy_value, encoding_of, type_name
from keydb_ft.types.list import ListValue

ITEMS = st.lists(st.sampled_from([b"a", b"b", b"c"]), max_size=40)
INDEX = st.integers(-50, 50)


def model_range(items, start, stop):
    n = len(items)
    start = max(start + n if start < 0 else start, 0)
    stop = stop + n if stop < 0 else stop
    return items[start:stop + 1] if start <= stop else []


@given(ITEMS, INDEX, INDEX)
def test_range_and_trim(items, start, stop):
    value = ListValue(items)
    expected = model_range(items, start, stop)
    assert value.range(start, stop) == expected
    assert value.trim(start, stop) == len(items) - len(expected)
    assert list(value) == expected


@given(ITEMS, INDEX)
def test_get_and_replace(items, index):
    value = ListValue(items)
    inside = -len(items) <= index < len(items)
    assert value.get(index) == (items[index] if inside else None)
    assert value.replace(index, b"new") is inside
    if inside:
        items[index] = b"new"
    assert list(value) == items


@given(ITEMS, st.integers(-5, 5))
def test_remove_value(items, count):
    value = ListValue(items)
    order = list(range(len(items))) if count >= 0 else list(range(len(items)))[::-1]
    hits = [i for i in order if items[i] == b"a"][:abs(count) or None]
    assert value.remove_value(b"a", count) == len(hits)
    assert list(value) == [x for i, x in enumerate(items) if i not in hits]


@given(ITEMS, st.integers(-6, 6).filter(bool), st.integers(0, 4), st.integers(0, 10))
def test_positions(items, rank, count, maxlen):
    value = ListValue(items)
    n = len(items)
    scan = list(range(n)) if rank > 0 else list(range(n))[::-1]
    if maxlen:
        scan = scan[:maxlen]
    matches = [i for i in scan if items[i] == b"b"][abs(rank) - 1:]
    assert value.positions(b"b", rank, count, maxlen) == (matches[:count] if count else matches)


@given(ITEMS, st.integers(0, 50), st.booleans())
def test_push_pop_insert(items, count, left):
    value = ListValue()
    assert value.push(items, left) == len(items)
    assert list(value) == (items[::-1] if left else items)
    popped = value.pop_many(count, left)
    assert len(popped) == min(count, len(items))
    value = ListValue(items)
    found = b"c" in items
    at = items.index(b"c") if found else -1
    assert value.insert_at(b"c", b"x", left) == (len(items) + 1 if found else -1)
    if found:
        items.insert(at + 1 if left else at, b"x")
    assert list(value) == items


def test_type_encoding_and_copy():
    value = ListValue([b"a"])
    twin = copy_value(value)
    twin.append(b"b")
    assert type(twin) is ListValue and list(value) == [b"a"]
    assert type_name(value) == "list"
    assert encoding_of(value, None) == "quicklist"
