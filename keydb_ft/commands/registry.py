"""The command table. Each command is declared once with @command; COMMAND INFO / DOCS /
COUNT / LIST / GETKEYS, implicit ACL categories, key extraction (so lock stripes and
cluster slots) and command stats all derive from the declaration.

    @command("get", 2, "readonly fast", acl="string", keys=[ks("RO ACCESS", 1)],
             group="string")
    def cmd_get(c, argv): ...

COMMAND DOCS of a command redis-server 7.0 also has is that server's reply, recorded in
redis_docs.py (scripts/gen_command_docs.py); only the commands it lacks (KeyDB's and newer
Redis's) declare since= / summary= / complexity= (and deprecated=, replaced_by=,
doc_flags=, container_since=, container_summary=). Saying them for a recorded command is
an error at import, and a declared group must be the recorded one.

Subcommands are declared as "container|sub" ("config|get"); the container is created on
first use. Flags are Redis's flag names; a few internal flags (INTERNAL_FLAGS) steer the
dispatcher and never show in COMMAND output.
"""

from ..resp.writer import SetReply
from ..threadstate import peek
from .redis_docs import DOCS, HELP

# Flags in the order redis-server 7.0 lists them.
REDIS_FLAGS = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
               "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
               "fast", "no_auth", "sentinel", "only_sentinel",
               "no_mandatory_keys", "protected", "module_getkeys", "module_no_cluster",
               "no_async_loading", "no_multi", "movablekeys", "allow_busy")
INTERNAL_FLAGS = {
    "multi_ok",      # runs at once inside MULTI instead of being queued (EXEC, WATCH, ...)
    "pubsub_ok",     # allowed in RESP2 subscribed mode
    "all_stripes",   # holds every stripe while it runs (FLUSHALL, KEYS, SWAPDB, ...)
    "no_lock",       # takes the locks it needs itself (blocking pops, EXEC, SCAN, DEBUG,
                     # MIGRATE); none inside EXEC, which then holds every stripe
    "runs_queue",    # runs the MULTI queue (EXEC): paused when the queue writes
    "may_replicate", # not a write, yet may propagate (PFCOUNT, PUBLISH): CLIENT PAUSE
                     # WRITE holds it; Redis 7.0 has the flag but COMMAND does not list it
}
# How the dispatcher locks for a command (Command.lock_mode)
LOCK_ONE_KEY, LOCK_KEYS, LOCK_ALL, LOCK_NONE = range(4)
# Commands dispatch.run_batch runs written out in its own loop (Command.lane): GET, and SET
# without options. Their handlers stay the reference the lanes must agree with.
LANE_NONE, LANE_GET, LANE_SET = range(3)
# commands in these categories, or with these flags, may change the calling client's or
# the server's state; every other command is "plain" (Command.plain)
_STATEFUL_CATEGORIES = frozenset(("connection", "pubsub", "transaction", "blocking",
                                  "scripting", "admin", "dangerous"))
_STATEFUL_FLAGS = frozenset(("noscript", "no_multi", "blocking", "pubsub", "admin"))

ACL_CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
                  "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast",
                  "slow", "blocking", "dangerous", "connection", "transaction", "scripting")


class KeySpec:
    """One Redis 7 key specification: where the keys start and how to find them."""

    __slots__ = ("flags", "begin", "find", "notes")

    def __init__(self, flags, begin, find, notes=None):
        self.flags = flags
        self.begin = begin
        self.find = find
        self.notes = notes

    def reply(self):
        kind, *spec = self.begin
        if kind == "index":
            begin = [b"type", b"index", b"spec", {b"index": spec[0]}]
        elif kind == "keyword":
            begin = [b"type", b"keyword", b"spec",
                     {b"keyword": spec[0].encode(), b"startfrom": spec[1]}]
        else:
            begin = [b"type", b"unknown", b"spec", {}]
        kind, *spec = self.find
        if kind == "range":
            find = [b"type", b"range", b"spec",
                    {b"lastkey": spec[0], b"keystep": spec[1], b"limit": spec[2]}]
        elif kind == "keynum":
            find = [b"type", b"keynum", b"spec",
                    {b"keynumidx": spec[0], b"firstkey": spec[1], b"keystep": spec[2]}]
        else:
            find = [b"type", b"unknown", b"spec", {}]
        reply = {b"notes": self.notes.encode()} if self.notes else {}
        reply.update({b"flags": SetReply(self.flags), b"begin_search": _flat(begin),
                      b"find_keys": _flat(find)})
        return reply


def _flat(pairs):
    return dict(zip(pairs[0::2], pairs[1::2]))


def ks(flags, index=None, keyword=None, startfrom=1, last=0, step=1, limit=0,
       keynum=None, unknown=False, notes=None):
    """Build a KeySpec: ks("RW ACCESS UPDATE", 1) is one key at argv[1];
    last=-1 runs to the end; keynum=(keynumidx, firstkey, step) reads a key count."""
    flags = tuple(flags.split())
    if unknown:
        return KeySpec(flags, ("unknown",), ("unknown",), notes)
    begin = ("index", index) if keyword is None else ("keyword", keyword, startfrom)
    if keynum is not None:
        return KeySpec(flags, begin, ("keynum",) + tuple(keynum), notes)
    return KeySpec(flags, begin, ("range", last, step, limit), notes)


REDACTED = b"(redacted)"


class Command:
    __slots__ = ("name", "fullname", "arity", "flags", "acl", "key_specs", "tips", "handler",
                 "subcommands", "parent", "group", "since", "summary", "complexity",
                 "legacy_range", "simple_key", "movable", "getkeys", "deprecated", "doc_flags",
                 "replaced_by", "write", "denyoom", "readonly", "skip_slowlog", "skip_monitor",
                 "id", "keyflags", "lock_mode", "info_arity", "plain", "lane", "redact")

    def __init__(self, name, arity, flags, acl, keys, tips, handler, parent, doc):
        self.name = name
        self.fullname = f"{parent.name}|{name}" if parent else name
        self.arity = arity
        self.info_arity = doc.get("info_arity", arity)   # shown by COMMAND (KeyDB extensions)
        self.flags = frozenset(flags.split())
        unknown = self.flags - set(REDIS_FLAGS) - INTERNAL_FLAGS
        if unknown:
            raise ValueError(f"{self.fullname}: unknown flags {unknown}")
        self.acl = tuple(acl.split())
        self.key_specs = tuple(keys)
        self.tips = tuple(tips)
        self.handler = handler
        self.subcommands = {}
        self.parent = parent
        self.group = doc.get("group", parent.group if parent else "generic")
        self.since = doc.get("since", "1.0.0")
        self.summary = doc.get("summary", "")
        self.complexity = doc.get("complexity", "")
        self.deprecated = doc.get("deprecated")
        self.replaced_by = doc.get("replaced_by")
        self.doc_flags = tuple(doc.get("doc_flags", ()))
        self.getkeys = doc.get("getkeys")
        self.keyflags = doc.get("keyflags")   # fn(argv, position) -> flags (variable_flags)
        self.lane = doc.get("lane", LANE_NONE)
        # fn(argv) -> the positions of secrets (passwords) MONITOR and the slowlog hide
        self.redact = doc.get("redact")
        self.write = "write" in self.flags
        self.readonly = "readonly" in self.flags
        self.denyoom = "denyoom" in self.flags
        self.skip_slowlog = "skip_slowlog" in self.flags
        # Redis shows no admin command to MONITOR (MONITOR, CONFIG, DEBUG, ...)
        self.skip_monitor = "skip_monitor" in self.flags or "admin" in self.flags
        self.legacy_range = doc.get("legacy") or _legacy_range(self.key_specs)
        self.movable = self.getkeys is not None or _has_movable(self.key_specs)
        first, last, step = self.legacy_range
        self.simple_key = first if (not self.movable and first and first == last) else 0
        if "no_lock" in self.flags:
            self.lock_mode = LOCK_NONE
        elif "all_stripes" in self.flags:
            self.lock_mode = LOCK_ALL
        elif self.simple_key:
            self.lock_mode = LOCK_ONE_KEY
        elif self.key_specs or self.getkeys is not None:
            self.lock_mode = LOCK_KEYS
        else:
            self.lock_mode = LOCK_NONE
        # plain: cannot change the calling client's state (db, MULTI, subscriptions, auth,
        # reply mode, blocked, closing) or the server's gates, so dispatch.run_batch can
        # run a run of plain commands after checking the client once
        self.plain = (handler is not None and not parent
                      and not _STATEFUL_CATEGORIES.intersection(self.acl_categories())
                      and not _STATEFUL_FLAGS.intersection(self.flags))

    def shown(self, argv):
        """argv as MONITOR and the slowlog show it: each secret the command's redact
        function finds (AUTH's password, ...) replaced by "(redacted)", as Redis does."""
        if self.redact is None:
            return argv
        positions = self.redact(argv)
        if not positions:
            return argv
        shown = list(argv)
        for i in positions:
            shown[i] = REDACTED
        return shown

    # -- keys ---------------------------------------------------------------------------
    def key_positions(self, argv):
        """Indexes of argv that are keys (Redis's getKeysFromCommand)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        positions = []
        argc = len(argv)
        for spec in self.key_specs:
            positions.extend(_spec_positions(spec, argv, argc))
        return positions

    def keys(self, argv):
        if self.simple_key:
            return (argv[self.simple_key],) if len(argv) > self.simple_key else ()
        return [argv[i] for i in self.key_positions(argv)]

    # -- COMMAND output -----------------------------------------------------------------
    def all_flags(self):
        flags = [f for f in REDIS_FLAGS if f in self.flags]
        if self.movable and "movablekeys" not in flags:
            flags.append("movablekeys")
        return flags

    def acl_categories(self):
        cats = set(self.acl)
        f = self.flags
        if "write" in f:
            cats.add("write")
        if "readonly" in f and "scripting" not in cats:
            cats.add("read")
        if "admin" in f:
            cats.update(("admin", "dangerous"))
        if "pubsub" in f:
            cats.add("pubsub")
        if "fast" in f:
            cats.add("fast")
        if "blocking" in f:
            cats.add("blocking")
        if "fast" not in f:
            cats.add("slow")
        return [c for c in ACL_CATEGORIES if c in cats]

    def info_reply(self):
        first, last, step = self.legacy_range
        subs = [sub.info_reply() for sub in self.subcommands.values()]
        return [self.fullname.encode(), self.info_arity, SetReply(self.all_flags()), first, last,
                step, SetReply("@" + c for c in self.acl_categories()),
                SetReply(t.encode() for t in self.tips),
                SetReply(s.reply() for s in self.key_specs), subs or SetReply()]

    def docs_reply(self):
        """COMMAND DOCS: redis-server 7.0's document (redis_docs.py) for a command it has,
        else one made from the declaration; a container lists the subcommands it has."""
        recorded = peek(DOCS, self.fullname)
        doc = dict(recorded) if recorded is not None else self._declared_docs()
        if self.subcommands:
            doc[b"subcommands"] = {s.fullname.encode(): s.docs_reply()
                                   for s in self.subcommands.values()}
        return doc

    def _declared_docs(self):
        doc = {b"summary": self.summary.encode(), b"since": self.since.encode(),
               b"group": self.group.encode()}
        if self.complexity:
            doc[b"complexity"] = self.complexity.encode()
        if self.doc_flags:
            doc[b"doc_flags"] = set(f.encode() for f in self.doc_flags)
        if self.deprecated:
            doc[b"deprecated_since"] = self.deprecated.encode()
        if self.replaced_by:
            doc[b"replaced_by"] = self.replaced_by.encode()
        return doc


def _spec_positions(spec, argv, argc):
    kind, *b = spec.begin
    if kind == "index":
        start = b[0]
    elif kind == "keyword":
        keyword, startfrom = b
        start = _find_keyword(argv, argc, keyword, startfrom)
        if start is None:
            return []
    else:
        return []
    kind, *f = spec.find
    if kind == "range":
        lastkey, step, limit = f
        if lastkey >= 0:
            last = start + lastkey
        elif not limit:
            last = argc + lastkey
        else:
            last = start + ((argc - start) // limit + lastkey)
    elif kind == "keynum":
        numidx, firstkey, step = f
        if start + numidx >= argc:
            return []
        try:
            numkeys = int(argv[start + numidx])
        except ValueError:
            return []
        if numkeys <= 0:
            return []
        start = start + firstkey
        last = start + (numkeys - 1) * step
    else:
        return []
    if last >= argc:
        last = argc - 1
    return list(range(start, last + 1, step)) if start < argc else []


def _find_keyword(argv, argc, keyword, startfrom):
    word = keyword.lower().encode()
    if startfrom >= 0:
        rng = range(startfrom, argc)
    else:
        rng = range(argc + startfrom, 0, -1)
    for i in rng:
        if argv[i].lower() == word:
            return i + 1
    return None


def _is_range(spec):
    return spec.begin[0] == "index" and spec.find[0] == "range"


def _legacy_range(specs):
    """first/last/step for COMMAND INFO, derived from the key specs as Redis does."""
    if not specs:
        return (0, 0, 0)
    if len(specs) == 1 and _is_range(specs[0]):
        pos, (lastkey, step) = specs[0].begin[1], specs[0].find[1:3]
        return (pos, pos + lastkey if lastkey >= 0 else lastkey, step)
    first, last, prev_last = None, 0, 0
    for spec in specs:
        if not _is_range(spec) or spec.find[2] != 1 or (prev_last and prev_last != spec.begin[1] - 1):
            continue
        pos, lastkey = spec.begin[1], spec.find[1]
        first = pos if first is None else min(first, pos)
        absolute = pos + lastkey if lastkey >= 0 else lastkey
        last = max(last % (1 << 32), absolute % (1 << 32))
        last = last - (1 << 32) if last >= (1 << 31) else last
        prev_last = last
    if first is None:
        return (0, 0, 0)
    return (first, last, 1)


def _has_movable(specs):
    """Redis sets movablekeys when the legacy range cannot describe every key."""
    if len(specs) == 1 and _is_range(specs[0]):
        return "incomplete" in specs[0].flags
    prev_last = 0
    for spec in specs:
        if not _is_range(spec) or spec.find[2] != 1 or (prev_last and prev_last != spec.begin[1] - 1):
            return True
        if "incomplete" in spec.flags:
            return True
        lastkey = spec.find[1]
        prev_last = max(prev_last, spec.begin[1] + lastkey if lastkey >= 0 else lastkey)
    return False


COMMANDS = {}


# Documentation keywords of a declaration: only for commands redis-server 7.0 lacks (the
# others' COMMAND DOCS is its recorded reply, redis_docs.py, and must not be said twice)
_DOC_KEYS = {"summary", "since", "complexity", "deprecated", "replaced_by", "doc_flags"}
_CONTAINER_DOC_KEYS = {"container_since", "container_summary"}


def _check_docs(name, doc):
    container = name.split("|")[0]
    said = (_DOC_KEYS & set(doc) if name in DOCS else set()) | (
        _CONTAINER_DOC_KEYS & set(doc) if container in DOCS else set())
    if said:
        raise ValueError(f"{name}: {sorted(said)} come from redis_docs.py")
    for fullname in (name, container):
        recorded = peek(DOCS, fullname)
        if recorded is not None and "group" in doc and (
                doc["group"].encode() != recorded[b"group"]):
            raise ValueError(f"{fullname}: group {doc['group']!r}, Redis says "
                             f"{recorded[b'group']!r}")


def command(name, arity, flags="", acl="", keys=(), tips=(), **doc):
    """Declare a command (or "container|sub" subcommand) and its handler."""
    _check_docs(name, doc)

    def register(handler):
        if "|" in name:
            container, sub = name.split("|")
            parent = COMMANDS.get(container.encode())
            if parent is None:
                parent = Command(container, -2, "", "", (), (), None, None,
                                 {"group": doc.get("group", "generic"),
                                  "since": doc.get("container_since", doc.get("since", "1.0.0")),
                                  "summary": doc.get("container_summary", "")})
                COMMANDS[container.encode()] = parent
            cmd = Command(sub, arity, flags, acl, keys, tips, handler, parent, doc)
            parent.subcommands[sub.encode()] = cmd
            parent.plain = False
        else:
            cmd = Command(name, arity, flags, acl, keys, tips, handler, None, doc)
            existing = COMMANDS.get(name.encode())
            if existing is not None:
                cmd.subcommands = existing.subcommands
            COMMANDS[name.encode()] = cmd
        handler.command = cmd
        return handler
    return register


def help_reply(container, extra=()):
    """CONTAINER HELP as Redis's addReplyHelp: status lines. The text is redis-server
    7.0's (recorded in redis_docs.HELP without the subcommands keydb-ft lacks); extra
    lines, for subcommands Redis 7.0 does not have, go before the closing HELP entry."""
    lines = list(HELP[container.lower()])
    lines[-2:-2] = extra
    return lines


def rename(old, new):
    """rename-command: the command named old answers to new from now on, or to nothing
    when new is "" (COMMAND still shows its own name, as Redis's does). For start-up,
    before any loop runs; raises ValueError with Redis's reason."""
    cmd = COMMANDS.pop(old.lower().encode(), None) if "|" not in old else None
    if cmd is None:
        raise ValueError("No such command in rename-command")
    if new:
        if new.lower().encode() in COMMANDS:
            raise ValueError("Target command name already exists")
        COMMANDS[new.lower().encode()] = cmd


def lookup(argv):
    """The Command for argv (resolving subcommands), or None."""
    cmd = COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) >= 2:
        return cmd.subcommands.get(argv[1].lower(), cmd)
    return cmd


def all_commands():
    for cmd in COMMANDS.values():
        yield cmd
        yield from cmd.subcommands.values()
