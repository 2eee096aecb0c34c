"""MULTI / EXEC / DISCARD / WATCH / UNWATCH. EXEC holds the stripes of every queued
command's keys (all stripes if one of them needs that) for the whole transaction, so
it is atomic with respect to every other thread."""

from .. import errors
from ..db.keyspace import now_ms
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY, OK, Raw
from .dispatch import run
from .registry import command, ks

TX = dict(group="transactions")
_TX_FLAGS = "noscript loading stale fast allow_busy multi_ok"


@command("multi", 1, _TX_FLAGS, acl="transaction", **TX)
def cmd_multi(c, argv):
    if c.in_multi:
        raise CommandError(errors.NESTED_MULTI)
    c.in_multi = True
    c.replain()
    c.multi_queue = []
    c.multi_error = False
    return OK


@command("discard", 1, _TX_FLAGS, acl="transaction", **TX)
def cmd_discard(c, argv):
    if not c.in_multi:
        raise CommandError(errors.NOT_IN_MULTI_DISCARD)
    end_transaction(c)
    return OK


def end_transaction(c):
    c.in_multi = False
    c.replain()
    c.multi_queue = []
    c.multi_error = False
    unwatch(c)


def unwatch(c):
    if c.watched:
        c.server.keyspace.unwatch_all(c, c.watched)
        c.watched = []
    c.dirty_cas = False


@command("watch", -2, _TX_FLAGS, acl="transaction", keys=[ks("RO", 1, last=-1)], group="transactions")
def cmd_watch(c, argv):
    if c.in_multi:
        raise CommandError(errors.WATCH_IN_MULTI)
    if c.dirty_cas:
        return OK      # already doomed; Redis does not bother watching more keys
    ks_ = c.server.keyspace
    db = c.db
    now = now_ms()
    seen = set(c.watched)
    for key in argv[1:]:
        if (db.id, key) in seen:
            continue
        when = db.get_expire(key)
        expired = when is not None and when <= now
        ks_.watch(c, db.id, key, expired)
        c.watched.append((db.id, key))
        seen.add((db.id, key))
    return OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", acl="transaction", **TX)
def cmd_unwatch(c, argv):
    unwatch(c)
    return OK


def _watched_key_expired(c):
    """A watched key has expired since WATCH (not yet deleted): EXEC fails, as Redis's
    does. Keys that had already expired when watched do not count."""
    now = now_ms()
    ks = c.server.keyspace
    dbs = ks.dbs
    for dbid, key in c.watched:
        if ks.watched_as_expired(c, dbid, key):
            continue
        db = dbs[dbid]
        when = db.get_expire(key)
        if when is not None and when <= now and key in db.data[hash(key) & (len(db.data) - 1)]:
            return True
    return False


@command("exec", 1, "noscript loading stale skip_slowlog multi_ok no_lock runs_queue", acl="transaction", group="transactions")
def cmd_exec(c, argv):
    if not c.in_multi:
        raise CommandError(errors.NOT_IN_MULTI_EXEC)
    queue = c.multi_queue
    if c.multi_error:
        end_transaction(c)
        raise CommandError(errors.EXECABORT)
    server = c.server
    key_locks = server.key_locks
    stripes = _stripes_for(c, queue)
    key_locks.acquire(stripes)
    try:
        if c.dirty_cas or _watched_key_expired(c):
            end_transaction(c)
            return NULL_ARRAY
        c.in_multi = False
        c.replain()
        c.in_exec = True
        c.multi_queue = []
        replies = []
        out = c.out
        mute = c.mute
        server.keyspace.propagate_begin(c)
        try:
            for cmd, cargv in queue:
                c.out = []
                c.mute = False
                run(c, cmd, cargv, locked=True)
                replies.append(Raw(b"".join(c.out)))
        finally:
            server.keyspace.propagate_end(c)
            c.out = out
            c.mute = mute
            c.in_exec = False
            c.propagate_as = []     # the queued commands propagated themselves, not EXEC
        unwatch(c)
        return replies
    finally:
        key_locks.release(stripes)


def _stripes_for(c, queue):
    """Stripes of every queued command's keys and of the watched keys."""
    key_locks = c.server.key_locks
    keys = [key for _dbid, key in c.watched]
    for cmd, argv in queue:
        if "all_stripes" in cmd.flags or "no_lock" in cmd.flags:
            return key_locks.all
        keys.extend(cmd.keys(argv))
    return key_locks.stripes_for(keys) if keys else ()
