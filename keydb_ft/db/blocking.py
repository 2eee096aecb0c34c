"""Clients blocked on keys: BLPOP & co, BZPOPMIN & co, XREAD / XREADGROUP BLOCK.

API for a blocking command. The handler runs on its client's loop with the stripes of
its keys held (by the dispatcher, or by EXEC); it first tries to serve the request at
once and, when it cannot, ends with:

    return block(c, keys, timeout_ms, retry, timeout_reply=NULL_ARRAY, extra_keys=())

  keys         the keys waited on, in c.db (duplicates are ignored).
  timeout_ms   int milliseconds, 0 = forever (commands/blocking.py: parse_timeout).
  retry        retry(c, key) -> reply or None. Called later on c's loop, with the
               stripes of keys + extra_keys held, when `key` may have become servable.
               Return the reply to serve (and unblock) the client, None to keep
               waiting (also for a key of another type: Redis 7.0 leaves such clients
               blocked). Set c.propagate_as to the effect; raise CommandError to
               unblock the client with that error.
  timeout_reply  sent on timeout and by CLIENT UNBLOCK id TIMEOUT.
  extra_keys   more keys retry() touches (BLMOVE's destination).
  ends_when_gone  the wait ends when a key it waits on is deleted (DEL, expiry, FLUSHDB,
               SWAPDB) as well: retry() then finds no key and replies. XREADGROUP's
               waiters end so in Redis 7.0 (a new stream would lack their group); the
               others wait on for the key to come back.

block() returns dispatch.NO_REPLY (the reply comes later), or timeout_reply at once
when the client may not block (inside EXEC, or c.deny_blocking as in scripts).
Database.add() / set() signal the keys they create. A writer that makes an existing
key servable (XADD to an existing stream) calls key_ready(db, key) itself, while it
holds the key's stripe. CLIENT UNBLOCK calls unblock(); a closing client is dropped.

Discipline (no lock of its own):
- waiting[i] = {(db id, key): {Waiter: None, ...} in blocking order} for the keys of
  stripe i: read and written only under stripe lock i. Registering happens while the
  blocking command still holds the stripe after finding nothing, and writers signal
  while they hold it, so a wake-up is never lost.
- Waiter.active: cleared, with every stripe of the waiter's keys held, by whoever ends
  the wait (served, timed out, CLIENT UNBLOCK, disconnect); that one owns the reply.
- Client.blocked: the client's loop thread only.

Wake-ups: a ready key posts one retry to the loop of its first waiter. After a retry,
the next waiter in line is woken if the key still exists (served: the new first waiter;
not served: the waiter after it): elements go to waiters in the order they blocked
(first blocked, first served, as in Redis) and readers that do not consume (XREAD) are
all reached. A retry that finds the element taken by another client keeps waiting.
"""

import traceback
from time import perf_counter_ns

from ..errors import CommandError
from ..locks.striped import MASK, STRIPES
from ..log import log
from ..resp.writer import NULL_ARRAY, Error
from ..threadstate import peek, settle_dirty

_FOREVER_MS = 1 << 62       # longer timeouts overflow Redis's deadline: they never fire


class Waiter:
    __slots__ = ("client", "db", "keys", "stripes", "retry", "timeout_reply", "timer",
                 "active", "mute", "ends_when_gone", "ran")

    def __init__(self, c, keys, stripes, retry, timeout_reply, ends_when_gone=False):
        self.client = c
        self.db = c.db
        self.keys = keys
        self.stripes = stripes
        self.retry = retry
        self.timeout_reply = timeout_reply
        self.timer = None
        self.active = True
        self.mute = c.mute
        self.ends_when_gone = ends_when_gone
        self.ran = None          # (command, argv, us) once it ran (dispatch.run)


class BlockingIndex:
    """The keys clients wait on, per stripe (see the module docstring)."""

    def __init__(self):
        self.waiting = tuple({} for _ in range(STRIPES))   # a tuple: read by every write

    def register(self, w):
        dbid = w.db.id
        for key in w.keys:
            self.waiting[hash(key) & MASK].setdefault((dbid, key), {})[w] = None

    def remove(self, w):
        """End w's wait (stripes of its keys held); wake the next waiter of each key it
        was first in line for."""
        w.active = False
        db = w.db
        for key in w.keys:
            i = hash(key) & MASK
            slot = self.waiting[i]
            ident = (db.id, key)
            queue = slot[ident]
            first = next(iter(queue)) is w
            del queue[w]
            if not queue:
                del slot[ident]
            elif first and key in db.data[i]:
                _wake(next(iter(queue)), key)

    def signal(self, db, key):
        """key (in db) may be servable now: wake its first waiter (key's stripe held)."""
        queue = peek(self.waiting[hash(key) & MASK], (db.id, key))
        if queue:
            _wake(next(iter(queue)), key)

    def key_gone(self, db, key):
        """key in db was deleted (its stripe held): wake the waiters that end then."""
        queue = peek(self.waiting[hash(key) & MASK], (db.id, key))
        if queue:
            for w in queue:
                if w.ends_when_gone:
                    _wake(w, key)

    def flushed(self, dbs):
        """After FLUSHDB / FLUSHALL (every stripe held): every key in dbs is gone."""
        ids = {db.id for db in dbs}
        for slot in self.waiting:
            for (dbid, key), queue in slot.items():
                if dbid in ids:
                    for w in queue:
                        if w.ends_when_gone:
                            _wake(w, key)

    def pass_on(self, w, key):
        """w could not be served from key: wake the waiter after it, if the key exists."""
        i = hash(key) & MASK
        if key not in w.db.data[i]:
            return
        queue = iter(peek(self.waiting[i], (w.db.id, key), ()))
        for waiter in queue:
            if waiter is w:
                following = next(queue, None)
                if following is not None:
                    _wake(following, key)
                return

    def signal_all(self, dbs, ids):
        """After SWAPDB (every stripe held): wake the keys waited on in dbs[id] for id in
        ids that exist now, and the waiters that end when their key is gone."""
        for i, slot in enumerate(self.waiting):
            for (dbid, key), queue in list(slot.items()):
                if dbid not in ids:
                    continue
                if key in dbs[dbid].data[i]:
                    _wake(next(iter(queue)), key)
                else:
                    for w in queue:
                        if w.ends_when_gone:
                            _wake(w, key)


def key_ready(db, key):
    """A writer holding key's stripe made key servable (e.g. XADD to a stream)."""
    ks = db.ks
    if ks.waiting[hash(key) & MASK]:
        ks.blocking.signal(db, key)


def can_block(c):
    """False inside EXEC, and for clients that must not wait (c.deny_blocking: scripts)."""
    return not (c.in_exec or getattr(c, "deny_blocking", False))


def block(c, keys, timeout_ms, retry, timeout_reply=NULL_ARRAY, extra_keys=(),
          ends_when_gone=False):
    """Block c on keys (their stripes held by the caller); see the module docstring."""
    from ..commands.dispatch import NO_REPLY
    if not can_block(c):
        return timeout_reply
    keys = tuple(dict.fromkeys(keys))
    server = c.server
    stripes = server.key_locks.stripes_for(list(keys) + list(extra_keys))
    w = Waiter(c, keys, tuple(stripes), retry, timeout_reply, ends_when_gone)
    server.keyspace.blocking.register(w)
    c.blocked = w
    c.replain()
    if 0 < timeout_ms < _FOREVER_MS:
        w.timer = c.loop.call_later(timeout_ms / 1000.0, _timed_out, w)
    return NO_REPLY


def unblock(target, error, held=False):
    """CLIENT UNBLOCK: end target's wait with the timeout reply or an UNBLOCKED error.
    True if target was blocked. held: the caller already holds every stripe (EXEC)."""
    w = target.blocked
    if w is None or not _claim(w, held):
        return False
    if error:
        target.loop.post(_unblocked_by_error, w)
    else:
        target.loop.post(_finish, w, w.timeout_reply)
    return True


def end_wait(w, reply):
    """End a keyless wait (WAIT) with reply, on its client's loop; False when it had
    already ended (timed out, CLIENT UNBLOCK, closed)."""
    if not _claim(w):
        return False
    _finish(w, reply)
    return True


def _unblocked_by_error(w):
    _ended(w, 0)
    _finish(w, Error("UNBLOCKED client unblocked via CLIENT UNBLOCK"))


def client_closed(c):
    """Close hook (c's loop): forget the wait of a client that went away."""
    w = c.blocked
    if w is not None:
        _claim(w)
        _cancel_timer(w)
        c.blocked = None
        c.replain()


# -- on the waiter's loop ----------------------------------------------------------------
def _wake(w, key):
    w.client.loop.post(_serve, w, key)


def _serve(w, key):
    if not w.active:
        return
    c = w.client
    locks = c.server.key_locks
    locks.acquire(w.stripes)
    try:
        if not w.active:
            return
        start = perf_counter_ns()
        reply = _attempt(w, key)
        if reply is None:
            c.server.keyspace.blocking.pass_on(w, key)
            return
        c.server.keyspace.blocking.remove(w)
    finally:
        locks.release(w.stripes)
    _ended(w, (perf_counter_ns() - start) // 1000)
    _finish(w, reply)


def _ended(w, serve_us):
    if w.ran is not None:
        from ..commands.dispatch import wait_ended
        wait_ended(w.client, w.ran, serve_us)


def _attempt(w, key):
    c = w.client
    stats = c.loop.stats
    dirty = stats.dirty
    c.propagate_as = None
    try:
        reply = w.retry(c, key)
    except CommandError as exc:
        reply = Error(exc.text)
    except Exception:
        stats.unexpected_errors += 1
        log.warning(f"Unexpected error in '{c.last_cmd}':\n{traceback.format_exc()}")
        reply = Error(f"ERR internal error while executing '{c.last_cmd}'")
    ks = c.server.keyspace
    if reply is not None and stats.dirty != dirty and ks.propagating:
        for effect in c.propagate_as or ():
            ks.propagate(w.db.id, effect)
    if c.dirty_as is not None:
        settle_dirty(c, stats, dirty)
    return reply


def _claim(w, held=False):
    locks = w.client.server.key_locks
    if not held:
        locks.acquire(w.stripes)
    try:
        if not w.active:
            return False
        w.client.server.keyspace.blocking.remove(w)
        return True
    finally:
        if not held:
            locks.release(w.stripes)


def _timed_out(w):
    w.timer = None
    if _claim(w):
        _finish(w, w.timeout_reply)


def _cancel_timer(w):
    if w.timer is not None:
        w.client.loop.cancel(w.timer)
        w.timer = None


def _finish(w, reply):
    """Send the reply of an ended wait and go on with the requests read meanwhile."""
    c = w.client
    _cancel_timer(w)
    if c.blocked is w:
        c.blocked = None
        c.replain()
    if c.closed:
        return
    c.mute = w.mute
    c.reply(reply)
    if type(reply) is Error:
        _count_failure(c, reply)
    c.resume()


def _count_failure(c, text):
    from ..commands.dispatch import _count_error
    from ..commands.registry import COMMANDS
    stats = c.loop.stats
    row = stats.commands.get(peek(COMMANDS, c.last_cmd.encode()))
    if row is not None:
        row[3] += 1
    _count_error(stats, text)
