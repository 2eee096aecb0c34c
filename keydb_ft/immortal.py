"""Immortal shared objects (CPython 3.13, free-threaded build).

Every loop thread loads the same long-lived objects on every command: the command
table's entries and handlers, the server, keyspace, databases and their stripe tuples,
the lock table, the config, module-level functions and tables. Each load adds to the
object's reference count and each release takes it away again; for an object another
thread created that is an atomic add on a field every loop writes, so its cache line
moves between the cores on every command. Measured in-process with two threads
dispatching pipelined SETs: 4.52 us of CPU per command against 3.80 us with one thread;
with these objects immortal, 3.95 us (two threads 14% faster, one thread unchanged).

CPython 3.13t has no public way to say "this object lives as long as the process", so
this module marks the objects the way CPython marks its own immortal ones
(_Py_SetImmortal): owner thread 0, shared count 0, local count UINT32_MAX. Reference
counting then leaves them alone and they are never freed. It runs once at start-up,
before the loop threads exist, and only if probe objects show the object header laid
out as expected (None immortal at that offset, a fresh object's local count moving with
its references there); otherwise it does nothing. `shared-objects-immortal no` turns
it off.
"""

import ctypes
import sys
import types

_LOCAL = 12             # offsets in the 3.13t object header: ob_tid 0, ob_ref_local 12,
_SHARED = 16            # ob_ref_shared 16, ob_type 24
_TYPE = 24
_IMMORTAL_LOCAL = 0xFFFFFFFF

# module-level values worth marking: what commands load through globals
_KINDS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, dict, tuple,
          frozenset, str, bytes)
_ITEMS = (str, bytes, int, float)


def supported():
    """True when this interpreter's object header is the one this module writes."""
    if sys.version_info[:2] != (3, 13) or getattr(sys, "_is_gil_enabled", lambda: True)():
        return False
    if ctypes.c_uint32.from_address(id(None) + _LOCAL).value != _IMMORTAL_LOCAL:
        return False

    class Probe:
        pass
    probe = Probe()
    if ctypes.c_void_p.from_address(id(probe) + _TYPE).value != id(Probe):
        return False
    before = ctypes.c_uint32.from_address(id(probe) + _LOCAL).value
    held = [probe, probe]
    after = ctypes.c_uint32.from_address(id(probe) + _LOCAL).value
    del held
    return after == before + 2


def _mark(obj):
    address = id(obj)
    ctypes.c_size_t.from_address(address).value = 0
    ctypes.c_ssize_t.from_address(address + _SHARED).value = 0
    ctypes.c_uint32.from_address(address + _LOCAL).value = _IMMORTAL_LOCAL


def shared_objects(server):
    """The long-lived objects every loop loads per command."""
    from .commands.registry import COMMANDS
    objs = [server, server.config, server.keyspace, server.key_locks, server.slowlog]
    ks = server.keyspace
    for holder in (server, server.config, ks, server.key_locks):
        slots = getattr(type(holder), "__slots__", ())
        values = list(vars(holder).values()) if hasattr(holder, "__dict__") else []
        values += [getattr(holder, name) for name in slots if hasattr(holder, name)]
        # config values and counters too (a setting replaced later just stays allocated)
        objs += [v for v in values if isinstance(v, _KINDS + (list, int, float))]
    # never replaced while the server runs: the loops, the stripe locks, the per-stripe
    # tables of blocked clients (cleared in place)
    objs += list(server.loops) + list(server.key_locks.stripes) + list(ks.waiting)
    for db in ks.dbs:
        # the per-stripe dicts too: every GET and SET indexes the tuples, and each item
        # taken is a reference count both loops write (perf: 4.5% of two loops' CPU in
        # tupleitem's increment). They live as long as their database: loading fills
        # them in place (rdb_load.install) and SWAPDB swaps the tuples.
        objs += [db, db.data, db.expires, db.access, *db.data, *db.expires, *db.access]
    seen = set()
    for cmd in COMMANDS.values():
        for c in [cmd] + list(cmd.subcommands.values()):
            if id(c) not in seen:
                seen.add(id(c))
                objs += [c, c.handler, c.flags, c.fullname, c.subcommands]
    objs += module_values()
    objs += class_attributes()
    return objs


def module_values():
    """The server's module-level functions and tables, and the items of its tables (the
    parser's canonical header lines: loops take references to them per request)."""
    objs = []
    for name, module in list(sys.modules.items()):
        if name == "keydb_ft" or name.startswith("keydb_ft."):
            values = [v for v in vars(module).values()
                      if isinstance(v, _KINDS) and not isinstance(v, type)]
            objs += values
            objs += [item for v in values if isinstance(v, (tuple, frozenset))
                     for item in v if isinstance(item, _ITEMS)]
            # and the keys and plain values of module-level tables (parser's
            # _ARGUMENT_COUNTS): a lookup that finds a key takes a reference to it
            objs += [item for v in values if isinstance(v, dict)
                     for pair in list(v.items()) for item in pair if isinstance(item, _ITEMS)]
            # defaults that bind globals and builtins to locals (dispatch.run_batch):
            # each call takes a reference to every one of them
            for v in values:
                if isinstance(v, types.FunctionType):
                    objs += list(v.__defaults__ or ()) + list((v.__kwdefaults__ or {}).values())
    return objs


def class_attributes():
    """Every class that exists at start-up and everything in its __dict__.

    Each `obj.name` and `obj.method(...)` looks the name up in the type and takes a
    reference to what it finds there (a slot's member descriptor, a function, a builtin
    method such as bytes.split or list.append) for the length of the access. Those
    descriptors are shared by every thread, so two loops reading `client.out` or calling
    `data.split` both write one reference count: perf put 11% of two loops' CPU in
    that lookup (_PyType_LookupRef), much of it in the count (perf/README.md). Classes
    are not freed while the server runs; the values found in their dicts stay alive with
    them, so marking them changes nothing but the counting.
    """
    objs, seen, todo = [], set(), [object]
    while todo:
        cls = todo.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        objs.append(cls)
        objs += vars(cls).values()
        todo += type.__subclasses__(cls)
    return objs


def keep(obj):
    """Mark one more object immortal after start-up (a value every loop will load per
    command, replaced only by CONFIG SET): it is never freed."""
    if supported() and ctypes.c_uint32.from_address(id(obj) + _LOCAL).value != _IMMORTAL_LOCAL:
        _mark(obj)


def immortalize(server):
    """Mark the shared objects immortal; returns how many (0 when not supported)."""
    if not supported():
        return 0
    done = set()
    for obj in shared_objects(server):
        if obj is None or id(obj) in done:
            continue
        done.add(id(obj))
        if ctypes.c_uint32.from_address(id(obj) + _LOCAL).value != _IMMORTAL_LOCAL:
            _mark(obj)
    return len(done)
