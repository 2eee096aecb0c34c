"""Lock-rank assertions: every lock has a rank, and a thread may only take a lock whose
rank is higher than every rank it already holds (the house lock order). Enabled with
KEYDB_FT_LOCK_RANKS=1 (the test suite does); otherwise RankedLock is a plain Lock.

Ranks: 0 global key lock, 1..STRIPES stripes ascending, then leaf locks from LEAF up.
"""

import os
import threading

LEAF = 1 << 20
_ENABLED = os.environ.get("KEYDB_FT_LOCK_RANKS", "") not in ("", "0", "no")
_held = threading.local()


def ranks_enabled():
    return _ENABLED


class LockOrderError(AssertionError):
    pass


class _CheckedLock:
    """A Lock that asserts the rank order on acquire."""

    __slots__ = ("_lock", "rank", "name")

    def __init__(self, rank, name):
        self._lock = threading.Lock()
        self.rank = rank
        self.name = name

    def acquire(self, blocking=True, timeout=-1):
        stack = getattr(_held, "stack", None)
        if stack is None:
            stack = _held.stack = []
        # ascending acquisition keeps the stack sorted, so its top is the highest rank
        if stack and stack[-1] >= self.rank and blocking:
            raise LockOrderError(f"lock {self.name} (rank {self.rank}) taken while holding "
                                 f"rank {stack[-1]}")
        got = self._lock.acquire(blocking, timeout)
        if got:
            stack.append(self.rank)
        return got

    def release(self):
        stack = _held.stack
        if stack and stack[-1] == self.rank:
            stack.pop()
        else:
            stack.remove(self.rank)
        self._lock.release()

    def locked(self):
        return self._lock.locked()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()


def RankedLock(rank, name):
    """A lock with a place in the lock order; checked when ranks are enabled."""
    if _ENABLED:
        return _CheckedLock(rank, name)
    return threading.Lock()

