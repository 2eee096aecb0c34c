"""The set type: a Python set of bytes members that remembers the encoding Redis 7.0 would
give it (intset while every member is an integer and there are at most
set-max-intset-entries of them, otherwise hashtable; the switch is one-way, as in Redis).

Also the two helpers sets and hashes share for iteration over big containers:
Picker (O(1) random members) and ScanOrder (HSCAN / SSCAN cursors).
"""

import bisect
import random

from . import register_encoding, register_type
from .member_expiry import copy_expires, register_member_expiry

INT64_MAX = (1 << 63) - 1
INTSET_HARD_LIMIT = 1 << 30


def is_int_member(raw):
    """True when Redis would store raw in an intset (string2ll: canonical int64 text)."""
    if raw.isdigit():
        return (raw[0] != 48 or len(raw) == 1) and (len(raw) < 19 or int(raw) <= INT64_MAX)
    return (raw[:1] == b"-" and raw[1:].isdigit() and raw[1] != 48
            and (len(raw) < 20 or int(raw[1:]) <= INT64_MAX + 1))


class Picker:
    """An array of a container's members for O(1) random picks. Invariant: it holds every
    current member (an added member is appended); members removed since are skipped and
    swept out when drawn, and the array is rebuilt once it is twice the container's size
    (a member removed and added again may be held twice until then)."""

    __slots__ = ("items",)

    def __init__(self, container):
        self.items = list(container)

    def pick(self, container):
        """(index, member) of a uniformly random member of the non-empty container."""
        items = self.items
        randbelow = random.randrange
        while True:
            i = randbelow(len(items))
            member = items[i]
            if member in container:
                return i, member
            self.drop(i)

    def drop(self, i):
        items = self.items
        last = items.pop()
        if i < len(items):
            items[i] = last


def note_added(container, members):
    """New members joined the container: its picker must hold them too."""
    picker = container.picker
    if picker is not None:
        picker.items.extend(members)


def picker_for(container):
    picker = container.picker
    if picker is None or len(picker.items) > 2 * len(container) + 16:
        picker = container.picker = Picker(container)
    return picker


def random_members(container, count, unique):
    """count random members (with repetitions unless unique; unique needs count < size)."""
    if unique and count * 3 > len(container):
        return random.sample(list(container), count)
    pick = picker_for(container).pick
    if not unique:
        return [pick(container)[1] for _ in range(count)]
    chosen = {}
    while len(chosen) < count:
        chosen[pick(container)[1]] = None
    return list(chosen)


def sample_members(container, count, everything):
    """HRANDFIELD / SRANDMEMBER with a count: -n is n picks with repetitions, n >= size is
    every member (everything() gives them in reply order), else n distinct members."""
    if count < 0:
        return random_members(container, -count, False)
    if count >= len(container):
        return everything()
    return random_members(container, count, count > 1)


class ScanOrder:
    """The members sorted by a 63-bit hash (+1, so no member maps to cursor 0). A cursor is
    the hash where the next call resumes; members sharing a hash are returned together, so
    a call never stops inside such a group and every member present throughout an
    iteration is returned. The order is built when an iteration starts (cursor 0) or when
    the container has none, and reused by later calls: members added since are not
    returned (allowed), members removed since are skipped."""

    __slots__ = ("hashes", "members")

    def __init__(self, container):
        pairs = sorted(((hash(m) & INT64_MAX) + 1, m) for m in container)
        self.hashes = [h for h, _ in pairs]
        self.members = [m for _, m in pairs]

    def page(self, container, cursor, count):
        hashes = self.hashes
        n = len(hashes)
        start = bisect.bisect_left(hashes, cursor)
        end = min(start + count, n)
        while start < end < n and hashes[end] == hashes[end - 1]:
            end += 1
        found = [m for m in self.members[start:end] if m in container]
        return (hashes[end] if end < n else 0), found


def scan_page(container, cursor, count):
    """(next cursor, members) of one HSCAN / SSCAN call over a hashtable container."""
    order = container.scan_cache
    if order is None or cursor == 0:
        order = container.scan_cache = ScanOrder(container)
    return order.page(container, cursor, count)


class SetValue(set):
    __slots__ = ("intset", "member_expires", "picker", "scan_cache")

    def __init__(self, members=()):
        set.__init__(self, members)
        self.intset = True
        self.member_expires = None
        self.picker = None
        self.scan_cache = None

    def copy(self):
        new = SetValue(self)
        new.intset = self.intset
        new.member_expires = copy_expires(self.member_expires)
        return new

    # -- encoding ----------------------------------------------------------------------
    def fit(self, max_intset, added=None):
        """After members were added: leave the intset encoding when Redis would (a
        non-integer member among `added`, default all, or too many members)."""
        if self.intset and (len(self) > min(max_intset, INTSET_HARD_LIMIT)
                            or not all(map(is_int_member, self if added is None else added))):
            self.intset = False

    def reencode(self, max_intset):
        """SPOP rebuilding the set from its remaining members picks the encoding anew."""
        self.intset = True
        self.fit(max_intset)

    def is_compact(self):
        return self.intset

    def ordered(self):
        """Members in the order Redis replies with them: ascending for an intset."""
        if self.intset:
            return sorted(self, key=int)
        return list(self)

    # -- members -----------------------------------------------------------------------
    def add_members(self, members, max_intset):
        fresh = [m for m in members if m not in self]
        if len(fresh) > 1:
            fresh = list(dict.fromkeys(fresh))
        if fresh:
            self.update(fresh)
            note_added(self, fresh)
            self.fit(max_intset, fresh)
        return len(fresh)

    def has_member(self, member):
        return member in self

    def remove_member(self, member):
        if member not in self:
            return False
        self.discard(member)
        expires = self.member_expires
        if expires is not None:
            expires.discard(member)
        return True

    def pop_random(self):
        picker = picker_for(self)
        i, member = picker.pick(self)
        picker.drop(i)
        self.remove_member(member)
        return member

    def random_member(self):
        return picker_for(self).pick(self)[1]


def _set_encoding(value, config):
    return "intset" if value.intset else "hashtable"


register_type(SetValue, "set")
register_encoding(SetValue, _set_encoding)
register_member_expiry(SetValue, b"SREM", "s", "srem")
