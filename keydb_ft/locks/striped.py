"""Key locks. A key's stripe is hash(key) & (STRIPES - 1), the same index that picks the
key's sub-dictionary in every database, so one stripe lock guards a slice of every db.

One stripe: taken directly. Several: the global key lock is held only while taking them
in ascending order, then released; so multi-key commands never deadlock and single-key
commands never wait on the global lock. Whole-keyspace work takes every stripe.
"""

from .ranks import LEAF, RankedLock

# 256: a stripe index, hash(key) & MASK, is then one of the interpreter's cached small
# ints (no int made per command), and the per-stripe dicts and locks every command
# indexes are a quarter as many to keep in cache. In-process over 100,000 keys the
# median GET hit was 3-15% lower than with 1,024 in five series, SET 4-6%
# (perf/README.md); two loops collide on a stripe once in 256 commands, for the few
# hundred ns a lane holds it.
STRIPES = 256
MASK = STRIPES - 1
STRIPE_BITS = STRIPES.bit_length() - 1


def stripe_of(key):
    return hash(key) & MASK


class KeyLocks:
    # slots: run_batch reads `snapshot` per command
    __slots__ = ("global_lock", "stripes", "all", "snapshot")

    def __init__(self):
        self.global_lock = RankedLock(0, "global-key-lock")
        # a tuple: indexing a list another thread created takes the list's lock in the
        # free-threaded interpreter (see docs/architecture.md)
        self.stripes = tuple(RankedLock(i + 1, f"stripe-{i}") for i in range(STRIPES))
        self.all = tuple(range(STRIPES))
        self.snapshot = None    # persistence/snapshot.py: captures a stripe on first take

    def stripes_for(self, keys):
        """Sorted, distinct stripe indexes of keys."""
        if len(keys) == 1:
            return (hash(keys[0]) & MASK,)
        return sorted({hash(k) & MASK for k in keys})

    def acquire(self, indexes):
        locks = self.stripes
        if not indexes:
            return
        if len(indexes) == 1:
            locks[indexes[0]].acquire()
        else:
            with self.global_lock:
                for i in indexes:
                    locks[i].acquire()
        # Read once: the snapshot's walker sets it to None when it is done, and a second
        # read could then call None.touch with the stripes held, leaking them.
        snapshot = self.snapshot
        if snapshot is not None:
            snapshot.touch(indexes)

    def release(self, indexes):
        locks = self.stripes
        for i in reversed(indexes):
            locks[i].release()

    def acquire_all(self):
        self.acquire(self.all)

    def release_all(self):
        self.release(self.all)


def leaf_lock(offset, name):
    """A leaf lock (pub/sub, blocking index, backlog, AOF buffer, ...): taken last."""
    return RankedLock(LEAF + offset, name)
