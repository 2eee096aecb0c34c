"""The append-only file, Redis 7 multi-part: a directory (appenddirname) holding a base
file (RDB preamble `.base.rdb` or commands `.base.aof`), incremental files
(`.incr.aof`) and the manifest naming them:

    file appendonly.aof.1.base.rdb seq 1 type b
    file appendonly.aof.1.incr.aof seq 1 type i

Feeding. AofSink is a keyspace sink: the dispatcher feeds each write's deterministic
effect while the key's stripes are held, so the effects of one key reach the buffer in
the order they happened. feed() encodes the command outside any lock, then appends it to
`buf` under `buf_lock` (a leaf), adding SELECT when the database differs from the last
one appended and a `#TS:` annotation when aof-timestamp-enabled and the second changed.
Inside EXEC (begin/end) the effects collect in a thread-local list and go in as one
MULTI ... EXEC chunk at end(), still under the transaction's stripes.

Writing. `write_lock` (a leaf below buf_lock) serializes the writers: whoever holds it
swaps the buffer out, write()s it and maybe fsyncs; `seq` counts appended commands,
`synced` how many are known durable. appendfsync always: a loop thread that fed a
write holds its clients' replies (EventLoop.held) until one sync at the end of its
iteration covers them; threads syncing at the same time share one fsync (the first
takes write_lock and writes everything buffered; the others find their seq covered).
everysec / no: the background `aof` thread writes every 20 ms and fsyncs once a second
(everysec). A rewrite switches to a new incremental file through a marker put in the
buffer at the snapshot epoch (aof_rewrite.py).

Discipline: buf, seq, last_db, ts: buf_lock. fd, manifest, sizes, synced: write_lock
(synced also read without it: a stale read only makes a thread sync again).
"""

import os
import threading
import time

from ..locks.striped import leaf_lock
from ..log import log
from ..process import pin_thread
from ..replication.propagate import EXEC, MULTI, EffectFeed, encode_command
from ..replication.propagate import select_command as _select
from .snapshot import fsync_directory

WRITE_INTERVAL = 0.02






class Manifest:
    """The manifest's files: base (name, seq, kind) and incrementals [(name, seq)]."""

    def __init__(self, filename):
        self.filename = filename
        self.base = None
        self.incrs = []
        self.history = []

    @classmethod
    def parse(cls, filename, text):
        m = cls(filename)
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            if len(words) % 2:
                raise ValueError(f"Invalid AOF manifest file format at line {number}")
            fields = dict(zip(words[0::2], words[1::2]))
            name, seq, kind = fields.get("file"), fields.get("seq"), fields.get("type")
            if name is None or seq is None or kind not in ("b", "i", "h"):
                raise ValueError(f"Invalid AOF manifest file format at line {number}")
            if kind == "b":
                m.base = (name, int(seq))
            elif kind == "i":
                m.incrs.append((name, int(seq)))
            else:
                m.history.append(name)
        return m

    def text(self):
        lines = []
        if self.base:
            lines.append(f"file {self.base[0]} seq {self.base[1]} type b")
        for name in self.history:
            lines.append(f"file {name} seq 0 type h")
        for name, seq in self.incrs:
            lines.append(f"file {name} seq {seq} type i")
        return "".join(line + "\n" for line in lines)

    def next_base(self, preamble):
        seq = self.base[1] + 1 if self.base else 1
        ext = "rdb" if preamble else "aof"
        return f"{self.filename}.{seq}.base.{ext}", seq

    def next_incr(self):
        seq = self.incrs[-1][1] + 1 if self.incrs else 1
        return f"{self.filename}.{seq}.incr.aof", seq

    def persist(self, directory):
        path = os.path.join(directory, f"{self.filename}.manifest")
        tmp = os.path.join(directory, f"temp-{self.filename}.manifest")
        with open(tmp, "w") as fh:
            fh.write(self.text())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_directory(directory)


class _Switch:
    """Buffer marker: later commands go to a new incremental file (rewrite start)."""
    __slots__ = ("done", "name")

    def __init__(self):
        self.done = threading.Event()
        self.name = None


class AofSink(EffectFeed):
    def __init__(self, server):
        super().__init__()
        self.server = server
        self.buf_lock = leaf_lock(61, "aof-buffer")
        self.write_lock = leaf_lock(60, "aof-write")
        self._on = False
        self._loading = False
        self.buf = []
        self.buf_bytes = 0
        self.seq = 0
        self.synced = 0
        self.written = 0
        self.last_db = -1
        self.last_ts = 0
        self.fd = -1
        self.manifest = None
        self.directory = None
        self.current_incr = None
        self.incr_size = 0
        self.base_size = 0
        self.rewrite_base_size = 0
        self.last_fsync = time.monotonic()
        self.write_ok = True
        self.delayed_fsync = 0
        self.thread = None
        self.stopping = threading.Event()
        self.policy = server.config.appendfsync

    # on / loading decide whether writes reach this sink; the keyspace is told of each
    # change so that its `propagating` flag follows
    @property
    def on(self):
        return self._on

    @on.setter
    def on(self, value):
        self._on = value
        self.server.keyspace.sinks_changed()

    @property
    def loading(self):
        return self._loading

    @loading.setter
    def loading(self, value):
        self._loading = value
        self.server.keyspace.sinks_changed()

    def live(self):
        return self._on and not self._loading

    # -- the sink protocol (EffectFeed; stripes held) ----------------------------------
    def _emit(self, items, tls):
        with self.buf_lock:
            wrap = len(items) > 1
            if wrap:
                if items[0][0] != self.last_db:
                    self.buf.append(_select(items[0][0]))
                    self.last_db = items[0][0]
                self.buf.append(MULTI)
            for dbid, data in items:
                self._append(dbid, data)
            if wrap:
                self.buf.append(EXEC)
            self.seq += 1
            tls.fed = self.seq

    def _append(self, dbid, data):
        buf = self.buf
        if self.server.config.aof_timestamp_enabled:
            now = int(time.time())
            if now != self.last_ts:
                self.last_ts = now
                buf.append(b"#TS:%d\r\n" % now)
        if dbid != self.last_db:
            buf.append(_select(dbid))
            self.last_db = dbid
        buf.append(data)
        self.buf_bytes += len(data)

    # -- durability (appendfsync always) -----------------------------------------------------
    def must_wait(self):
        return self.tls.fed > self.synced

    def sync(self):
        """Make everything this thread fed durable (group commit with other threads)."""
        target = self.tls.fed
        if target > self.synced:
            self.flush(fsync=True, upto=target)

    # -- writing -----------------------------------------------------------------------------
    def flush(self, fsync=False, upto=None):
        with self.write_lock:
            if upto is not None and self.synced >= upto:
                return
            self._flush_locked(fsync)

    def _flush_locked(self, fsync):
        with self.buf_lock:
            chunk, self.buf = self.buf, []
            self.buf_bytes = 0
            seq = self.seq
        pending = []
        for piece in chunk:
            if type(piece) is _Switch:
                self._write(pending)
                pending = []
                self._switch_file()
                piece.name = self.current_incr
                piece.done.set()
            else:
                pending.append(piece)
        self._write(pending)
        self.written = seq
        if seq == self.synced and not chunk:
            return                              # nothing new since the last fsync
        if fsync or self.policy == "always":
            self._fsync()
            self.synced = seq
        elif self.policy == "everysec" and time.monotonic() - self.last_fsync >= 1.0:
            self._fsync()
            self.synced = seq

    def _write(self, pieces):
        if not pieces or self.fd < 0:
            return
        data = b"".join(pieces)
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except InterruptedError:
                continue
            except OSError as exc:
                if self.write_ok:
                    log.warning(f"Error writing to the AOF file: {exc.strerror}")
                self.write_ok = False
                time.sleep(0.01)
                continue
            view = view[n:]
        self.write_ok = True
        self.incr_size += len(data)

    def _fsync(self):
        if self.fd >= 0:
            try:
                os.fdatasync(self.fd)
            except OSError as exc:
                log.warning(f"Can't fsync the AOF file: {exc.strerror}")
        self.last_fsync = time.monotonic()

    def _switch_file(self):
        """Open the next incremental file and add it to the manifest (write_lock held)."""
        m = self.manifest
        name, seq = m.next_incr()
        path = os.path.join(self.directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if self.fd >= 0:
            self._fsync()
            os.close(self.fd)
        self.fd = fd
        m.incrs.append((name, seq))
        m.persist(self.directory)
        self.current_incr = name
        self.incr_size = 0
        log.notice(f"Creating AOF incr file {name}")

    def open_existing(self, manifest, directory):
        """Start appending to the manifest's last incremental file (or a new one)."""
        self.manifest = manifest
        self.directory = directory
        with self.write_lock:
            if manifest.incrs:
                name = manifest.incrs[-1][0]
                path = os.path.join(directory, name)
                self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                self.current_incr = name
                self.incr_size = os.fstat(self.fd).st_size
            else:
                self._switch_file()
        self.base_size = _size(directory, manifest.base[0]) if manifest.base else 0
        self.rewrite_base_size = self.current_size()

    def insert_switch(self):
        """At a rewrite epoch (every stripe held): later feeds go to a new incr file."""
        marker = _Switch()
        with self.buf_lock:
            self.buf.append(marker)
            self.last_db = -1
        return marker

    def current_size(self):
        m = self.manifest
        if m is None:
            return 0
        return self.base_size + sum(_size(self.directory, n) for n, _ in m.incrs)

    # -- background thread ---------------------------------------------------------------------
    def start_thread(self):
        if self.thread is None:
            self.stopping.clear()
            self.thread = threading.Thread(target=self._run, name="aof", daemon=True)
            self.thread.start()

    def _run(self):
        pin_thread("bio_cpulist", "aof", self.server.config.bio_cpulist)
        while not self.stopping.wait(WRITE_INTERVAL):
            if self.on and (self.buf or (self.policy == "everysec" and self.synced < self.seq)):
                try:
                    self.flush()
                except Exception:
                    import traceback
                    log.warning("Unexpected error in the AOF thread:\n" + traceback.format_exc())

    def set_policy(self, policy):
        self.policy = policy
        durable = self if policy == "always" and self.on else None
        for loop in self.server.loops:
            loop.durable = durable

    def shutdown(self):
        """Final write + fsync; close the file."""
        self.stopping.set()
        if self.on:
            self.flush(fsync=True)
        with self.write_lock:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
        self.set_policy(self.policy)

    def disable(self):
        if not self.on:
            return
        self.flush(fsync=True)
        self.on = False
        for loop in self.server.loops:
            loop.durable = None
        with self.write_lock:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1


def _size(directory, name):
    try:
        return os.path.getsize(os.path.join(directory, name))
    except OSError:
        return 0

