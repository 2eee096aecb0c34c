"""Active expiry: the cron thread walks the stripes round-robin, each under its stripe
lock, and deletes the keys whose time has come, within a time budget per cycle
(25% of a cron tick, more with active-expire-effort)."""

import time

from ..locks import STRIPES
from .keyspace import now_ms


def active_expire_cycle(server):
    if not getattr(server, "active_expire_enabled", True):
        return
    if not server.keyspace.may_expire():
        return                          # a replica's keys go when its master says
    cfg = server.config
    budget = (1.0 / cfg.hz) * (0.25 + 0.05 * (cfg.active_expire_effort - 1))
    began = time.monotonic()
    deadline = began + budget
    # only the databases holding keys with a TTL (any() over a db's stripe dicts runs in
    # C): a generator per stripe over all 16 databases cost 3 ms a cycle with no TTLs
    dbs = [db for db in server.keyspace.dbs if any(db.expires)]
    locks = server.key_locks.stripes
    cursor = server.expire_cursor
    for _ in range(STRIPES if dbs else 0):
        i = cursor
        cursor = (cursor + 1) % STRIPES
        for db in dbs:
            if db.expires[i]:
                break
        else:
            continue
        with locks[i]:
            now = now_ms()
            for db in dbs:
                exp = db.expires[i]
                if exp:
                    due = [k for k, when in exp.items() if when <= now]
                    for key in due:
                        db._expire_now(i, key)
        if time.monotonic() > deadline:
            break
    server.expire_cursor = cursor
    spent = time.monotonic() - began
    server.expire_cycle_us += int(spent * 1_000_000)     # expire_cycle_cpu_milliseconds
    threshold = cfg.latency_monitor_threshold
    if threshold:
        ms = int(spent * 1000)
        if ms >= threshold:
            server.latency.add("expire-cycle", ms)
