"""Persistence commands: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, DUMP, RESTORE, MIGRATE and
DEBUG RELOAD / DEBUG LOADAOF; install() wires RDB and AOF persistence into the server
(extension, INFO persistence, FLUSHALL's save, the LOADING gate, start-up loading).
The machinery lives in persistence/ (rdb.py, snapshot.py, aof*.py, dump.py)."""

import os
import threading
import time

from .. import errors
from ..db.access import word_for_restore
from ..db.keyspace import now_ms
from ..errors import CommandError
from ..log import log
from ..persistence.aof_load import load_aof
from ..persistence.aof_rewrite import AofManager
from ..persistence.dump import PayloadError, dump_payload, restore_value
from ..persistence.rdb import LoadError, RdbPersistence
from ..resp.writer import OK
from . import INSTALLERS
from .args import to_int
from .dispatch import gate_needs
from .registry import command, ks
from .server import DEBUG_SUBCOMMANDS

SERVER = dict(group="server")
_ADMIN = "admin noscript no_async_loading"
BGSAVE_RUNNING = "ERR Background save already in progress"
BGSAVE_AOF_BUSY = ("ERR Another child process is active (AOF?): can't BGSAVE right now. Use "
                   "BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
AOF_RUNNING = "ERR Background append only file rewriting already in progress"
BUSYKEY = "BUSYKEY Target key name already exists."
INVALID_TTL = "ERR Invalid TTL value, must be >= 0"


# -- SAVE / BGSAVE / LASTSAVE / BGREWRITEAOF ------------------------------------------------
@command("save", 1, _ADMIN + " no_multi", **SERVER)
def cmd_save(c, argv):
    rdb = c.server.rdb
    ok = rdb.save()
    if ok is None:
        raise CommandError(BGSAVE_RUNNING)
    if not ok:
        raise CommandError("ERR")
    return OK


@command("bgsave", -1, _ADMIN, **SERVER)
def cmd_bgsave(c, argv):
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError(errors.SYNTAX)
    rdb = c.server.rdb
    if rdb.busy == "rdb":
        raise CommandError(BGSAVE_RUNNING)
    if rdb.busy is not None:
        if not schedule:
            raise CommandError(BGSAVE_AOF_BUSY)
        rdb.bgsave_scheduled = True
        return "Background saving scheduled"
    if not rdb.bgsave():
        if schedule:
            rdb.bgsave_scheduled = True
            return "Background saving scheduled"
        raise CommandError(BGSAVE_RUNNING)
    return "Background saving started"


@command("lastsave", 1, "loading stale fast", acl="admin dangerous",
         tips=("nondeterministic_output",), **SERVER)
def cmd_lastsave(c, argv):
    return c.server.rdb.lastsave


@command("bgrewriteaof", 1, _ADMIN, **SERVER)
def cmd_bgrewriteaof(c, argv):
    server = c.server
    rdb, aof = server.rdb, server.aof
    if rdb.busy == "aof":
        raise CommandError(AOF_RUNNING)
    if rdb.busy is not None or not aof.bgrewrite():
        aof.rewrite_scheduled = True
        return "Background append only file rewriting scheduled"
    return "Background append only file rewriting started"


# -- DUMP / RESTORE ----------------------------------------------------------------------------
@command("dump", 2, "readonly", acl="keyspace", keys=[ks("RO access", 1)],
         tips=("nondeterministic_output",), group="generic")
def cmd_dump(c, argv):
    value = c.db.lookup_read(argv[1])
    if value is None:
        return None
    return dump_payload(value, c.server.config)


def _restore_options(argv):
    replace = absttl = False
    idle = freq = None
    j = 4
    while j < len(argv):
        word = argv[j].lower()
        more = len(argv) - j - 1
        if word == b"replace":
            replace = True
        elif word == b"absttl":
            absttl = True
        elif word == b"idletime" and more >= 1 and freq is None:
            idle = to_int(argv[j + 1])
            if idle < 0:
                raise CommandError("ERR Invalid IDLETIME value, must be >= 0")
            j += 1
        elif word == b"freq" and more >= 1 and idle is None:
            freq = to_int(argv[j + 1])
            if not 0 <= freq <= 255:
                raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return replace, absttl, idle, freq


@command("restore", -4, "write denyoom", acl="keyspace dangerous", keys=[ks("OW update", 1)],
         group="generic")
def cmd_restore(c, argv):
    replace, absttl, idle, freq = _restore_options(argv)
    db, key = c.db, argv[1]
    if not replace and db.lookup(key) is not None:
        raise CommandError(BUSYKEY)
    ttl = to_int(argv[2])
    if ttl < 0:
        raise CommandError(INVALID_TTL)
    try:
        value = restore_value(argv[3], c.server.config)
    except PayloadError as exc:
        raise CommandError(exc.text) from None
    deleted = replace and db.lookup(key) is not None and db.delete(key)
    if ttl and not absttl:
        ttl += now_ms()
    if ttl and ttl <= now_ms():
        if deleted:
            db.notify("g", "del", key)
            c.propagate_as = [[b"DEL", key]]
        else:
            c.propagate_as = []
        return OK
    db.add(key, value)
    word = word_for_restore(db.ks.lfu, idle, freq, db.ks.lru_clock)
    if word is not None:
        db.set_access_word(key, word)
    if ttl:
        db.set_expire(key, ttl)
    if getattr(value, "member_expires", None):
        from ..db.member_expiry import index_key
        index_key(db, key)
    db.notify("g", "restore", key)
    c.dirty_as = 1
    effect = list(argv)               # as sent, a relative TTL made absolute, as Redis does
    if ttl and not absttl:
        effect[2] = b"%d" % ttl
        effect.append(b"ABSTTL")
    c.propagate_as = [effect]
    return OK


# -- MIGRATE -------------------------------------------------------------------------------------
def _migrate_secrets(argv):
    """MIGRATE's AUTH password and AUTH2 user password, as far as its options read."""
    found = []
    j = 6
    while j < len(argv):
        word, more = argv[j].lower(), len(argv) - j - 1
        if word == b"auth" and more >= 1:
            found.append(j + 1)
            j += 1
        elif word == b"auth2" and more >= 2:
            found += (j + 1, j + 2)
            j += 2
        elif word not in (b"copy", b"replace"):
            break
        j += 1
    return found


@command("migrate", -6, "write no_lock", acl="keyspace dangerous",
         keys=[ks("RW access delete", 3), ks("RW access delete incomplete", keyword="KEYS",
                                             startfrom=-2, last=-1)],
         tips=("nondeterministic_output",), group="generic", redact=_migrate_secrets)
def cmd_migrate(c, argv):
    """DUMP the keys under their stripes, talk to the target with no stripe held (socket
    I/O), then delete what arrived unless COPY (stripes held again, DEL propagated)."""
    host, port = argv[1].decode("utf-8", "replace"), _atoi(argv[2])
    timeout, dbid = to_int(argv[5]), to_int(argv[4])
    copy, replace, auth, keys = _migrate_options(argv)
    if not keys:
        keys = [argv[3]]
    timeout = timeout / 1000.0 if timeout > 0 else 1.0
    server, db = c.server, c.db
    locks = server.key_locks
    stripes = () if c.in_exec else locks.stripes_for(keys)    # EXEC holds every stripe
    locks.acquire(stripes)
    try:
        found = []
        for key in keys:
            value = db.lookup(key)
            if value is not None:
                when = db.get_expire(key)
                ttl = max(when - now_ms(), 1) if when is not None else 0
                found.append((key, value, ttl, dump_payload(value, server.config)))
    finally:
        locks.release(stripes)
    c.propagate_as = []
    if not found:
        return "NOKEY"
    done, error = _migrate_send(host, port, dbid, timeout, replace, auth, found)
    if done and not copy:
        _migrate_delete(c, db, done)
    if error is not None:
        raise CommandError(error)
    return OK


def _migrate_options(argv):
    copy = replace = False
    auth = None
    keys = []
    j = 6
    while j < len(argv):
        word = argv[j].lower()
        more = len(argv) - j - 1
        if word == b"copy":
            copy = True
        elif word == b"replace":
            replace = True
        elif word == b"auth" and more >= 1:
            auth = [argv[j + 1]]
            j += 1
        elif word == b"auth2" and more >= 2:
            auth = [argv[j + 1], argv[j + 2]]
            j += 2
        elif word == b"keys":
            if argv[3]:
                raise CommandError("ERR When using MIGRATE KEYS option, the key argument must "
                                   "be set to the empty string")
            keys = argv[j + 1:]
            break
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return copy, replace, auth, keys


def _atoi(raw):
    """C's atoi, as Redis reads MIGRATE's port: leading spaces, a sign, the digits up to
    the first other character (none: 0)."""
    text = raw.lstrip(b" \t\n\v\f\r")
    sign = -1 if text[:1] == b"-" else 1
    text = text[1:] if text[:1] in (b"-", b"+") else text
    digits = text[:len(text) - len(text.lstrip(b"0123456789"))][:12]
    return sign * int(digits) if digits else 0


def _migrate_send(host, port, dbid, timeout, replace, auth, found):
    """Returns (keys restored, error text or None)."""
    import socket
    from ..replication.propagate import encode_command
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        # Redis waits for the non-blocking connect to be writable, which a refused one
        # also is, and finds out when it writes
        return [], "IOERR error or timeout writing to target instance"
    except (OSError, OverflowError):
        return [], "IOERR error or timeout connecting to the client"
    try:
        out = []
        if auth:
            out.append(encode_command([b"AUTH"] + auth))
        out.append(encode_command([b"SELECT", b"%d" % dbid]))
        for key, _value, ttl, payload in found:
            cmd = [b"RESTORE", key, b"%d" % ttl, payload]
            if replace:
                cmd.append(b"REPLACE")
            out.append(encode_command(cmd))
        try:
            sock.sendall(b"".join(out))
        except OSError:
            return [], "IOERR error or timeout writing to target instance"
        reader = sock.makefile("rb")
        done, error = [], None
        try:
            for n in range(len(out)):
                line = reader.readline()
                if not line.endswith(b"\r\n"):
                    return done, "IOERR error or timeout reading to target instance"
                restored = n - (len(out) - len(found))
                if line[:1] == b"-":
                    if error is None:
                        error = ("ERR Target instance replied with error: "
                                 + line[1:-2].decode("utf-8", "replace"))
                    if restored < 0:
                        return done, error
                elif restored >= 0:
                    done.append(found[restored])
        except OSError:
            return done, "IOERR error or timeout reading to target instance"
        return done, error
    finally:
        sock.close()


def _migrate_delete(c, db, done):
    locks = c.server.key_locks
    keys = [key for key, *_ in done]
    stripes = () if c.in_exec else locks.stripes_for(keys)    # EXEC holds every stripe
    locks.acquire(stripes)
    try:
        gone = []
        for key, value, _ttl, _payload in done:
            if db.lookup(key) is value and db.delete(key):
                db.notify("g", "del", key)
                gone.append(key)
        if gone:
            c.server.keyspace.propagate(db.id, [b"DEL", *gone])
    finally:
        locks.release(stripes)


def _install(server):
    rdb = RdbPersistence(server)
    aof = AofManager(server, rdb)
    server.extensions.append(Lifecycle(server, rdb, aof))
    server.info_providers["persistence"] = lambda s: rdb.info() + aof.info()
    server.flushall_hooks.append(lambda c: _after_flushall(server, c))


INSTALLERS.append(_install)


def _after_flushall(server, c):
    rdb = server.rdb
    rdb.abort_bgsave()
    if rdb.save_points():
        c.loop.post(_save_after_flush, rdb)


def _save_after_flush(rdb):
    for _ in range(500):
        if rdb.busy is None:
            break
        time.sleep(0.01)
    rdb.save()


# -- DEBUG RELOAD / LOADAOF ----------------------------------------------------------------------
def _debug_reload(c, argv):
    if c.in_exec:
        raise CommandError(errors.DEBUG_NOT_IN_EXEC.format("RELOAD"))
    server = c.server
    words = {a.lower() for a in argv[2:]}
    if words - {b"merge", b"noflush", b"nosave"}:
        raise CommandError(errors.SYNTAX)
    rdb = server.rdb
    if b"nosave" not in words:
        ok = rdb.save()
        if not ok:
            raise CommandError("ERR Error trying to save the RDB")
    try:
        rdb.load_file(rdb.path())
    except LoadError as exc:
        log.warning(f"Error trying to load the RDB dump: {exc}")
        raise CommandError("ERR Error trying to load the RDB dump, check server logs.") from None
    _freeze(server)
    log.notice("DB reloaded by DEBUG RELOAD")
    return OK


def _debug_loadaof(c, argv):
    if c.in_exec:
        raise CommandError(errors.DEBUG_NOT_IN_EXEC.format("LOADAOF"))
    server = c.server
    aof = server.aof
    if aof.sink.on:
        aof.sink.flush(fsync=True)
        manifest = aof.existing_manifest()
        if manifest is not None:
            _empty_keyspace(server)
            with _loading(server):
                load_aof(server, server.rdb, manifest, aof.directory())
    log.notice("Append Only File loaded by DEBUG LOADAOF")
    return OK


DEBUG_SUBCOMMANDS[b"reload"] = _debug_reload
DEBUG_SUBCOMMANDS[b"loadaof"] = _debug_loadaof


def _empty_keyspace(server):
    from .server import flush_databases
    locks = server.key_locks
    locks.acquire_all()
    try:
        flush_databases(server, server.keyspace.dbs)
    finally:
        locks.release_all()


def _loading_gate(c, cmd, argv):
    """LOADING for commands without the `loading` flag while a dataset loads."""
    if c.server.loading and gate_needs(c, cmd)[2]:
        return errors.LOADING
    return None


class _loading:
    """Loading state: no propagation, no active expiry, LOADING for other clients."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        s = self.server
        self.sinks, s.keyspace.sinks = s.keyspace.sinks, ()
        s.keyspace.sinks_changed()
        self.expire, s.active_expire_enabled = s.active_expire_enabled, False
        self.outer = not s.loading          # a load inside a load leaves the gate to it
        if self.outer:
            s.set_gate("loading", _loading_gate)
        s.loading = True

    def __exit__(self, *exc):
        s = self.server
        s.keyspace.sinks = self.sinks
        s.keyspace.sinks_changed()
        s.active_expire_enabled = self.expire
        if self.outer:
            s.set_gate("loading", None)
            s.loading = False
        s.rdb.dirty_base = _merged_dirty(s)
        _freeze(s)


def _freeze(server):
    """The GC policy (gcpolicy.py) freezes the dataset after start-up; a load that ends
    later (in the background, DEBUG RELOAD) freezes what it brought in."""
    if getattr(server, "gc_policy", None) is not None:
        import gc
        gc.freeze()


def _merged_dirty(server):
    from ..stats import merged
    return merged(server.all_stats(), "dirty")


# -- the server extension -----------------------------------------------------------------------
class Lifecycle:
    """Start-up loading, shutdown save / AOF flush, and the persistence cron."""

    def __init__(self, server, rdb, aof):
        self.server, self.rdb, self.aof = server, rdb, aof

    def start(self, server):
        cfg = server.config
        try:
            if cfg.appendonly:
                manifest = self.aof.existing_manifest()
                if manifest is not None and (manifest.base or manifest.incrs):
                    self._background(self._load_aof, manifest)
                else:
                    self.aof.create_fresh()
            elif os.path.exists(self.rdb.path()):
                self._background(self._load_rdb)
        except LoadError as exc:
            _fatal(exc)

    def _background(self, fn, *args):
        state = _loading(self.server)
        state.__enter__()
        self.rdb.load_started = time.time()
        self.rdb.load_total = 0

        def run():
            start = time.monotonic()
            try:
                fn(*args)
            except LoadError as exc:
                _fatal(exc)
            except Exception:
                import traceback
                _fatal(traceback.format_exc())
            state.__exit__()
            log.notice(f"DB loaded from disk: {time.monotonic() - start:.3f} seconds")
        threading.Thread(target=run, name="loading", daemon=True).start()

    def _load_rdb(self):
        log.notice("Loading RDB produced by a Redis-compatible server")
        loaded = self.rdb.load_file(self.rdb.path())
        log.notice(f"Done loading RDB, keys loaded: {loaded.keys_loaded}, keys expired: "
                   f"{loaded.keys_expired}.")

    def _load_aof(self, manifest):
        total = load_aof(self.server, self.rdb, manifest, self.aof.directory())
        self.aof.sink.open_existing(manifest, self.aof.directory())
        self.aof.go_live()
        log.notice(f"DB loaded from append only file ({total} commands / keys)")

    def stop(self, server, save=None):
        if not self.rdb.stop(server, save):
            return False
        return self.aof.stop(server, save)

    def cron(self, server):
        if server.loading:
            return
        self.rdb.cron(server)
        self.aof.cron(server)


def _fatal(reason):
    log.warning(f"Fatal error loading the DB: {reason}. Exiting.")
    os._exit(1)
