"""House rules for code that runs on loop threads, checked on the source.

dict.get is slow in CPython 3.13's free-threaded build when the value was made by another
live thread (threadstate.peek says why and what to use instead), and the keyspace, the
data types and every module table hold such values. So dict.get may only be called where
the dict and its values belong to the calling thread; those places are listed here with
the reason, and any new call must either use peek / `d[k] if k in d` or be added with one.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2] / "keydb_ft"

# (file, receiver) -> why dict.get is safe there
ALLOWED = {
    ("commands/dispatch.py", "rows"): "per-loop commandstats rows, made by the loop",
    ("commands/dispatch.py", "stats.commands"): "per-loop commandstats rows",
    ("commands/dispatch.py", "stats.errors"): "per-loop error counts",
    ("db/blocking.py", "stats.commands"): "per-loop commandstats rows",
    ("stats.py", "total"): "a local dict in INFO",
    ("stats.py", "acc"): "a local dict in INFO latencystats / LATENCY HISTOGRAM",
    ("threadstate.py", "self.slots"): "each value is made by the thread that reads it",
    ("db/keyspace.py", "_STATS.slots"): "each value is made by the thread that reads it",
    ("persistence/rdb_save.py", "table"): "a local LZF table",
    ("commands/lists.py", "value"): "ListValue.get (LINDEX), not a dict",
    ("types/member_expiry.py", "expires"): "MemberExpiry.get, not a dict",
    ("persistence/rdb_save.py", "expires"): "MemberExpiry.get, not a dict",
    ("commands/server.py", "c.server.slowlog"): "SlowLog.get, not a dict",
    ("persistence/aof.py", "fields"): "a local dict while reading the manifest",
    ("persistence/rdb_load.py", "nacks"): "start-up load, one thread",
    ("persistence/listpack.py", "_INT_WIDTHS"): "small ints (immortal) as values",
    ("persistence/ziplist.py", "_ZL_INTS"): "small ints (immortal) as values",
    ("persistence/rdb_save.py", "_SIZE_LIMITS"): "small ints (immortal) as values",
    ("log.py", "LEVELS"): "small ints (immortal) as values",
    ("server.py", "{'*': '0.0.0.0', '::*': '::'}"): "start-up, interned strings",
    ("commands/registry.py", "doc"): "start-up (command registration)",
    ("commands/registry.py", "COMMANDS"): "start-up and COMMAND introspection",
    ("commands/registry.py", "cmd.subcommands"): "COMMAND introspection",
    ("commands/command_cmd.py", "COMMANDS"): "COMMAND introspection",
    ("commands/command_cmd.py", "parent.subcommands"): "COMMAND introspection",
    ("commands/command_cmd.py", "flags"): "a local dict",
    ("config.py", "BY_NAME"): "config parsing and CONFIG SET, once per call",
    ("config.py", "self.hooks"): "CONFIG SET, once per call",
}


def dict_get_calls():
    """(file, receiver, line) of every `x.get(...)` call with arguments and of every bound
    `x.get` taken without calling it (`get = d.get`, `map(d.get, keys)`)."""
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(), str(path))
        called = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called.add(id(node.func))
                if node.func.attr == "get" and node.args:
                    yield rel, ast.unparse(node.func.value), node.lineno
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "get"
                    and id(node) not in called and isinstance(node.ctx, ast.Load)):
                yield rel, ast.unparse(node.value), node.lineno


def test_no_dict_get_on_shared_data():
    offenders = [f"{rel}:{line}: {receiver}.get(...)"
                 for rel, receiver, line in dict_get_calls()
                 if (rel, receiver) not in ALLOWED and receiver not in ("os.environ", "kw", "kwargs")]
    assert not offenders, "use threadstate.peek (see its docstring):\n" + "\n".join(offenders)


def test_allowed_list_is_current():
    found = {(rel, receiver) for rel, receiver, _ in dict_get_calls()}
    assert not set(ALLOWED) - found, "stale entries in ALLOWED"


def test_peek_matches_dict_get():
    from keydb_ft.threadstate import peek
    d = {b"a": 1, (0, b"k"): None}
    for key in (b"a", b"b", (0, b"k"), (1, b"k")):
        assert peek(d, key) == d.get(key)
        assert peek(d, key, "x") == d.get(key, "x")


def test_snapshot_is_read_once_before_use():
    """A BGSAVE's walker sets `snapshot` to None when it is done, from its own thread. A
    check-then-call (`if x.snapshot is not None: x.snapshot.touch(...)`) can then call
    None.touch with stripe locks held and leak them, so every use reads it into a local."""
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "snapshot"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: "
                                 f"{ast.unparse(node.func)}(...)")
    assert not offenders, "read snapshot into a local first:\n" + "\n".join(offenders)
