"""Member expiry: the absolute expiry times (unix ms) of a container's members, as KeyDB's
EXPIREMEMBER and Redis 7.4's HEXPIRE keep them for hash fields, set members and sorted-set
members. Pure data: the keyspace side (lazy and active purging, the index of keys having
member expiry) lives in db/member_expiry.py.

A container class takes part by following this protocol and registering itself:

    value.member_expires   None, or a MemberExpiry; an instance attribute that is None
                           in a new value (a slot initialised in __init__)
    value.has_member(m)    -> bool
    value.remove_member(m) -> bool: removes m and forgets its expiry
    len(value)             an emptied container is deleted together with its key
    value.copy()           copies member_expires (COPY keeps member TTLs)

    register_member_expiry(cls, b"HDEL", "h", "hexpired")

The registration names the command that propagates an expired member's removal and the
keyspace event (type class, name) it fires.
"""

import heapq
from ..threadstate import peek

EXPIRING = {}     # container class -> (removal command, event type class, event name)


def register_member_expiry(cls, command, type_class, event):
    EXPIRING[cls] = (command, type_class, event)
    return cls


class MemberExpiry:
    """member -> absolute expiry (ms), plus a lazy min-heap of (when, member): an entry of
    the heap is live while `when` still is the member's time, so changing or forgetting an
    expiry is O(1) and the next due member is found in O(log n)."""

    __slots__ = ("when", "heap")

    def __init__(self):
        self.when = {}
        self.heap = []

    def __len__(self):
        return len(self.when)

    def get(self, member):
        return peek(self.when, member)

    def set(self, member, when_ms):
        self.when[member] = when_ms
        heap = self.heap
        heapq.heappush(heap, (when_ms, member))
        if len(heap) > 2 * len(self.when) + 32:
            self._compact()

    def discard(self, member):
        return self.when.pop(member, None) is not None

    def next_due(self):
        """The earliest expiry time, or None."""
        heap, when = self.heap, self.when
        while heap:
            ms, member = heap[0]
            if peek(when, member) == ms:
                return ms
            heapq.heappop(heap)
        return None

    def pop_due(self, now_ms):
        """Forget and return the members whose time is <= now_ms, earliest first."""
        heap, when = self.heap, self.when
        due = []
        while heap and heap[0][0] <= now_ms:
            ms, member = heapq.heappop(heap)
            if peek(when, member) == ms:
                del when[member]
                due.append(member)
        return due

    def copy(self):
        new = MemberExpiry()
        new.when = dict(self.when)
        new.heap = [(ms, m) for m, ms in new.when.items()]
        heapq.heapify(new.heap)
        return new

    def _compact(self):
        self.heap = [(ms, m) for m, ms in self.when.items()]
        heapq.heapify(self.heap)


def set_member_expire(value, member, when_ms):
    """Give member of value an absolute expiry time."""
    expires = value.member_expires
    if expires is None:
        expires = value.member_expires = MemberExpiry()
    expires.set(member, when_ms)


def member_expire(value, member):
    """The member's absolute expiry time in ms, or None."""
    expires = value.member_expires
    return None if expires is None else expires.get(member)     # MemberExpiry.get


def persist_member(value, member):
    """Forget the member's expiry; True if it had one."""
    expires = value.member_expires
    return expires is not None and expires.discard(member)


def copy_expires(expires):
    return None if not expires else expires.copy()
