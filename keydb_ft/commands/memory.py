"""MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP.

The numbers are keydb-ft's own: what its Python objects take (sys.getsizeof, sampled
as Redis samples nested values), and the process's resident size for the totals. They
are not redis-server's byte counts for the same data, which are smaller.
"""

import gc
import sys
from collections import deque
from itertools import islice

from .. import errors
from ..errors import CommandError
from ..locks.striped import MASK
from ..resp.writer import OK, Verbatim
from .args import to_int
from .registry import command, help_reply, ks

_MEM = dict(group="server")
# a key's entries in the stripe dicts that hold it (data and access words): hash, key
# and value pointers, plus the index slot, with the table about two-thirds full
_ENTRY_BYTES = 2 * (24 + 12)
_ATOMS = (bytes, bytearray, str, int, float, bool, type(None))


def value_size(value, samples):
    """Bytes of value and what it holds; containers' elements are sampled (the first
    `samples` of them, scaled to the whole), as Redis's objectComputeSize does."""
    return _size(value, samples, 0, set())


def _size(obj, samples, depth, seen):
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, _ATOMS) or depth > 4:
        return size
    for name in getattr(type(obj), "__slots__", ()):      # the value's own tables
        part = getattr(obj, name, None)
        if part is not None and not isinstance(part, (bool, int, float)):
            size += _size(part, samples, depth + 1, seen)
    if hasattr(obj, "__dict__"):
        for part in vars(obj).values():
            size += _size(part, samples, depth + 1, seen)
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple, set, frozenset, deque)):
        items = obj
    else:
        return size
    count = len(obj)
    if not count:
        return size
    taken = 0
    total = 0
    for item in islice(items, samples):
        taken += 1
        if type(item) is tuple and isinstance(obj, dict):
            total += sum(_size(x, samples, depth + 1, seen) for x in item)
        else:
            total += _size(item, samples, depth + 1, seen)
    return size + total * count // taken


@command("memory|usage", -3, "readonly", keys=[ks("RO", 2)], **_MEM)
def cmd_memory_usage(c, argv):
    samples = 5
    j = 3
    while j < len(argv):
        if argv[j].lower() == b"samples" and j + 1 < len(argv):
            samples = to_int(argv[j + 1])
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            if samples == 0:
                samples = sys.maxsize
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    key = argv[2]
    data = c.db.data[hash(key) & MASK]
    if key not in data:                  # as Redis: the dict as it is (no expiry, no touch)
        return None
    return value_size(data[key], samples) + sys.getsizeof(key) + _ENTRY_BYTES


def memory_breakdown(server):
    """Where the memory goes, as MEMORY STATS and INFO memory report it: the resident
    size split into start-up, client buffers, the key tables and the data in them."""
    used = server.used_memory or 1
    startup = min(server.startup_memory, used)
    clients = sum(len(cl.out_pending) for cl in server.client_list())
    dbs = []
    keys = 0
    overhead = startup + clients
    for db in server.keyspace.dbs:
        count = db.size()
        if not count:
            continue
        keys += count
        main = sum(map(sys.getsizeof, db.data)) + sum(map(sys.getsizeof, db.access))
        expires = sum(map(sys.getsizeof, db.expires))
        overhead += main + expires
        dbs.append((f"db.{db.id}", {"overhead.hashtable.main": main,
                                    "overhead.hashtable.expires": expires}))
    return {"used": used, "peak": max(server.peak_memory, used), "startup": startup,
            "clients": clients, "overhead": overhead, "dataset": max(used - overhead, 0),
            "keys": keys, "dbs": dbs, "aof_buffer": _aof_buffer(server)}


@command("memory|stats", 2, "", tips=("nondeterministic_output",
         "request_policy:all_shards", "response_policy:special"), **_MEM)
def cmd_memory_stats(c, argv):
    m = memory_breakdown(c.server)
    used, peak, startup, dataset = m["used"], m["peak"], m["startup"], m["dataset"]
    keys = m["keys"]
    net = used - startup
    reply = {
        "peak.allocated": peak, "total.allocated": used, "startup.allocated": startup,
        "replication.backlog": 0, "clients.slaves": 0, "clients.normal": m["clients"],
        "cluster.links": 0, "aof.buffer": m["aof_buffer"], "lua.caches": 0,
        "functions.caches": 0,
    }
    reply.update(m["dbs"])
    reply.update({
        "overhead.total": m["overhead"], "keys.count": keys,
        "keys.bytes-per-key": net // keys if keys else 0, "dataset.bytes": dataset,
        "dataset.percentage": 100.0 * dataset / net if net > 0 else 0.0,
        "peak.percentage": 100.0 * used / peak,
        # no allocator of its own to ask (pymalloc and libc): the resident size stands in
        "allocator.allocated": used, "allocator.active": used, "allocator.resident": used,
        "allocator-fragmentation.ratio": 1.0, "allocator-fragmentation.bytes": 0,
        "allocator-rss.ratio": 1.0, "allocator-rss.bytes": 0,
        "rss-overhead.ratio": 1.0, "rss-overhead.bytes": 0,
        "fragmentation": 1.0, "fragmentation.bytes": 0,
    })
    # bulk-string names, as Redis writes them (a str would go out as a status line)
    return {name.encode(): (value if not isinstance(value, dict) else
                            {k.encode(): v for k, v in value.items()})
            for name, value in reply.items()}


def _aof_buffer(server):
    for ext in server.extensions:
        aof = getattr(ext, "aof", None)
        buf = getattr(aof, "buf", None)
        if buf is not None:
            try:
                return len(buf)
            except TypeError:
                return 0
    return 0


_EMPTY_DOCTOR = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector "
    "can't be used in these conditions. Please, leave for your mission on Earth and fill it "
    "with some data. The new Sam and I will be back to our programming as soon as I "
    "finished rebooting.\n")
_FINE_DOCTOR = ("Hi Sam, I can't find any memory issue in your instance. I can only account "
                "for what occurs on this base.\n")


@command("memory|doctor", 2, "", tips=("nondeterministic_output",
         "request_policy:all_shards", "response_policy:special"), **_MEM)
def cmd_memory_doctor(c, argv):
    """Redis's texts for an empty instance and for one without findings: keydb-ft has
    no allocator fragmentation or client buffer analysis of its own to report."""
    return Verbatim(_EMPTY_DOCTOR if c.server.used_memory < 5 * 1024 * 1024 or
                    not any(db.size() for db in c.server.keyspace.dbs) else _FINE_DOCTOR)


@command("memory|malloc-stats", 2, "", tips=("nondeterministic_output",
         "request_policy:all_shards", "response_policy:special"), **_MEM)
def cmd_memory_malloc_stats(c, argv):
    return Verbatim("Stats not supported for the current allocator")


@command("memory|purge", 2, "", tips=("request_policy:all_shards",
         "response_policy:all_succeeded"), **_MEM)
def cmd_memory_purge(c, argv):
    """Reclaim what can be reclaimed: one cycle collection (gcpolicy.py keeps the
    automatic collector off)."""
    gc.collect()
    return OK


@command("memory|help", 2, "loading stale", **_MEM)
def cmd_memory_help(c, argv):
    return help_reply("MEMORY")
