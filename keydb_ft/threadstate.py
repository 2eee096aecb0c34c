"""Per-thread state without threading.local.

In CPython 3.13's free-threaded build every attribute access on a threading.local object
takes that object's mutex. Loop threads touching one shared threading.local on every
command contend on it, and a waiter spins with sched_yield while the holder is
preempted: measured with strace under redis-benchmark, 960,000 sched_yield calls for
100,000 SETs with two loop threads. A plain dict keyed by thread id is read without a
lock, and each value is only ever used by its own thread.
"""

from threading import get_ident


class PerThread:
    """One value per thread, created by factory() on first use."""

    __slots__ = ("slots", "factory")

    def __init__(self, factory):
        self.slots = {}
        self.factory = factory

    def get(self):
        ident = get_ident()
        value = self.slots.get(ident)
        if value is None:
            value = self.slots[ident] = self.factory()
        return value

    def set(self, value):
        self.slots[get_ident()] = value


def peek(d, key, default=None):
    """d.get(key, default), without dict.get.

    In CPython 3.13's free-threaded build, dict.get on a value created by another thread
    that is still alive (and that no other thread holds a reference to) falls into a
    re-entrant lock on the dict: measured 19-25 us per call against 0.2 us for d[key].
    Keys and values in the keyspace, in data-type internals and in module tables all
    come from other threads, so code that may run on a loop thread looks them up with
    d[key] (this, or `d[key] if key in d else None` under the lock that guards d)."""
    try:
        return d[key]
    except KeyError:
        return default


def settle_dirty(c, stats, dirty):
    """After a command: where its handler said how many changes Redis counts for it
    (c.dirty_as: fields set, elements pushed or removed, one for a SET with a TTL or a
    RENAME), that replaces what its Database calls counted since dirty. The count is
    rdb_changes_since_last_save and what the save points compare."""
    n = c.dirty_as
    c.dirty_as = None
    stats.dirty = dirty + n
