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
