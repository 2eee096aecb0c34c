"""Server commands: DBSIZE, TIME, FLUSHDB, FLUSHALL, SLOWLOG, SHUTDOWN, DEBUG, MONITOR, ROLE."""

import time

from .. import errors
from ..config import ConfigError, allows, parse_memory, rewrite
from ..db import digest
from ..db.access import idle_ms
from ..db.keyspace import thread_stats
from ..errors import CommandError
from ..locks.striped import MASK
from ..log import log
from ..resp.writer import OK, Error, Raw, SetReply, Verbatim
from ..types import encoding_of
from .args import to_float, to_int, to_nonneg_int
from .dispatch import NO_REPLY
from .registry import command, help_reply
from ..threadstate import peek

SERVER = dict(group="server")


@command("dbsize", 1, "readonly fast", acl="keyspace",
         tips=("request_policy:all_shards", "response_policy:agg_sum"), **SERVER)
def cmd_dbsize(c, argv):
    return c.db.size()


@command("time", 1, "loading stale fast", tips=("nondeterministic_output",), **SERVER)
def cmd_time(c, argv):
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


def _flush_mode(argv):
    """ASYNC and SYNC are accepted and empty the same way: in place, with every stripe
    held (db/lazyfree.py says why nothing faster was found)."""
    if len(argv) > 2:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise CommandError(errors.SYNTAX)


def flush_databases(server, dbs):
    """Empty dbs (caller holds every stripe). Returns the number of keys removed."""
    removed = 0
    ks = server.keyspace
    for db in dbs:
        ks.touch_all_watched(db)
        removed += db.clear()
    for hook in server.flush_hooks:
        hook(dbs)
    return removed


@command("flushdb", -1, "write all_stripes", acl="keyspace dangerous",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"), **SERVER)
def cmd_flushdb(c, argv):
    _flush_mode(argv)
    removed = flush_databases(c.server, [c.db])
    thread_stats().dirty += 1           # always propagated, as Redis forces it
    c.dirty_as = removed                # Redis counts the keys removed
    return OK


@command("flushall", -1, "write all_stripes", acl="keyspace dangerous",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"), **SERVER)
def cmd_flushall(c, argv):
    _flush_mode(argv)
    removed = flush_databases(c.server, c.server.keyspace.dbs)
    thread_stats().dirty += 1
    c.dirty_as = removed
    for hook in c.server.flushall_hooks:
        hook(c)
    return OK


_SLOW = dict(group="server")


@command("slowlog|get", -2, "admin loading stale", tips=("request_policy:all_nodes",
         "nondeterministic_output"), **_SLOW)
def cmd_slowlog_get(c, argv):
    count = 10
    if len(argv) == 3:
        try:
            count = to_int(argv[2])
        except CommandError:
            count = None
        if count is None or count < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
    elif len(argv) > 3:
        raise CommandError(errors.wrong_arity("slowlog|get"))
    return c.server.slowlog.get(count)


@command("slowlog|len", 2, "admin loading stale", tips=("request_policy:all_nodes",
         "response_policy:agg_sum", "nondeterministic_output"), **_SLOW)
def cmd_slowlog_len(c, argv):
    return len(c.server.slowlog)


@command("slowlog|reset", 2, "admin loading stale", tips=("request_policy:all_nodes",
         "response_policy:all_succeeded"), **_SLOW)
def cmd_slowlog_reset(c, argv):
    c.server.slowlog.reset()
    return OK


@command("slowlog|help", 2, "loading stale",
         **_SLOW)
def cmd_slowlog_help(c, argv):
    return help_reply("SLOWLOG")


@command("shutdown", -1, "admin noscript loading stale no_multi allow_busy", **SERVER)
def cmd_shutdown(c, argv):
    save = None
    force = False
    for raw in argv[1:]:
        word = raw.lower()
        if word == b"nosave":
            save = False
        elif word == b"save":
            save = True
        elif word == b"force":
            force = True
        elif word in (b"now", b"abort"):        # NOW: no replicas to wait for
            if word == b"abort":
                raise CommandError("ERR No shutdown in progress.")
        else:
            raise CommandError(errors.SYNTAX)
    if not c.server.shutdown(save, force):
        raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.")
    c.closing = True
    c.replain()
    return NO_REPLY


@command("monitor", 1, "admin noscript loading stale", **SERVER)
def cmd_monitor(c, argv):
    if c.monitor:
        return OK
    c.monitor = True
    c.flags_extra += "O"
    server = c.server
    with server.monitor_lock:
        server.monitors.append(c)
    return OK


@command("role", 1, "noscript loading stale fast", acl="admin dangerous", **SERVER)
def cmd_role(c, argv):
    return c.server.role_reply()


@command("debug", -2, "admin noscript loading stale no_lock",
         **SERVER)
def cmd_debug(c, argv):
    server = c.server
    if not allows(server.config.enable_debug_command, c):
        raise CommandError(errors.DEBUG_DISABLED)
    sub = argv[1].lower()
    handler = peek(DEBUG_SUBCOMMANDS, sub)
    if handler is None:
        raise _unknown_debug(argv)
    return handler(c, argv)


def _debug_sleep(c, argv):
    seconds = to_float(argv[2]) if len(argv) > 2 else 0.0
    time.sleep(seconds)
    return OK


def _debug_object(c, argv):
    if len(argv) != 3:
        raise CommandError(errors.SYNTAX)
    with _holding(c, [argv[2]]):
        value = c.db.lookup(argv[2], touch=False)
        if value is None:
            raise CommandError(errors.NO_SUCH_KEY)
        enc = encoding_of(value, c.server.config)
        size = len(value) if hasattr(value, "__len__") else 0
        word = c.db.access_word(argv[2])
    # lru_seconds_idle reads the word as an LRU clock whatever the policy, as Redis does
    return (f"Value at:0x0 refcount:1 encoding:{enc} serializedlength:{size} lru:{word} "
            f"lru_seconds_idle:{idle_ms(word, c.db.ks.lru_clock) // 1000}")


def _debug_active_expire(c, argv):
    if len(argv) != 3:
        raise CommandError(errors.SYNTAX)
    c.server.active_expire_enabled = to_int(argv[2]) != 0
    return OK


class _holding:
    """The stripes of keys (every stripe when keys is None) for a DEBUG subcommand. DEBUG
    is a no_lock command: inside EXEC, which then holds every stripe, it takes none."""

    def __init__(self, c, keys=None):
        locks = self.locks = c.server.key_locks
        self.idx = None if c.in_exec else locks.all if keys is None else locks.stripes_for(keys)

    def __enter__(self):
        if self.idx is not None:
            self.locks.acquire(self.idx)

    def __exit__(self, *exc):
        if self.idx is not None:
            self.locks.release(self.idx)


def _debug_digest(c, argv):
    """DEBUG DIGEST: the whole dataset's digest (db/digest.py), every stripe held."""
    if len(argv) != 2:
        raise _unknown_debug(argv)
    with _holding(c):
        return digest.hex40(digest.dataset_digest(c.server.keyspace.dbs))


def _debug_digest_value(c, argv):
    """DEBUG DIGEST-VALUE key ...: each value's digest, zeros for a missing key; expired
    keys not yet deleted count, as Redis reads them."""
    keys = argv[2:]
    if not keys:
        return []
    db = c.db
    out = []
    with _holding(c, keys):
        for key in keys:
            value = peek(db.data[hash(key) & MASK], key)
            d = 0 if value is None else digest.value_digest(
                value, db.get_expire(key) is not None)
            out.append(digest.hex40(d))
    return out


def _debug_populate(c, argv):
    """DEBUG POPULATE count [prefix] [size]: string keys prefix:0 ... holding value:N
    (padded with zero bytes or cut to size), skipping keys that exist; like Redis, not
    propagated, and the key name is cut at 127 bytes."""
    if len(argv) > 5:
        raise _unknown_debug(argv)
    count = _positive(argv[2])
    size = _positive(argv[4]) if len(argv) == 5 else 0
    prefix = errors.c_string(argv[3]) if len(argv) > 3 else b"key"
    db = c.db
    stats = thread_stats()
    dirty = stats.dirty                      # Redis's dbAdd: no change counted, so
    try:                                     # nothing propagates
        with _holding(c):
            for j in range(count):
                key = (b"%s:%d" % (prefix, j))[:127]
                if db.lookup(key, touch=False) is not None:
                    continue
                value = b"value:%d" % j
                if size:
                    value = value[:size].ljust(size, b"\0")
                db.add(key, value)
    finally:
        stats.dirty = dirty
    return OK


def _positive(raw):
    """Redis's getPositiveLongFromObjectOrReply: one error for both ways to fail."""
    try:
        return to_nonneg_int(raw)
    except CommandError:
        raise CommandError(errors.MUST_BE_POSITIVE) from None


def _debug_log(c, argv):
    if len(argv) != 3:
        raise _unknown_debug(argv)
    log.warning(f"DEBUG LOG: {errors.c_string(argv[2]).decode('utf-8', 'replace')}")
    return OK


def _debug_error(c, argv):
    """DEBUG ERROR text: text as an error reply (newlines made spaces)."""
    if len(argv) != 3:
        raise _unknown_debug(argv)
    return Error(argv[2].decode("utf-8", "replace"))


def _debug_help(c, argv):
    if len(argv) != 2:
        raise _unknown_debug(argv)
    return help_reply("DEBUG")


_BIGNUM = b"1234567999999999999999999999999999999"
_AFTER_ATTRIBUTE = b"Some real reply following the attribute"
_AFTER_PUSH = b"Some real reply following the push reply"
_PROTOCOL_SAMPLES = {          # DEBUG PROTOCOL type: its sample reply in RESP2 and RESP3
    b"string": lambda resp3: b"Hello World",
    b"integer": lambda resp3: 12345,
    b"double": lambda resp3: 3.141,
    b"bignum": lambda resp3: Raw(b"(%s\r\n" % _BIGNUM) if resp3 else _BIGNUM,
    b"null": lambda resp3: None,
    b"array": lambda resp3: [0, 1, 2],
    b"set": lambda resp3: SetReply([0, 1, 2]),
    b"map": lambda resp3: {0: False, 1: True, 2: False},
    # an attribute, then the reply it annotates (RESP2 has no attributes: the reply alone)
    b"attrib": lambda resp3: Raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n"
                                 b":90\r\n$39\r\n%s\r\n" % _AFTER_ATTRIBUTE)
    if resp3 else _AFTER_ATTRIBUTE,
    # a push, then a reply for a client that waits for one
    b"push": lambda resp3: Raw(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\n%s\r\n"
                               % _AFTER_PUSH) if resp3 else Error(errors.RESP2_UNSUPPORTED),
    b"verbatim": lambda resp3: Verbatim("This is a verbatim\nstring"),
    b"true": lambda resp3: True,
    b"false": lambda resp3: False,
}


def _debug_protocol(c, argv):
    """DEBUG PROTOCOL type: a sample of each RESP3 reply type, for client tests."""
    if len(argv) != 3:
        raise _unknown_debug(argv)
    sample = peek(_PROTOCOL_SAMPLES, argv[2].lower())
    if sample is None:
        raise CommandError(errors.DEBUG_PROTOCOL_TYPES)
    return sample(c.resp3)


def _debug_packed_threshold(c, argv):
    """DEBUG QUICKLIST-PACKED-THRESHOLD size: Redis stores list elements of at least size
    bytes in nodes of their own. Lists here are deques with no such nodes, so nothing
    changes but what Redis checks: a memory value up to 4 GiB - 1 MiB (0 restores)."""
    if len(argv) != 3:
        raise _unknown_debug(argv)
    try:
        size = parse_memory(argv[2].decode("utf-8", "replace"))
    except ConfigError:
        raise CommandError(errors.PACKED_THRESHOLD) from None
    if size > (1 << 32) - (1 << 20):
        raise CommandError(errors.PACKED_THRESHOLD)
    return OK


def _debug_rewrite_all(c, argv):
    """DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE with every option written, those
    at their defaults too (an empty list, such as replicaof, has no line to write)."""
    if len(argv) != 2:
        raise _unknown_debug(argv)
    try:
        rewrite(c.server.config, force_all=True)
    except ConfigError as exc:
        raise CommandError(f"ERR CONFIG-REWRITE-FORCE-ALL failed: {exc}") from None
    except OSError as exc:
        raise CommandError(f"ERR CONFIG-REWRITE-FORCE-ALL failed: {exc.strerror}") from None
    return OK


def _unknown_debug(argv):
    return CommandError("ERR unknown subcommand or wrong number of arguments for "
                        f"'{argv[1].decode('utf-8', 'replace')}'. Try DEBUG HELP.")


DEBUG_SUBCOMMANDS = {
    b"sleep": _debug_sleep,
    b"object": _debug_object,
    b"set-active-expire": _debug_active_expire,
    b"digest": _debug_digest,
    b"digest-value": _debug_digest_value,
    b"populate": _debug_populate,
    b"log": _debug_log,
    b"error": _debug_error,
    b"help": _debug_help,
    b"protocol": _debug_protocol,
    b"quicklist-packed-threshold": _debug_packed_threshold,
    b"config-rewrite-force-all": _debug_rewrite_all,
}
