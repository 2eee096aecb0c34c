"""RDB persistence: SAVE, BGSAVE (a snapshot epoch walked by a background thread, never
a fork), save points, the shutdown save, FLUSHALL's save, start-up loading, DEBUG RELOAD
and the persistence section of INFO.

Shared state of RdbPersistence: `state_lock` (a leaf) guards `busy` (the one snapshot
job allowed at a time: BGSAVE, SAVE or AOF rewrite) and the bookkeeping fields; those
are single attribute writes that INFO reads without the lock. The snapshot itself has
its own discipline (snapshot.py).
"""

import os
import time

from .. import REDIS_VERSION
from ..locks.striped import leaf_lock
from ..log import log
from ..stats import merged
from . import snapshot as snap_mod
from .formaterror import RDBFormatError
from .rdb_load import Limits, install, parse_rdb
from .rdb_save import SaveOptions

BGSAVE_RETRY_DELAY = 5


class LoadError(Exception):
    pass


class RdbPersistence:
    """A server extension (start / stop / cron)."""

    def __init__(self, server):
        self.server = server
        self.state_lock = leaf_lock(50, "rdb-state")
        self.busy = None                 # "rdb" | "save" | "aof" while a snapshot job runs
        self.snapshot = None
        self.lastsave = int(time.time())
        self.last_bgsave_ok = True
        self.last_try = 0.0
        self.saves = 0
        self.dirty_base = 0              # merged dirty count at the last successful save
        self.bgsave_started = None
        self.last_bgsave_secs = -1
        self.bgsave_scheduled = False
        self.keys_loaded = 0
        self.keys_expired = 0
        self.load_started = 0.0
        self.load_total = 0
        self.load_done = 0
        self.load_logged = time.monotonic()
        self.last_stall = (0, 0)         # (epoch usec, longest capture usec) of the last BGSAVE
        server.rdb_functions = []        # FUNCTION2 library code read from an RDB
        server.rdb = self

    # -- helpers -----------------------------------------------------------------------------
    def path(self):
        """dbfilename in the working directory (the server chdirs into `dir`)."""
        return os.path.abspath(self.server.config.dbfilename)

    def dirty(self):
        return merged(self.server.all_stats(), "dirty") - self.dirty_base

    def aux(self, aof_base=False):
        return {"redis-ver": REDIS_VERSION, "redis-bits": 64, "ctime": int(time.time()),
                "used-mem": self.server.used_memory, "aof-base": int(aof_base)}

    def save_points(self):
        words = self.server.config.save.split()
        return [(int(words[i]), int(words[i + 1])) for i in range(0, len(words) - 1, 2)]

    def reserve(self, kind):
        with self.state_lock:
            if self.busy is not None:
                return False
            self.busy = kind
            return True

    def release(self):
        with self.state_lock:
            self.busy = None
            self.snapshot = None

    # -- writing -----------------------------------------------------------------------------
    def write_snapshot_file(self, snap, path, aof_base=False):
        """Serialize snap into path through a temp file, fsync and rename. Raises OSError;
        returns False when the snapshot was aborted."""
        cfg = self.server.config
        tmp = os.path.join(os.path.dirname(path) or ".",
                           f"temp-{os.getpid()}-{id(snap) & 0xFFFFFF}.rdb")
        sink = snap_mod.FileSink(tmp, cfg.rdbchecksum, cfg.rdb_save_incremental_fsync)
        ok = False
        try:
            ok = snap_mod.write_rdb(snap, sink, SaveOptions(cfg), self.aux(aof_base),
                                    self.server.rdb_functions)
        finally:
            sink.close(sync=ok)
            if not ok:
                _unlink(tmp)
        if ok:
            os.replace(tmp, path)
            snap_mod.fsync_dir(path)
        return ok

    def _snapshot_to(self, path, kind, at_epoch=None):
        snap = snap_mod.begin(self.server, at_epoch)
        self.snapshot = snap
        try:
            return snap, self.write_snapshot_file(snap, path, aof_base=(kind == "aof"))
        except BaseException:
            _unlink_temp(path, snap)
            raise
        finally:
            snap_mod.finish(self.server, snap)

    def save(self):
        """SAVE: a snapshot written by the calling thread. Returns True on success."""
        if not self.reserve("save"):
            return None
        try:
            start = time.monotonic()
            snap, ok = self._snapshot_to(self.path(), "save")
            if ok:
                self._saved(snap)
                log.notice(f"DB saved on disk ({time.monotonic() - start:.3f}s)")
            return ok
        except OSError as exc:
            log.warning(f"Failed opening the temp RDB file for saving: {exc.strerror or exc}")
            self.last_bgsave_ok = False
            return False
        except Exception:
            import traceback
            log.warning("Error saving the DB:\n" + traceback.format_exc())
            self.last_bgsave_ok = False
            return False
        finally:
            self.release()

    def _saved(self, snap):
        self.dirty_base = snap.dirty_at_epoch
        self.lastsave = int(time.time())
        self.last_bgsave_ok = True
        self.saves += 1

    def bgsave(self):
        """Start a BGSAVE; False when another snapshot job is running."""
        if not self.reserve("rdb"):
            return False
        self.last_try = time.time()
        self.bgsave_started = time.time()
        try:
            snap = snap_mod.begin(self.server)
        except BaseException:
            self.bgsave_started = None
            self.release()
            raise
        self.snapshot = snap
        log.notice("Background saving started by a snapshot thread (no fork)")
        snap_mod.run_in_thread("bgsave", self._bgsave_thread, snap,
                               cpulist=("bgsave_cpulist", self.server.config.bgsave_cpulist))
        return True

    def _bgsave_thread(self, snap):
        path = self.path()
        ok = False
        try:
            ok = self.write_snapshot_file(snap, path)
            if ok:
                self._saved(snap)
                self.last_stall = (snap.epoch_ns // 1000, snap.max_capture_ns // 1000)
                log.notice(f"Background saving terminated with success (epoch held the "
                           f"stripes {snap.epoch_ns / 1e6:.2f} ms, longest stripe capture "
                           f"{snap.max_capture_ns / 1e6:.2f} ms)")
            else:
                log.warning("Background saving aborted")
        except Exception as exc:
            self.last_bgsave_ok = False
            log.warning(f"Background saving error: {exc}")
        finally:
            snap_mod.finish(self.server, snap)
            self.last_bgsave_secs = int(time.time() - self.bgsave_started)
            self.bgsave_started = None
            self.release()

    def abort_bgsave(self):
        snap = self.snapshot
        if snap is not None and self.busy == "rdb":
            snap.aborted = True
            log.warning("Background saving aborted (FLUSHALL)")

    def save_empty(self, c=None):
        """FLUSHALL with save points: every stripe is held and the keyspace is empty."""
        self.abort_bgsave()
        cfg = self.server.config
        from .rdbformat import Writer
        from .rdb_save import write_preamble
        w = Writer(cfg.rdbcompression)
        write_preamble(w, self.aux(), self.server.rdb_functions)
        w.write_eof(cfg.rdbchecksum)
        path = self.path()
        tmp = path + f".flushall-{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(w.buf)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            log.warning(f"Failed saving the DB after FLUSHALL: {exc}")
            return
        self.lastsave = int(time.time())
        self.saves += 1

    # -- extension hooks ---------------------------------------------------------------------
    def start(self, server):
        pass

    def stop(self, server, save=None):
        snap = self.snapshot
        if snap is not None:            # a BGSAVE or AOF rewrite: stop it, like killing a child
            snap.aborted = True
        for _ in range(1000):
            if self.busy is None:
                break
            time.sleep(0.01)
        points = self.save_points()
        if save is False or (save is None and not points):
            return True
        log.notice("Saving the final RDB snapshot before exiting.")
        if self.save():
            return True
        log.warning("Error trying to save the DB, can't exit.")
        return False

    def cron(self, server):
        if self.busy is not None:
            return
        now = time.time()
        if self.bgsave_scheduled:
            self.bgsave_scheduled = False
            self.bgsave()
            return
        dirty = None
        for seconds, changes in self.save_points():
            if dirty is None:
                dirty = self.dirty()
            if dirty >= changes and now - self.lastsave > seconds and (
                    self.last_bgsave_ok or now - self.last_try > BGSAVE_RETRY_DELAY):
                log.notice(f"{changes} changes in {seconds} seconds. Saving...")
                self.bgsave()
                return

    # -- loading -----------------------------------------------------------------------------
    def load_file(self, path, preamble=False):
        """Parse path and install it (every stripe taken). Raises LoadError."""
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise LoadError(f"can't open {path}: {exc.strerror}") from None
        return self.load_bytes(data, preamble)

    def load_bytes(self, data, preamble=False):
        server = self.server
        self.load_started = time.time()
        self.load_total = max(self.load_total, len(data))
        self.load_done = 0
        delay = server.config.key_load_delay
        try:
            loaded = parse_rdb(data, len(server.keyspace.dbs), Limits(server.config),
                               check_sum=server.config.rdbchecksum, preamble=preamble,
                               progress=self._progress,
                               after_key=(lambda: snap_mod.key_delay(delay)) if delay else None)
        except RDBFormatError as exc:
            raise LoadError(f"Internal error in RDB reading offset {exc.offset}: "
                            f"{exc.reason}") from None
        finally:
            self.load_done = len(data)
        locks = server.key_locks
        locks.acquire_all()
        try:
            install(server, loaded)
        finally:
            locks.release_all()
        server.rdb_functions = loaded.functions
        if loaded.functions:
            log.notice(f"Kept {len(loaded.functions)} function libraries from the RDB "
                       f"(not executed: no function engine)")
        self.keys_loaded = loaded.keys_loaded
        self.keys_expired = loaded.keys_expired
        return loaded

    def _progress(self, done, total):
        self.load_done = done
        now = time.monotonic()
        if now - self.load_logged >= 5.0:
            self.load_logged = now
            log.notice(f"Loading: {100.0 * done / max(total, 1):.2f}% ({done} of {total} "
                       f"bytes)")

    def info(self):
        server = self.server
        now = time.time()
        loading = int(server.loading)
        fields = [("loading", loading), ("async_loading", 0)]
        if loading:
            elapsed = max(now - self.load_started, 1e-6)
            done, total = self.load_done, max(self.load_total, 1)
            eta = int(elapsed * (total - done) / done) if done else 1
            fields += [("loading_start_time", int(self.load_started)),
                       ("loading_total_bytes", total), ("loading_rdb_used_mem", 0),
                       ("loading_loaded_bytes", done),
                       ("loading_loaded_perc", f"{100.0 * done / total:.2f}"),
                       ("loading_eta_seconds", eta)]
        snap = self.snapshot
        saving = self.busy in ("rdb",) and snap is not None
        fields += [
            ("current_cow_peak", 0), ("current_cow_size", 0), ("current_cow_size_age", 0),
            ("current_fork_perc", f"{100.0 * snap.keys_done / max(snap.keys_total, 1):.2f}"
             if saving else "0.00"),
            ("current_save_keys_processed", snap.keys_done if saving else 0),
            ("current_save_keys_total", snap.keys_total if saving else 0),
            ("rdb_changes_since_last_save", self.dirty()),
            ("rdb_bgsave_in_progress", int(saving)),
            ("rdb_last_save_time", self.lastsave),
            ("rdb_last_bgsave_status", "ok" if self.last_bgsave_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_secs),
            ("rdb_current_bgsave_time_sec",
             int(now - self.bgsave_started) if saving and self.bgsave_started else -1),
            ("rdb_saves", self.saves), ("rdb_last_cow_size", 0),
            ("rdb_last_load_keys_expired", self.keys_expired),
            ("rdb_last_load_keys_loaded", self.keys_loaded),
            ("rdb_last_bgsave_epoch_usec", self.last_stall[0]),
            ("rdb_last_bgsave_max_capture_usec", self.last_stall[1])]
        return fields


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _unlink_temp(path, snap):
    _unlink(os.path.join(os.path.dirname(path) or ".",
                         f"temp-{os.getpid()}-{id(snap) & 0xFFFFFF}.rdb"))
