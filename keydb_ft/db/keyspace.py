"""Databases and the keyspace.

Discipline: a key's entry in db.data[i] / db.expires[i] (i = its stripe) is read and
written only by a thread that holds stripe lock i (locks.KeyLocks). The Keyspace's
watch table is guarded by watch_lock (a leaf lock). Hot counters (dirty, expired keys)
are per thread: each thread binds its Stats with bind_thread_stats() and INFO sums them.

Every write goes through Database methods (set, delete, changed, set_expire, ...): they
signal WATCH, count dirty, delete emptied containers and emit keyspace events, so
handlers never do that bookkeeping themselves. One exception: dispatch.run_batch's GET
and SET lanes write lookup_read() and set() out inline (tests/test_lanes.py); a change
here is a change there.
"""

import threading
import time
from threading import get_ident

from ..locks import STRIPES
from ..threadstate import PerThread, peek
from ..locks.striped import MASK, leaf_lock
from ..types.member_expiry import EXPIRING
from .member_expiry import purge_due
from .blocking import BlockingIndex
from .lazyfree import LazyFree
from .access import lfu_new, lfu_touch, lru_clock

# Set while a loop runs its master's stream (replication/replica.py): on a replica the
# master's commands see keys whose time has passed, as Redis's do, until the master's
# own DEL; other clients see them gone.
MASTER_STREAM = threading.local()
_STATS = PerThread(lambda: ThreadCounters())   # thread id -> that thread's counters
_stats_of = _STATS.slots.get


def now_ms():
    return time.time_ns() // 1_000_000


class ThreadCounters:
    """Per-thread keyspace counters; the loop's Stats object carries these fields."""
    __slots__ = ("dirty", "expired_keys", "keyspace_hits", "keyspace_misses")

    def __init__(self):
        self.dirty = 0
        self.expired_keys = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0


def _expired_in(db, i, key, now):
    exp = db.expires[i]
    return key in exp and exp[key] <= now


def _state(db, key):
    i = hash(key) & MASK
    if key not in db.data[i]:
        return "gone"
    return "expired" if _expired_in(db, i, key, now_ms()) else "live"


def bind_thread_stats(stats):
    _STATS.set(stats)


def thread_stats():
    return _STATS.get()


class Database:
    __slots__ = ("id", "data", "expires", "access", "clock", "ks")

    def __init__(self, index, keyspace):
        self.id = index
        # tuples, not lists: see the note on shared containers in docs/architecture.md
        self.data = tuple({} for _ in range(STRIPES))
        self.expires = tuple({} for _ in range(STRIPES))
        self.access = tuple({} for _ in range(STRIPES))    # key -> LRU / LFU word (access.py)
        # the LRU clock, None under an LFU policy: one attribute for a touch to read
        self.clock = keyspace.lru_clock
        self.ks = keyspace

    # -- reads ------------------------------------------------------------------------
    def lookup(self, key, touch=True):
        """The live value of key, or None. Deletes the key if it has expired. An access
        (touch) unless touch is False: what Redis looks up with LOOKUP_NOTOUCH (TYPE,
        EXISTS, the TTL family, OBJECT, KEYS / SCAN / RANDOMKEY, the crons)."""
        i = hash(key) & MASK
        data = self.data[i]
        if key not in data:            # not data.get(): see threadstate.peek
            return None
        value = data[key]
        if value is not None:
            exp = self.expires[i]
            if exp and key in exp and exp[key] <= now_ms() and self._expire_now(i, key):
                return None
            if value.__class__ in EXPIRING and value.member_expires is not None:
                value = purge_due(self, i, key, value)    # members with a TTL (KeyDB)
                if value is None:
                    return None
        if touch:
            clock = self.clock
            if clock is not None:
                self.access[i][key] = clock
            else:
                lfu_touch(self.access[i], key, self.ks.config)
        return value

    def lookup_read(self, key, touch=True):
        """lookup() that also counts keyspace hits and misses (read commands)."""
        value = self.lookup(key, touch)
        stats = _stats_of(get_ident()) or thread_stats()
        if value is None:
            stats.keyspace_misses += 1
        else:
            stats.keyspace_hits += 1
        return value

    def exists(self, key):
        return self.lookup(key) is not None

    def get_expire(self, key):
        """Absolute expiry in ms, or None."""
        return peek(self.expires[hash(key) & MASK], key)

    def _expire_now(self, i, key):
        """Delete an expired key; True when it is gone. On a replica the master decides:
        nothing is deleted, and the key is gone for clients but not for the master's
        stream (MASTER_STREAM)."""
        ks = self.ks
        if not ks.may_expire():
            return not (ks.is_replica and getattr(MASTER_STREAM, "on", False))
        snapshot = ks.snapshot                  # read once: the walker clears it when done
        if snapshot is not None:                # a BGSAVE epoch: capture the stripe first
            snapshot.touch_one(i)
        value = self.data[i].pop(key)
        del self.expires[i][key]
        self.access[i].pop(key, None)
        thread_stats().expired_keys += 1
        if ks.watched:
            ks.touch_watched(self, key)
        ks.key_deleted(self, key)
        ks.notify(self.id, "x", "expired", key)
        cfg = ks.config
        if cfg is not None and cfg.lazyfree_lazy_expire:      # propagated as Redis does
            ks.lazyfree.release(value, cfg)
            ks.propagate(self.id, [b"UNLINK", key])
        else:
            ks.propagate(self.id, [b"DEL", key])
        return True

    # -- writes -----------------------------------------------------------------------
    def set(self, key, value, keep_ttl=False):
        """Store value under key, new or not; an access. Under LFU an existing key keeps
        its counter: with keep_ttl the caller changed the value in place after its own
        lookup (which counted the access), without it this is Redis's setKey, which
        looks the key up (an access) and keeps the old object's word."""
        i = hash(key) & MASK
        hook = self.ks.notify_hook
        if hook is not None and key not in self.data[i]:
            hook(self.id, "n", "new", key)      # Redis's dbAdd event, before the writer's
        self.data[i][key] = value
        if not keep_ttl:
            exp = self.expires[i]
            if exp:
                exp.pop(key, None)
        (_stats_of(get_ident()) or thread_stats()).dirty += 1     # _modified(), inlined
        clock = self.clock
        if clock is not None:
            self.access[i][key] = clock
        elif key not in self.access[i]:
            self.access[i][key] = lfu_new()
        elif not keep_ttl:
            lfu_touch(self.access[i], key, self.ks.config)
        ks = self.ks
        if ks.watched:
            ks.touch_watched(self, key)
        if ks.waiting[i]:
            ks.blocking.signal(self, key)

    def add(self, key, value):
        """Store a value under a key known not to exist."""
        i = hash(key) & MASK
        hook = self.ks.notify_hook
        if hook is not None:
            hook(self.id, "n", "new", key)
        self.data[i][key] = value
        clock = self.clock
        self.access[i][key] = clock if clock is not None else lfu_new()
        self._modified(key)
        if self.ks.waiting[i]:                  # clients blocked on keys of this stripe
            self.ks.blocking.signal(self, key)

    def delete(self, key, lazy=False):
        """Remove key; lazy: a big value is freed after the command (UNLINK; lazyfree.py)."""
        i = hash(key) & MASK
        value = self.data[i].pop(key, None)
        if value is None:
            return False
        self.access[i].pop(key, None)
        exp = self.expires[i]
        if exp:
            exp.pop(key, None)
        self.ks.key_deleted(self, key)
        self._modified(key)
        if lazy:
            self.ks.lazyfree.release(value, self.ks.config)
        return True

    def changed(self, key, value):
        """A container under key was changed in place: delete it if it became empty."""
        if not value:
            self.delete(key)
        else:
            self._modified(key)

    def set_expire(self, key, when_ms):
        self.expires[hash(key) & MASK][key] = when_ms
        self._modified(key)

    def persist(self, key):
        exp = self.expires[hash(key) & MASK]
        if exp.pop(key, None) is None:
            return False
        self._modified(key)
        return True

    def access_word(self, key):
        """The LRU / LFU word of key (access.py), None if there is no such key."""
        acc = self.access[hash(key) & MASK]
        return acc[key] if key in acc else None

    def set_access_word(self, key, word):
        """RENAME / MOVE carry a key's word along; RESTORE and loading set one."""
        self.access[hash(key) & MASK][key] = word

    def _modified(self, key):
        (_stats_of(get_ident()) or thread_stats()).dirty += 1
        ks = self.ks
        if ks.watched:
            ks.touch_watched(self, key)

    def notify(self, type_class, event, key):
        hook = self.ks.notify_hook
        if hook is not None:
            hook(self.id, type_class, event, key)

    # -- whole-db (caller holds every stripe) -------------------------------------------
    def size(self):
        return sum(map(len, self.data))

    def expires_count(self):
        return sum(map(len, self.expires))

    def clear(self):
        removed = self.size()
        for d in self.data:
            d.clear()
        for d in self.expires:
            d.clear()
        for d in self.access:
            d.clear()
        return removed

    def keys_in_stripe(self, i):
        return list(self.data[i])


class Keyspace:
    """All databases plus the hooks writes report to (WATCH, events, propagation)."""

    def __init__(self, databases=16):
        self.lru_clock = lru_clock()   # refreshed by the cron at hz (db/access.py)
        self.lfu = False               # maxmemory-policy is an LFU one (use_lfu)
        self.config = None             # lfu-log-factor / lfu-decay-time (set at install)
        self.clock_lock = leaf_lock(11, "access-clock")    # tick() against use_lfu()
        self.dbs = [Database(i, self) for i in range(databases)]
        self.watch_lock = leaf_lock(10, "watch")
        self.watched = {}            # (db id, key) -> {client: expired}; under watch_lock
        self.lazyfree = LazyFree()   # frees big removed values off the loops (lazyfree.py)
        self.is_replica = False
        self.replica_expire = False
        self.paused_until = 0        # CLIENT PAUSE's end (monotonic): keys stay till then
        self.sinks = ()              # propagation sinks (AOF, replication); set at start
        self.propagating = False     # some sink takes effects now (see sinks_changed)
        self.snapshot = None         # the running snapshot epoch (persistence/snapshot.py)
        self.notify_hook = None      # set by pub/sub when notify-keyspace-events is on
        self.delete_hooks = []       # called when a key goes away (member expiry index)
        self.blocking = BlockingIndex()          # blocked clients (db/blocking.py)
        self.waiting = self.blocking.waiting     # slot i: under stripe lock i

    # -- WATCH --------------------------------------------------------------------------
    # watched[(db id, key)] maps each watching client to whether the key had already
    # expired (though not yet been deleted) when it was watched. Deleting such a key is
    # no change to that client, as in Redis 7.0: the flag clears and EXEC goes on.
    def watch(self, client, dbid, key, expired):
        with self.watch_lock:
            self.watched.setdefault((dbid, key), {})[client] = expired

    def unwatch_all(self, client, keys):
        with self.watch_lock:
            for k in keys:
                clients = peek(self.watched, k)
                if clients is not None:
                    clients.pop(client, None)
                    if not clients:
                        del self.watched[k]

    def watched_as_expired(self, client, dbid, key):
        with self.watch_lock:
            clients = peek(self.watched, (dbid, key))
            return clients is not None and client in clients and clients[client]

    def touch_watched(self, db, key):
        """key in db was written or deleted (its stripe held)."""
        with self.watch_lock:
            clients = peek(self.watched, (db.id, key))
            if not clients:
                return
            state = None
            for client, expired in clients.items():
                if expired:
                    if state is None:
                        state = _state(db, key)
                    if state == "gone":
                        clients[client] = False      # deleted: no longer expired
                        continue
                    if state == "expired":           # still the same expired key
                        continue
                client.dirty_cas = True              # written: SET replaces without
                                                     # deleting the expired key first

    def touch_all_watched(self, emptied, replaced_with=None):
        """FLUSHDB / FLUSHALL / a load empty `emptied`, SWAPDB replaces its keys with
        `replaced_with`'s (every stripe held; called before the change). A watcher fails
        EXEC if its key existed or will exist; not if its key was already expired and
        is gone or still expired after, as Redis 7.0 decides."""
        now = now_ms()
        with self.watch_lock:
            for (wdb, key), clients in self.watched.items():
                if wdb != emptied.id:
                    continue
                i = hash(key) & MASK
                was = key in emptied.data[i]
                will = replaced_with is not None and key in replaced_with.data[i]
                if not (was or will):
                    continue
                will_be_expired = will and _expired_in(replaced_with, i, key, now)
                for client, expired in clients.items():
                    if expired:
                        if not will:
                            clients[client] = False
                            continue
                        if will_be_expired:
                            continue
                    elif not was and will_be_expired:
                        clients[client] = True
                        continue
                    client.dirty_cas = True

    def may_expire(self):
        """Whether an expired key may be deleted now. A replica leaves that to its master
        (unless it is an active replica), and while clients are paused (CLIENT PAUSE,
        WRITE or ALL) the dataset stays as it is, as Redis keeps it: such a key is gone
        for clients but stays, and the expired_keys count with it, until then."""
        if self.is_replica and not self.replica_expire:
            return False
        until = self.paused_until          # only Server.pause / unpause write it
        return not until or time.monotonic() >= until

    # -- access words (db/access.py) ------------------------------------------------------
    def tick(self, clock):
        """The cron's new LRU clock (seconds modulo 2**24) for every database."""
        with self.clock_lock:
            if clock != self.lru_clock:
                self.lru_clock = clock
                if not self.lfu:
                    for db in self.dbs:
                        db.clock = clock

    def use_lfu(self, lfu):
        """maxmemory-policy changed: LFU words from now on, or LRU ones."""
        with self.clock_lock:
            self.lfu = lfu
            for db in self.dbs:
                db.clock = None if lfu else self.lru_clock

    # -- hooks ----------------------------------------------------------------------------
    def key_deleted(self, db, key):
        for hook in self.delete_hooks:
            hook(db, key)
        if self.waiting[hash(key) & MASK]:
            self.blocking.key_gone(db, key)

    def notify(self, dbid, type_class, event, key):
        hook = self.notify_hook
        if hook is not None:
            hook(dbid, type_class, event, key)

    def sinks_changed(self):
        """A sink was added, suspended or switched on/off. Writers check `propagating`
        (one attribute) before building effects to propagate: an AOF that exists but is
        off must cost a write nothing. A sink goes live only with every stripe held (a
        rewrite's epoch), at start-up, or as loading ends (clients' writes were refused
        until then), so no write it should see misses it; a sink switched off ignores
        what it is still fed."""
        self.propagating = any(sink.live() for sink in self.sinks)

    def propagate(self, dbid, argv):
        for sink in self.sinks:
            sink.feed(dbid, argv)

    def propagate_to_replicas(self, dbid, argv):
        """An effect for replicas and not for the AOF (PUBLISH, which Redis sends its
        replicas so that their subscribers get the message too)."""
        for sink in self.sinks:
            if sink.feeds_replica:
                sink.feed(dbid, argv)

    def propagate_begin(self, client):
        """EXEC starts: sinks may wrap what follows in MULTI ... EXEC."""
        for sink in self.sinks:
            sink.begin(client)

    def propagate_end(self, client):
        for sink in self.sinks:
            sink.end(client)
