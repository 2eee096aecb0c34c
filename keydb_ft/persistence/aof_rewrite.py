"""AOF lifecycle: start-up (load or create), BGREWRITEAOF without fork, auto rewrite,
turning appendonly / appendfsync on and off at run time, and the aof_* INFO fields.

A rewrite is a snapshot epoch (snapshot.py). At the epoch, with every stripe held, a
switch marker goes into the AOF buffer: what was fed before it belongs in the old
incremental file(s) and is covered by the snapshot, what is fed after it goes to a new
incremental file. A background thread writes the snapshot as the new base (an RDB with
aof-base=1 when aof-use-rdb-preamble is yes, else commands), fsyncs it, and then, under
the AOF write lock, renames it in, persists a manifest of the new base plus the
incremental files opened since the epoch, and deletes the old files.

Discipline: the rewrite bookkeeping fields are written by the rewrite thread or under
RdbPersistence.state_lock (`busy` == "aof"); INFO reads them without a lock.
"""

import os
import time

from ..log import log
from ..types.stream import format_id
from . import snapshot as snap_mod
from ..replication.propagate import encode_command
from .aof import AofSink, Manifest
from .snapshot import fsync_directory
from .aof_load import load_manifest
from .rdb_save import SaveOptions, entry_fields

ITEMS_PER_CMD = 64


class AofManager:
    def __init__(self, server, rdb):
        self.server = server
        self.rdb = rdb
        self.sink = AofSink(server)
        server.keyspace.sinks += (self.sink,)
        server.keyspace.sinks_changed()
        server.aof = self
        self.rewrite_started = None
        self.rewrite_scheduled = False
        self.last_rewrite_secs = -1
        self.last_rewrite_ok = True
        self.rewrites = 0
        self.failures = 0
        self.policy = server.config.appendfsync
        self.wanted = server.config.appendonly

    def directory(self):
        """appenddirname in the working directory (the server chdirs into `dir`)."""
        return os.path.abspath(self.server.config.appenddirname)

    # -- start-up ------------------------------------------------------------------------------
    def existing_manifest(self):
        cfg = self.server.config
        manifest = load_manifest(self.directory(), cfg.appendfilename)
        old = os.path.abspath(cfg.appendfilename)
        if manifest is None and os.path.isfile(old):
            manifest = self._upgrade(old)
        return manifest

    def _upgrade(self, old):
        """A single-file AOF of Redis < 7 becomes the base of a multi-part one."""
        cfg = self.server.config
        directory = self.directory()
        os.makedirs(directory, exist_ok=True)
        os.replace(old, os.path.join(directory, cfg.appendfilename))
        manifest = Manifest(cfg.appendfilename)
        manifest.base = (cfg.appendfilename, 1)
        manifest.persist(directory)
        log.notice(f"Successfully migrated an old-style AOF into {cfg.appenddirname}")
        return manifest

    def create_fresh(self):
        """appendonly yes with no AOF yet: an empty base and the first incr file."""
        cfg = self.server.config
        directory = self.directory()
        os.makedirs(directory, exist_ok=True)
        manifest = Manifest(cfg.appendfilename)
        name, seq = manifest.next_base(cfg.aof_use_rdb_preamble)
        snap = snap_mod.begin(self.server)
        try:
            self._write_base(snap, os.path.join(directory, name))
        finally:
            snap_mod.finish(self.server, snap)
        log.notice(f"Creating AOF base file {name} on server start")
        manifest.base = (name, seq)
        self.sink.open_existing(manifest, directory)
        self.go_live()

    def go_live(self):
        sink = self.sink
        sink.on = True
        sink.loading = False
        sink.set_policy(self.server.config.appendfsync)
        sink.start_thread()

    # -- rewrite ---------------------------------------------------------------------------------
    def bgrewrite(self):
        """Start a rewrite; False when another snapshot job runs (the caller schedules)."""
        rdb = self.rdb
        if not rdb.reserve("aof"):
            return False
        self.rewrite_started = time.time()
        sink = self.sink
        try:
            if sink.manifest is None:
                directory = self.directory()
                os.makedirs(directory, exist_ok=True)
                sink.directory = directory
                sink.manifest = (load_manifest(directory, self.server.config.appendfilename)
                                 or Manifest(self.server.config.appendfilename))
            markers = []

            def at_epoch(_snap):
                if self.server.config.appendonly and not sink.on:
                    sink.on = True
                    sink.loading = False
                markers.append(sink.insert_switch() if sink.on else None)

            snap = snap_mod.begin(self.server, at_epoch)
        except BaseException:
            self.rewrite_started = None
            rdb.release()
            raise
        rdb.snapshot = snap
        if sink.on:
            sink.set_policy(self.server.config.appendfsync)
            sink.start_thread()
        log.notice("Background append only file rewriting started (snapshot thread, no fork)")
        snap_mod.run_in_thread("aof-rewrite", self._rewrite_thread, snap, markers[0],
                               cpulist=("aof_rewrite_cpulist",
                                        self.server.config.aof_rewrite_cpulist))
        return True

    def _rewrite_thread(self, snap, marker):
        sink = self.sink
        cfg = self.server.config
        directory = sink.directory
        tmp = os.path.join(directory, f"temp-rewriteaof-bg-{os.getpid()}.aof")
        ok = False
        try:
            self._write_base(snap, tmp)
            snap_mod.finish(self.server, snap)
            with sink.write_lock:
                sink._flush_locked(False)
                m = sink.manifest
                name, seq = m.next_base(cfg.aof_use_rdb_preamble)
                names = [n for n, _ in m.incrs]
                keep_from = len(names)
                if marker is not None and marker.name in names:
                    keep_from = names.index(marker.name)
                old = ([m.base[0]] if m.base else []) + names[:keep_from] + m.history
                os.replace(tmp, os.path.join(directory, name))
                m.base = (name, seq)
                m.incrs = m.incrs[keep_from:]
                m.history = []
                m.persist(directory)
                for gone in old:
                    if gone != name:
                        _unlink(os.path.join(directory, gone))
                sink.base_size = os.path.getsize(os.path.join(directory, name))
                sink.rewrite_base_size = sink.current_size()
            ok = True
            self.rewrites += 1
            self.failures = 0
            log.notice("Background AOF rewrite terminated with success")
        except Exception as exc:
            self.failures += 1
            log.warning(f"Background AOF rewrite failed: {exc}")
            _unlink(tmp)
        finally:
            snap_mod.finish(self.server, snap)
            self.last_rewrite_ok = ok
            self.last_rewrite_secs = int(time.time() - self.rewrite_started)
            self.rewrite_started = None
            self.rdb.release()

    def _write_base(self, snap, path):
        cfg = self.server.config
        if cfg.aof_use_rdb_preamble:
            sink = snap_mod.FileSink(path, cfg.rdbchecksum, cfg.aof_rewrite_incremental_fsync)
            try:
                ok = snap_mod.write_rdb(snap, sink, SaveOptions(cfg), self.rdb.aux(aof_base=True),
                                        self.server.rdb_functions)
            finally:
                sink.close()
        else:
            ok = write_command_base(snap, path)
        if not ok:
            raise RuntimeError("rewrite aborted")

    # -- cron ------------------------------------------------------------------------------------
    def cron(self, server):
        cfg = server.config
        sink = self.sink
        if server.loading:
            return
        if cfg.appendfsync != sink.policy and sink.on:
            sink.set_policy(cfg.appendfsync)
        if cfg.appendonly != self.wanted:
            self.wanted = cfg.appendonly
            if not cfg.appendonly:
                sink.disable()
                log.notice("Background append only file rewriting disabled (appendonly no)")
            else:
                self.rewrite_scheduled = True
        if self.rdb.busy is not None:
            return
        if self.rewrite_scheduled:
            self.rewrite_scheduled = False
            self.bgrewrite()
            return
        pct = cfg.auto_aof_rewrite_percentage
        if sink.on and pct:
            size = sink.current_size()
            base = sink.rewrite_base_size or 1
            if size > cfg.auto_aof_rewrite_min_size and (size * 100 // base) - 100 >= pct:
                log.notice(f"Starting automatic rewriting of AOF on {size * 100 // base - 100}% "
                           f"growth")
                self.bgrewrite()

    def start(self, server):
        pass

    def stop(self, server, save=None):
        self.sink.shutdown()
        return True

    def info(self):
        sink = self.sink
        now = time.time()
        running = self.rewrite_started is not None and self.rdb.busy == "aof"
        out = [("aof_enabled", int(sink.on)),
               ("aof_rewrite_in_progress", int(running)),
               ("aof_rewrite_scheduled", int(self.rewrite_scheduled)),
               ("aof_last_rewrite_time_sec", self.last_rewrite_secs),
               ("aof_current_rewrite_time_sec",
                int(now - self.rewrite_started) if running else -1),
               ("aof_last_bgrewrite_status", "ok" if self.last_rewrite_ok else "err"),
               ("aof_rewrites", self.rewrites),
               ("aof_rewrites_consecutive_failures", self.failures),
               ("aof_last_write_status", "ok" if sink.write_ok else "err"),
               ("aof_last_cow_size", 0), ("module_fork_in_progress", 0),
               ("module_fork_last_cow_size", 0)]
        if sink.on:
            out += [("aof_current_size", sink.current_size()),
                    ("aof_base_size", sink.base_size),
                    ("aof_pending_rewrite", int(self.rewrite_scheduled)),
                    ("aof_buffer_length", sink.buf_bytes),
                    ("aof_pending_bio_fsync", 0),
                    ("aof_delayed_fsync", sink.delayed_fsync)]
        return out


# ---- a base file of commands (aof-use-rdb-preamble no) ----------------------------------------

def write_command_base(snap, path):
    from ..locks import STRIPES
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        out = []
        size = 0
        for dbid, _size, _expires in snap.sizes:
            out.append(encode_command([b"SELECT", b"%d" % dbid]))
            for i in range(STRIPES):
                if snap.aborted:
                    return False
                for key, value, expire in snap.take(dbid, i):
                    for argv in rewrite_commands(key, value, expire):
                        data = encode_command(argv)
                        out.append(data)
                        size += len(data)
                if size >= 1 << 20:
                    _write_all(fd, b"".join(out))
                    out, size = [], 0
        _write_all(fd, b"".join(out))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_directory(os.path.dirname(path))
    return True


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _batches(head, items):
    for i in range(0, len(items), ITEMS_PER_CMD):
        yield head + items[i:i + ITEMS_PER_CMD]


def _score(score):
    return repr(score).encode() if score == score else b"0"


def rewrite_commands(key, value, expire):
    """The commands that recreate key (rewriteAppendOnlyFileRio's choices)."""
    from ..types import type_name
    kind = type_name(value)
    if kind == "string":
        yield [b"SET", key, bytes(value)]
    elif kind == "list":
        yield from _batches([b"RPUSH", key], list(value))
    elif kind == "set":
        yield from _batches([b"SADD", key], list(value))
    elif kind == "zset":
        flat = [x for member, score in value.pairs() for x in (_score(score), member)]
        for i in range(0, len(flat), 2 * ITEMS_PER_CMD):
            yield [b"ZADD", key] + flat[i:i + 2 * ITEMS_PER_CMD]
    elif kind == "hash":
        flat = [x for pair in value.items() for x in pair]
        for i in range(0, len(flat), 2 * ITEMS_PER_CMD):
            yield [b"HSET", key] + flat[i:i + 2 * ITEMS_PER_CMD]
    elif kind == "stream":
        yield from _stream_commands(key, value)
    expires = getattr(value, "member_expires", None)
    if expires:
        for member, when in expires.when.items():
            yield [b"PEXPIREMEMBERAT", key, member, b"%d" % when]
    if expire is not None:
        yield [b"PEXPIREAT", key, b"%d" % expire]


def _stream_commands(key, s):
    if s.ids:
        for sid in s.ids:
            yield [b"XADD", key, format_id(sid)] + list(entry_fields(s.entries[sid]))
    else:
        yield [b"XADD", key, b"MAXLEN", b"0", format_id(s.last_id or 1), b"x", b"y"]
    yield [b"XSETID", key, format_id(s.last_id), b"ENTRIESADDED", b"%d" % s.entries_added,
           b"MAXDELETEDID", format_id(s.max_deleted)]
    for name in sorted(s.groups or ()):
        g = s.groups[name]
        yield [b"XGROUP", b"CREATE", key, name, format_id(g.last_id), b"ENTRIESREAD",
               b"%d" % g.entries_read]
        for cname in sorted(g.consumers):
            yield [b"XGROUP", b"CREATECONSUMER", key, name, cname]
        for sid in g.pel_ids:
            nack = g.pel[sid]
            if nack.consumer is None:
                continue
            yield [b"XCLAIM", key, name, nack.consumer.name, b"0", format_id(sid),
                   b"TIME", b"%d" % nack.delivery_time, b"RETRYCOUNT",
                   b"%d" % nack.delivery_count, b"JUSTID", b"FORCE"]


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass
