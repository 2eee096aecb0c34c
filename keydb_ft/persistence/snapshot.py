"""Point-in-time snapshots without fork (house rule 6), for BGSAVE, SAVE, shutdown saves
and the AOF rewrite.

The epoch. begin() takes every stripe (global key lock, then stripes ascending), notes
for every stripe i the databases that have keys in slot i (`initial[i]`, a bitmask, and
`pending[i]`, the same bits still to capture), records each database's size, runs the
caller's at_epoch callback (the AOF rewrite switches its incremental file there) and
publishes the snapshot on KeyLocks.snapshot and Keyspace.snapshot before releasing.

Capture. Whoever first takes stripe i after the epoch while pending[i] is non-zero
captures slot i of every pending database before doing anything else: its keys, its
values (bytes are immutable and shared; containers are copied with .copy()) and a copy
of its expiry dict, all made with C-level list / dict copies under the stripe lock, so a
capture allocates a few objects rather than one per key. The hook sits in
KeyLocks.acquire, the one way commands, EXEC, blocking retries and DEBUG take stripes,
so every write - in place or not, in any database, by any thread - finds its stripe
captured first; the lazy and active expiry paths, which take stripe locks directly,
call touch_one() from Database._expire_now. The background walker (a niced thread, so
the loop threads keep their CPU) does the same for the stripes nobody touched, then
serializes a captured slot outside the lock and forgets it.

Discipline: initial is frozen at the epoch; pending[i] and captured[i] are read and
written under stripe lock i only. The walker runs on one thread; `aborted` and the
progress counters are single attribute writes read by INFO.
What a capture misses by design: members of a container whose member TTL passes after
the epoch, purged in place by lazy member expiry on a read path (they are expired).
"""

import os
import random
import threading
import time
from itertools import repeat

from ..db.access import idle_ms, lfu_counter
from ..locks import STRIPES
from ..process import pin_thread
from . import rdb_save
from .crc64 import crc64
from .rdbformat import Writer


_BYTES_ONLY = {bytes}


def _copy(value):
    t = type(value)
    if t is bytes:
        return value
    if t is bytearray:
        return bytes(value)
    return value.copy()


class Snapshot:
    def __init__(self, server):
        self.server = server
        self.dbs = server.keyspace.dbs
        self.initial = [0] * STRIPES
        self.pending = [0] * STRIPES
        self.captured = [None] * STRIPES   # slot i: {db id: (keys, values, expires, words)}
        # what RDB records of each key's access word: idle seconds under the LRU
        # policies, the LFU counter under the LFU ones, nothing otherwise (as Redis)
        policy = server.config.maxmemory_policy
        self.usage = "lfu" if "lfu" in policy else "lru" if "lru" in policy else None
        self.sizes = []                        # [(db id, keys, expires)] at the epoch
        self.keys_total = 0
        self.keys_done = 0
        self.aborted = False
        self.started = time.time()
        self.dirty_at_epoch = 0
        self.max_capture_ns = 0                # longest capture by any thread
        self.epoch_ns = 0                      # how long begin() held every stripe

    # -- hooks (caller holds the stripe(s)) ----------------------------------------------
    def touch(self, indexes):
        pending = self.pending
        for i in indexes:
            if pending[i]:
                self._capture(i, pending[i])

    def touch_one(self, i):
        if self.pending[i]:
            self._capture(i, self.pending[i])

    def _capture(self, i, bits):
        start = time.perf_counter_ns()
        slot = self.captured[i]
        if slot is None:
            slot = self.captured[i] = {}
        for db in self.dbs:
            if bits >> db.id & 1:
                data = db.data[i]
                values = list(data.values())          # C-level copies: no per-key garbage
                if set(map(type, values)) != _BYTES_ONLY:
                    values = [v if type(v) is bytes else _copy(v) for v in values]
                exps = db.expires[i]
                keys = list(data)
                words = None
                if self.usage is not None:
                    acc = db.access[i]
                    words = [acc[k] if k in acc else 0 for k in keys]
                slot[db.id] = (keys, values, dict(exps) if exps else None, words)
        self.pending[i] &= ~bits
        took = time.perf_counter_ns() - start
        if took > self.max_capture_ns:
            self.max_capture_ns = took

    # -- the walker ------------------------------------------------------------------------
    def take(self, dbid, i, words=False):
        """(key, value, expire) of slot i of database dbid at the epoch (walker thread),
        and the key's access word as a fourth item if words (only when self.usage)."""
        bit = 1 << dbid
        if not self.initial[i] & bit:
            return ()
        lock = self.server.key_locks.stripes[i]
        with lock:
            if self.pending[i] & bit:
                self._capture(i, bit)
            slot = self.captured[i]
            got = slot.pop(dbid, None) if slot else None
        if got is None:
            return ()
        keys, values, exps, usage = got
        self.keys_done += len(keys)
        # not exps.get: the expiry times were made by the loop threads (threadstate.peek)
        expires = [exps[k] if k in exps else None for k in keys] if exps else repeat(None)
        if words:
            return zip(keys, values, expires, usage)
        return zip(keys, values, expires)


def begin(server, at_epoch=None):
    """Start a snapshot epoch (the caller holds no stripe)."""
    from ..stats import merged
    snap = Snapshot(server)
    locks = server.key_locks
    locks.acquire_all()
    held = time.perf_counter_ns()
    try:
        if getattr(locks, "snapshot", None) is not None:
            raise RuntimeError("a snapshot is already in progress")
        initial = snap.initial
        for db in snap.dbs:
            size = db.size()
            if not size:
                continue
            snap.sizes.append((db.id, size, db.expires_count()))
            snap.keys_total += size
            bit = 1 << db.id
            for i, d in enumerate(db.data):
                if d:
                    initial[i] |= bit
        snap.pending[:] = initial
        snap.dirty_at_epoch = merged(server.all_stats(), "dirty")
        if at_epoch is not None:
            at_epoch(snap)
        locks.snapshot = snap
        server.keyspace.snapshot = snap
    finally:
        locks.release_all()
        snap.epoch_ns = time.perf_counter_ns() - held
    return snap


def finish(server, snap):
    """Unpublish the snapshot (every stripe has been walked, or it was aborted)."""
    if getattr(server.key_locks, "snapshot", None) is snap:
        server.key_locks.snapshot = None
        server.keyspace.snapshot = None


class FileSink:
    """Buffered writes to a file with a running CRC64 and optional incremental fsync."""

    def __init__(self, path, checksum=True, incremental_fsync=True):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.crc = 0
        self.checksum = checksum
        self.written = 0
        self.synced = 0
        self.incremental = incremental_fsync

    def write(self, data):
        if self.checksum:
            self.crc = crc64(data, self.crc)
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.written += len(data)
        if self.incremental and self.written - self.synced >= 4 << 20:
            os.fsync(self.fd)
            self.synced = self.written

    def close(self, sync=True):
        try:
            if sync:
                os.fsync(self.fd)
        finally:
            os.close(self.fd)


def key_delay(usec):
    """rdb-key-save-delay / key-load-delay after a key, as Redis's debugDelay: usec
    microseconds of sleep; a negative value sleeps 1 us once in -usec keys on average."""
    if usec < 0:
        usec = 1 if random.randrange(-usec) == 0 else 0
    if usec:
        time.sleep(usec / 1e6)


def write_rdb(snap, sink, opts, aux, functions=(), chunk=1 << 16):
    """Serialize the snapshot as an RDB file into sink; returns False if aborted."""
    w = Writer(opts.compress)
    rdb_save.write_preamble(w, aux, functions)
    save_key = rdb_save.save_key
    usage = snap.usage
    config = snap.server.config
    decay = config.lfu_decay_time
    clock = snap.server.keyspace.lru_clock
    for dbid, size, expires in snap.sizes:
        w.write_selectdb(dbid)
        w.write_resizedb(size, expires)
        for i in range(STRIPES):
            if snap.aborted:
                return False
            delay = config.rdb_key_save_delay
            if usage is not None:             # an eviction policy: IDLE / FREQ per key
                for key, value, expire, word in snap.take(dbid, i, True):
                    save_key(w, key, value, expire, opts,
                             (usage, idle_ms(word, clock) // 1000 if usage == "lru"
                              else lfu_counter(word, decay)))
                    if delay:
                        key_delay(delay)
            elif delay:                       # rdb-key-save-delay: the test knob
                for key, value, expire in snap.take(dbid, i):
                    save_key(w, key, value, expire, opts)
                    key_delay(delay)
            if usage is not None or delay:
                if len(w.buf) >= chunk:
                    sink.write(w.buf)
                    w.buf = bytearray()
                continue
            items = snap.take(dbid, i)
            buf = w.buf
            for key, value, expire in items:
                if type(value) is bytes:        # the common case, inlined: short plain strings
                    kl, vl = len(key), len(value)
                    if 0 < kl < 64 and 0 < vl <= 20 and key[0] > 57 and value[0] > 57:
                        if expire is not None:
                            buf += b"\xfc" + expire.to_bytes(8, "little", signed=True)
                        buf += b"\x00%c%b%c%b" % (kl, key, vl, value)
                        continue
                save_key(w, key, value, expire, opts)
            if len(w.buf) >= chunk:
                sink.write(w.buf)
                w.buf = bytearray()
    w.buf.append(255)
    sink.write(w.buf)
    crc = sink.crc if sink.checksum else 0      # 0: saved with rdbchecksum no
    sink.checksum = False                       # the footer is not part of what it covers
    sink.write(crc.to_bytes(8, "little"))
    return True


def fsync_dir(path):
    """fsync the directory holding path, so a rename into it is durable."""
    fsync_directory(os.path.dirname(os.path.abspath(path)) or ".")


def fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def run_in_thread(name, fn, *args, cpulist=("", "")):
    """A background snapshot thread, niced so the loop threads keep their CPU, and pinned
    to cpulist (the setting's name and value: bgsave_cpulist, aof_rewrite_cpulist)."""
    def run():
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WALKER_NICE)
        except (OSError, AttributeError):
            pass
        pin_thread(cpulist[0], name, cpulist[1])
        fn(*args)
    t = threading.Thread(target=run, name=name, daemon=True)
    t.start()
    return t


WALKER_NICE = 10
