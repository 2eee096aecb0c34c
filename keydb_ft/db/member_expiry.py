"""Member expiry on the keyspace side: lazy purging on lookup, the index of keys whose
values carry member expiries, and the active cycle the cron runs over that index.

The truth lives on the value (value.member_expires, see types/member_expiry.py), so RENAME,
MOVE, COPY and SWAPDB carry member TTLs along with the value. The index is a hint for the
active cycle: MemberIndex.stripes[i] maps a database id to the set of its keys in stripe i
that had member expiries when last seen, guarded by stripe lock i (like db.data[i]).
Database.lookup purges due members of any value it returns and (re)indexes the key, so a
key that got its value through RENAME / MOVE / COPY is indexed at its first access.

Expired members are removed as Redis removes expired keys: propagated as the type's
removal command (HDEL / SREM / ZREM), with a keyspace event, WATCH touched, no dirty
count; an emptied container is deleted with its key ("del" event). Replicas leave member
expiry to their master, as they do for keys.
"""

import time

from ..locks import STRIPES
from ..locks.striped import MASK
from ..types.member_expiry import EXPIRING
from ..threadstate import peek


def now_ms():
    return time.time_ns() // 1_000_000


class MemberIndex:
    def __init__(self):
        self.stripes = tuple({} for _ in range(STRIPES))   # a tuple: read by every loop
        self.cursor = 0                   # the cron's position; cron thread only

    def add(self, db, i, key):
        by_db = self.stripes[i]
        keys = peek(by_db, db.id)
        if keys is None:
            keys = by_db[db.id] = set()
        keys.add(key)

    def discard(self, db, i, key):
        by_db = self.stripes[i]
        if by_db:
            keys = peek(by_db, db.id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del by_db[db.id]

    # -- keyspace hooks (the caller holds the stripes concerned) ------------------------
    def key_deleted(self, db, key):
        self.discard(db, hash(key) & MASK, key)

    def flushed(self, dbs):
        ids = {db.id for db in dbs}
        for by_db in self.stripes:
            for dbid in ids & by_db.keys():
                del by_db[dbid]

    def swapped(self, a, b):
        for by_db in self.stripes:
            keys_a, keys_b = by_db.pop(a, None), by_db.pop(b, None)
            if keys_a:
                by_db[b] = keys_a
            if keys_b:
                by_db[a] = keys_b


def purge_due(db, i, key, value):
    """Called by Database.lookup (stripe i held) for a value with member expiries: remove
    the members whose time has come. Returns the value, or None when the key went away."""
    ks = db.ks
    expires = value.member_expires
    due = expires.next_due()
    now = now_ms()
    if due is not None and due <= now and _may_expire(ks):
        snapshot = getattr(ks, "snapshot", None)
        if snapshot is not None:            # a BGSAVE epoch: capture the stripe first
            snapshot.touch_one(i)
        removed = [m for m in expires.pop_due(now) if value.remove_member(m)]
        if removed:
            value = _report(db, i, key, value, removed)
            if value is None:
                return None
    index = getattr(ks, "member_index", None)
    if not value.member_expires:
        value.member_expires = None
        if index is not None:
            index.discard(db, i, key)
    elif index is not None:
        index.add(db, i, key)
    return value


def _may_expire(ks):
    """Replicas leave expiry to their master (unless they are active replicas), and
    nothing expires while clients are paused (Keyspace.may_expire)."""
    return ks.may_expire()


def _report(db, i, key, value, removed):
    ks = db.ks
    command, type_class, event = EXPIRING[type(value)]
    ks.propagate(db.id, [command, key, *removed])
    ks.notify(db.id, type_class, event, key)
    if ks.watched:
        ks.touch_watched(db, key)
    if value:
        return value
    del db.data[i][key]
    db.access[i].pop(key, None)
    exp = db.expires[i]
    if exp:
        exp.pop(key, None)
    ks.key_deleted(db, key)
    ks.notify(db.id, "g", "del", key)
    return None


def index_key(db, key):
    """A command gave the value at key its first member expiry: let the cron know."""
    index = getattr(db.ks, "member_index", None)
    if index is not None:
        index.add(db, hash(key) & MASK, key)


def active_cycle(server, index):
    """Cron: visit the indexed keys stripe by stripe (each under its stripe lock) and let
    lookup purge their due members, within the same time budget as key expiry."""
    cfg = server.config
    budget = (1.0 / cfg.hz) * (0.25 + 0.05 * (cfg.active_expire_effort - 1))
    deadline = time.monotonic() + budget
    dbs = server.keyspace.dbs
    locks = server.key_locks.stripes
    stripes = index.stripes
    cursor = index.cursor
    for _ in range(STRIPES):
        i = cursor
        cursor = (cursor + 1) % STRIPES
        if stripes[i]:
            with locks[i]:
                for dbid, keys in list(stripes[i].items()):
                    _visit(dbs[dbid], i, keys, index)
            if time.monotonic() > deadline:
                break
    index.cursor = cursor


def _visit(db, i, keys, index):
    data = db.data[i]
    for key in list(keys):
        value = peek(data, key)
        if value is None or type(value) not in EXPIRING or value.member_expires is None:
            index.discard(db, i, key)
        else:
            db.lookup(key, touch=False)


class MemberExpiryCron:
    """A server extension (start / stop / cron) running the active cycle."""

    def __init__(self, index):
        self.index = index

    def start(self, server):
        pass

    def stop(self, server, save=None):
        return True

    def cron(self, server):
        if getattr(server, "active_expire_enabled", True) and _may_expire(server.keyspace):
            active_cycle(server, self.index)


def install(server):
    """Wire the index into the keyspace and the server's hooks (before threads start)."""
    index = MemberIndex()
    ks = server.keyspace
    ks.member_index = index
    ks.delete_hooks.append(index.key_deleted)
    server.flush_hooks.append(index.flushed)
    server.swapdb_hooks.append(index.swapped)
    server.extensions.append(MemberExpiryCron(index))
    return index
