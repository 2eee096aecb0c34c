"""Lazy freeing: a removed value that takes many allocations to free is freed after the
command, not inside it: its stripes are released and the reply is sent first, and the
loop frees it at the end of that pass over its ready sockets (EventLoop.run).

Which removals go this way is Redis's rule: UNLINK always, DEL and GETDEL under
lazyfree-lazy-user-del, expiry under lazyfree-lazy-expire (which propagates UNLINK, as
Redis does). A value is deferred only when freeing it is more than THRESHOLD
allocations (free_effort, Redis's lazyfreeGetFreeEffort); a small one is freed at once,
and so is one removed by the cron, which has no pass to free it after. INFO shows lazyfree_pending_objects (deferred, not freed yet) and
lazyfreed_objects (freed so; CONFIG RESETSTAT zeroes it).

Redis frees on a background thread. Free-threaded CPython 3.13 cannot: an object is
owned by the thread that made it (biased reference counting), and when another thread
drops the last reference the owner is asked to free it, at its next check between
bytecodes. Dropping a 1.2M-member set so costs the dropping thread nothing and the
owner all of it (measured), so a freeing thread would only hand the work back to the
loops, at a moment they do not choose. The same holds for DEL from a loop other than
the one that made the value: the owner frees it.

FLUSHDB / FLUSHALL ASYNC empty in place as SYNC does. The database's stripe dicts are
fixed containers (db.data), which the loops hold across stripe locks, so they cannot
be swapped for empty ones as Redis swaps its tables; moving each stripe's entries into
a new dict to free later measured slower end to end than emptying in place (1M keys:
134 against 114 ms with every stripe held, then 80 ms more on one loop).
"""

import threading

from ..locks.striped import leaf_lock
from ..types.hash import HashValue
from ..types.list import ListValue
from ..types.set import SetValue
from ..types.stream import StreamValue
from ..types.zset import ZSetValue

THRESHOLD = 64              # Redis's LAZYFREE_THRESHOLD


def free_effort(value, config):
    """About how many allocations freeing value takes (lazyfreeGetFreeEffort): a list's
    quicklist nodes, a hash table's or skiplist's elements, a stream's macro nodes plus
    its groups times the first group's PEL; 1 for strings and compact encodings."""
    kind = type(value)
    if kind is ListValue:
        return _quicklist_nodes(value, config.list_max_listpack_size)
    if kind is SetValue:
        return 1 if value.intset else len(value)
    if kind is HashValue or kind is ZSetValue:
        return 1 if value.listpack else len(value)
    if kind is StreamValue:
        effort = len(value.nodes)
        groups = value.groups
        if groups:
            first = next(iter(groups.values()))
            effort += len(groups) * (1 + len(first.pel))
        return effort
    return 1


def _quicklist_nodes(value, fill):
    """How many quicklist nodes Redis would hold value in: fill elements a node when
    list-max-listpack-size is positive, else nodes of 4 << -fill KiB, sized by the
    first element (an estimate in constant time, as Redis's own count is)."""
    n = len(value)
    if not n:
        return 0
    if fill > 0:
        return -(-n // fill)
    per_node = max(1, (4096 << (-fill - 1)) // (len(value[0]) + 2))
    return -(-n // per_node)


class LazyFree:
    """Deferred frees of one keyspace. A thread that drains them (a loop) registers a
    batch; on any other thread (the cron, loading) a value is freed at once."""

    def __init__(self):
        self.local = threading.local()
        self.lock = leaf_lock(12, "lazyfree")
        self.pending = 0            # objects deferred and not freed yet
        self.freed = 0              # objects freed after their command (lazyfreed_objects)

    def batch(self):
        """The calling thread's list of deferred values, which it must drain()."""
        batch = self.local.batch = []
        return batch

    def free(self, obj, count=1):
        """Defer obj (whose last reference the caller gives up); count: the objects it
        holds, for the statistics."""
        batch = getattr(self.local, "batch", None)
        if batch is None:
            return
        with self.lock:
            self.pending += count
        batch.append((obj, count))

    def release(self, value, config):
        """The caller holds the last reference to value, which it removed from the
        keyspace: defer freeing it when that takes more than THRESHOLD allocations."""
        if free_effort(value, config) > THRESHOLD:
            self.free(value)

    def drain(self, batch):
        """Free what this thread deferred (its loop calls this between passes)."""
        count = sum(n for _, n in batch)
        batch.clear()               # the last references: the memory is freed here
        with self.lock:
            self.pending -= count
            self.freed += count

    def reset_stats(self):
        with self.lock:
            self.freed = 0
