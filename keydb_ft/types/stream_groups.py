"""Consumer groups of a stream (Redis 7.0): last delivered ID, entries_read, the pending
entries list (PEL) and consumers.

A Group's PEL is a dict ID -> Nack plus the sorted list of its IDs (XPENDING, XAUTOCLAIM
and XINFO walk it in ID order from a start ID; deliveries are mostly appended at the
end). A Consumer owns a dict ID -> Nack of its share, sorted only when it is walked
(history reads, XPENDING of one consumer, XINFO FULL). A Nack is shared by the group's
and the consumer's PEL, as in Redis. Consumers carry seen_time only: 7.0 has no
active_time. Groups and consumers are listed in byte order of their names (Redis keeps
them in radix trees).

entries_read / lag follow t_stream.c: the read counter stays exact while reads move past
no tombstone, and is estimated from the stream's counters otherwise (or unknown, -1).
"""

from bisect import bisect_left, bisect_right, insort

from .stream import MAX_ID
from ..threadstate import peek

INVALID_READ = -1               # SCG_INVALID_ENTRIES_READ


class Nack:
    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer, now):
        self.consumer = consumer
        self.delivery_time = now
        self.delivery_count = 1


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name, now):
        self.name = name
        self.seen_time = now
        self.pel = {}

    def pending_ids(self, start=0, end=MAX_ID):
        return sorted(sid for sid in self.pel if start <= sid <= end)


class Group:
    __slots__ = ("last_id", "entries_read", "pel", "pel_ids", "consumers")

    def __init__(self, last_id, entries_read=INVALID_READ):
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel = {}
        self.pel_ids = []
        self.consumers = {}

    # -- consumers ----------------------------------------------------------------------
    def consumer(self, name, now, create=True):
        """(consumer, created): looked up with its seen-time refreshed, or created."""
        consumer = peek(self.consumers, name)
        if consumer is not None:
            consumer.seen_time = now
            return consumer, False
        if not create:
            return None, False
        consumer = self.consumers[name] = Consumer(name, now)
        return consumer, True

    def delete_consumer(self, name):
        """Remove a consumer and its pending entries; returns how many it had, or None."""
        consumer = self.consumers.pop(name, None)
        if consumer is None:
            return None
        mine = consumer.pel
        if mine:
            pel = self.pel
            for sid in mine:
                del pel[sid]
            self.pel_ids = [sid for sid in self.pel_ids if sid not in mine]
        return len(mine)

    def sorted_consumers(self):
        return [self.consumers[name] for name in sorted(self.consumers)]

    # -- the PEL ------------------------------------------------------------------------
    def _pel_remove(self, sid):
        del self.pel[sid]
        ids = self.pel_ids
        del ids[bisect_left(ids, sid)]

    def _pel_add(self, sid, nack):
        self.pel[sid] = nack
        ids = self.pel_ids
        if not ids or sid > ids[-1]:
            ids.append(sid)
        else:
            insort(ids, sid)

    def ack(self, sid):
        nack = peek(self.pel, sid)
        if nack is None:
            return False
        self._pel_remove(sid)
        del nack.consumer.pel[sid]
        return True

    def assign(self, sid, consumer, now):
        """Deliver sid to consumer: a new Nack, or an existing one moved and reset."""
        nack = peek(self.pel, sid)
        if nack is None:
            nack = Nack(consumer, now)
            self._pel_add(sid, nack)
        else:
            del nack.consumer.pel[sid]
            nack.consumer = consumer
            nack.delivery_time = now
            nack.delivery_count = 1
        consumer.pel[sid] = nack
        return nack

    def claim(self, sid, nack, consumer):
        """Move an existing (or forced, consumer None) Nack to consumer."""
        if nack.consumer is not consumer:
            if nack.consumer is not None:
                del nack.consumer.pel[sid]
            consumer.pel[sid] = nack
            nack.consumer = consumer

    def force_nack(self, sid, now):
        """XCLAIM FORCE: a PEL entry with no owner yet (claim() gives it one)."""
        nack = Nack(None, now)
        self._pel_add(sid, nack)
        return nack

    def load_pending(self, sid, consumer_name, delivery_time, delivery_count, seen_time=0):
        """RDB loading: a PEL entry owned by consumer_name (created if needed)."""
        consumer = peek(self.consumers, consumer_name)
        if consumer is None:
            consumer = self.consumers[consumer_name] = Consumer(consumer_name, seen_time)
        nack = Nack(consumer, delivery_time)
        nack.delivery_count = delivery_count
        self._pel_add(sid, nack)
        consumer.pel[sid] = nack
        return nack

    def pel_range(self, start, end):
        """Group PEL IDs in [start, end], ascending, produced lazily (XPENDING stops at
        its COUNT)."""
        ids = self.pel_ids
        for i in range(bisect_left(ids, start), bisect_right(ids, end)):
            yield ids[i]

    def pel_from(self, start):
        ids = self.pel_ids
        return ids, bisect_left(ids, start)

    # -- reading new entries ------------------------------------------------------------
    def advance(self, stream, sid):
        """The group's last ID moves to sid (delivered for the first time)."""
        if self.entries_read != INVALID_READ and not has_tombstones(stream, sid):
            self.entries_read += 1
        elif stream.entries_added:
            self.entries_read = estimate_read(stream, sid)
        self.last_id = sid

    def copy(self):
        new = Group(self.last_id, self.entries_read)
        for name, old in self.consumers.items():
            new.consumers[name] = Consumer(name, old.seen_time)
        for sid in self.pel_ids:
            old = self.pel[sid]
            owner = new.consumers[old.consumer.name]
            nack = Nack(owner, old.delivery_time)
            nack.delivery_count = old.delivery_count
            new.pel[sid] = owner.pel[sid] = nack
        new.pel_ids = self.pel_ids[:]
        return new


def has_tombstones(stream, start, end=MAX_ID):
    """streamRangeHasTombstones: may [start, end] hold a deleted entry?"""
    deleted = stream.max_deleted
    if not stream.ids or not deleted or stream.first_id > deleted:
        return False
    return start <= deleted <= end


def estimate_read(stream, sid):
    """streamEstimateDistanceFromFirstEverEntry: the read counter of sid, or -1."""
    added = stream.entries_added
    if not added:
        return 0
    last = stream.last_id
    length = len(stream.ids)
    if not length and sid <= last:
        return added
    if sid == last:
        return added
    if sid > last:
        return INVALID_READ
    deleted = stream.max_deleted
    if not deleted or deleted < stream.first_id:
        if sid < stream.first_id:
            return added - length
        if sid == stream.first_id:
            return added - length + 1
    return INVALID_READ


def lag(stream, group):
    """streamReplyWithCGLag: entries not yet delivered to the group, or None."""
    if not stream.entries_added:
        return 0
    if group.entries_read != INVALID_READ and not has_tombstones(stream, group.last_id):
        return stream.entries_added - group.entries_read
    read = estimate_read(stream, group.last_id)
    return None if read == INVALID_READ else stream.entries_added - read
