"""Unit tests of the pure hash / set / member-expiry types (no server)."""

import random

from keydb_ft.types import copy_value, encoding_of, type_name
from keydb_ft.types.hash import HashValue
from keydb_ft.types.member_expiry import (EXPIRING, MemberExpiry, member_expire,
                                          persist_member, set_member_expire)
from keydb_ft.types.set import Picker, ScanOrder, SetValue, is_int_member, scan_page


def test_member_expiry_heap_follows_changes():
    me = MemberExpiry()
    me.set(b"a", 30)
    me.set(b"b", 10)
    me.set(b"c", 20)
    me.set(b"b", 40)                      # moved later: the old heap entry is stale
    assert me.next_due() == 20
    assert me.discard(b"c") and not me.discard(b"c")
    assert me.next_due() == 30
    assert me.pop_due(35) == [b"a"]
    assert me.pop_due(35) == [] and len(me) == 1 and me.get(b"b") == 40
    me.set(b"b", 40)                      # same time twice: popped once
    assert me.pop_due(100) == [b"b"] and me.next_due() is None


def test_member_expiry_compacts_and_copies():
    me = MemberExpiry()
    for i in range(1000):
        me.set(b"m", i)
    assert len(me.heap) <= 2 * len(me) + 33
    copy = me.copy()
    copy.set(b"x", 5)
    assert me.get(b"x") is None and copy.pop_due(10) == [b"x"]
    assert copy.pop_due(10 ** 6) == [b"m"]


def test_is_int_member_is_string2ll():
    good = [b"0", b"1", b"-1", b"9223372036854775807", b"-9223372036854775808", b"123"]
    bad = [b"", b"-", b"01", b"-0", b"+1", b" 1", b"1 ", b"9223372036854775808",
           b"-9223372036854775809", b"1.0", b"\xd9\xa1", b"a"]
    assert all(map(is_int_member, good))
    assert not any(map(is_int_member, bad))


def test_set_encoding_is_one_way_until_rebuilt():
    s = SetValue()
    assert s.add_members([b"3", b"1", b"2"], 512) == 3
    assert encoding_of(s, None) == "intset" and s.ordered() == [b"1", b"2", b"3"]
    s.add_members([b"x"], 512)
    s.remove_member(b"x")
    assert encoding_of(s, None) == "hashtable"
    s.reencode(512)
    assert encoding_of(s, None) == "intset"
    s.add_members([b"4", b"5"], 4)
    assert encoding_of(s, None) == "hashtable" and type_name(s) == "set"


def test_hash_fields_and_ttls():
    h = HashValue()
    assert h.set_field(b"a", b"1") and not h.set_field(b"a", b"2")
    set_member_expire(h, b"a", 100)
    h.set_field(b"a", b"3", keep_ttl=True)
    assert member_expire(h, b"a") == 100
    h.set_field(b"a", b"4")
    assert member_expire(h, b"a") is None
    set_member_expire(h, b"a", 100)
    assert h.remove_member(b"a") and not h.remove_member(b"a")
    assert not h.member_expires and not persist_member(h, b"a")
    h.fit(512, 64, [b"x" * 65])
    assert encoding_of(h, None) == "hashtable" and type_name(h) == "hash"
    assert HashValue in EXPIRING and SetValue in EXPIRING


def test_copy_keeps_encoding_and_member_ttls():
    h = HashValue({b"f": b"v"})
    h.listpack = False
    set_member_expire(h, b"f", 50)
    c = copy_value(h)
    assert type(c) is HashValue and c == h and not c.listpack and member_expire(c, b"f") == 50
    persist_member(c, b"f")
    assert member_expire(h, b"f") == 50
    s = SetValue([b"a"])
    s.intset = False
    assert type(copy_value(s)) is SetValue and not copy_value(s).intset


def test_picker_is_uniform_enough_and_skips_removed():
    s = SetValue(b"m%d" % i for i in range(20))
    picker = Picker(s)
    for i in range(10):
        s.discard(b"m%d" % i)
    counts = {}
    for _ in range(4000):
        _, m = picker.pick(s)
        counts[m] = counts.get(m, 0) + 1
    assert set(counts) == set(s)
    assert min(counts.values()) > 250 and len(picker.items) == 10


def test_pop_random_empties_the_set():
    s = SetValue(b"%d" % i for i in range(100))
    popped = [s.pop_random() for _ in range(100)]
    assert sorted(popped) == sorted(b"%d" % i for i in range(100)) and not s


def test_scan_order_never_splits_equal_hashes():
    members = [b"m%d" % i for i in range(10)]
    order = ScanOrder(members)
    order.hashes = [5, 5, 5, 7, 7, 9, 9, 9, 9, 11]
    order.members = members
    cursor, seen, calls = 0, [], 0
    while True:
        cursor, page = order.page(set(members), cursor, 1)
        seen += page
        calls += 1
        if cursor == 0:
            break
    assert seen == members and calls == 4


def test_scan_page_returns_members_present_throughout():
    rng = random.Random(7)
    s = SetValue(b"k%d" % i for i in range(2000))
    s.intset = False
    seen, cursor = set(), 0
    for step in range(10_000):
        cursor, page = scan_page(s, cursor, 7)
        seen.update(page)
        s.add(b"new%d" % step)
        s.discard(b"k%d" % rng.randrange(1000, 2000))
        if cursor == 0:
            break
    assert cursor == 0
    assert {b"k%d" % i for i in range(1000)} <= seen
