"""ONE declarative table of options. It drives config-file parsing, the command line,
CONFIG GET / SET / RESETSTAT / REWRITE and the config part of INFO.

Values live as attributes of Config named with underscores (config.proto_max_bulk_len);
a reader takes the attribute once, a CONFIG SET replaces it whole, so readers on other
threads see the old or the new value, never a torn one. Apply hooks run under the
config lock (a leaf lock) after a successful CONFIG SET.
"""

import os

from .resp.parser import split_args

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2,
          "g": 1000 ** 3, "gb": 1024 ** 3}


class ConfigError(Exception):
    pass


def parse_memory(text):
    t = text.strip().lower()
    num = t.rstrip("kmgb")
    unit = t[len(num):]
    if unit not in _UNITS or not num.isdigit():
        raise ConfigError("argument must be a memory value")
    return int(num) * _UNITS[unit]


OUTPUT_CLASSES = ("normal", "slave", "pubsub")      # as CONFIG GET names them


def output_limits(text):
    """client-output-buffer-limit's canonical text as {class: (hard, soft, seconds)}."""
    words = text.split()
    return {words[i]: tuple(map(int, words[i + 1:i + 4])) for i in range(0, len(words), 4)}


def merge_output_limits(current, text):
    """current (canonical) with the classes text sets replaced, as Redis reads
    `class hard soft seconds ...` (replica is slave's other name); ConfigError with
    Redis's words for a malformed one. The result lists every class, in bytes."""
    words = text.split()
    if len(words) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits = output_limits(current)
    for i in range(0, len(words), 4):
        name = words[i].lower()
        name = "slave" if name == "replica" else name
        if name not in OUTPUT_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(words[i + 1]), parse_memory(words[i + 2])
            seconds = words[i + 3]
            if not seconds.isdigit():
                raise ConfigError("soft_seconds")
        except ConfigError:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit "
                              "configuration.") from None
        limits[name] = (hard, soft, int(seconds))
    return " ".join(f"{name} {h} {s} {t}" for name, (h, s, t) in
                    ((n, limits[n]) for n in OUTPUT_CLASSES))


def _parse_bool(text):
    t = text.lower()
    if t in ("yes", "no"):
        return t == "yes"
    raise ConfigError("argument must be 'yes' or 'no'")


def _parse_int(text, lo, hi):
    try:
        value = int(text)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None
    if not lo <= value <= hi:
        raise ConfigError(f"argument must be between {lo} and {hi} inclusive")
    return value


_ALL_EVENTS = "g$lshzxetd"               # what A stands for (not m, not n)


def _event_classes(text):
    """notify-keyspace-events in Redis's spelling: the classes in its order ("A" when
    all of A's are there), then K, E and m; CONFIG GET shows that, whatever was set."""
    if any(ch not in "Ag$lshzxetdnKEm" for ch in text):
        raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    given = set(text.replace("A", _ALL_EVENTS))
    if given >= set(_ALL_EVENTS):
        # Redis shows "A" alone, though n stays on; keeping "An" keeps n on here
        out = "A" + ("n" if "n" in given else "")
    else:
        out = "".join(ch for ch in _ALL_EVENTS + "n" if ch in given)
    return out + "".join(ch for ch in "KEm" if ch in given)


def allows(mode, client):
    """enable-debug-command / enable-protected-configs: yes, no, or local (a client on
    this host: loopback or a unix socket)."""
    return mode == "yes" or (mode == "local" and client.local)


class Option:
    __slots__ = ("name", "kind", "default", "lo", "hi", "mutable", "choices", "apply",
                 "aliases", "multi", "attr", "check", "clamp", "protected", "hidden",
                 "deny_loading")

    def __init__(self, name, kind, default, lo=0, hi=2 ** 63 - 1, mutable=True, choices=(),
                 apply=None, aliases=(), multi=False, check=None, clamp=None, protected=False,
                 hidden=False, deny_loading=False):
        self.name, self.kind, self.default = name, kind, default
        self.lo, self.hi, self.mutable, self.choices = lo, hi, mutable, choices
        self.apply, self.aliases, self.multi = apply, aliases, multi
        self.attr = name.replace("-", "_")
        self.check = check      # callable(text) for strings, (value) for bools: ConfigError
        self.clamp = clamp      # ints: (min, max) a value accepted in lo..hi is kept within
        # CONFIG SET only under enable-protected-configs (yes, or local for a client on
        # this host), as Redis guards the options that choose where files are written
        self.protected = protected
        # CONFIG GET shows it when asked by name, never for a pattern (Redis's
        # HIDDEN_CONFIG: the knobs its own test suite turns)
        self.hidden = hidden
        # CONFIG SET gets LOADING while a dataset loads (Redis's DENY_LOADING_CONFIG)
        self.deny_loading = deny_loading

    def parse(self, args, current=None):
        """Value from the argument words of a config line or CONFIG SET (current: the
        value now, which client-output-buffer-limit merges what it is given into)."""
        text = " ".join(args)
        kind = self.kind
        if kind == "obuf":
            return merge_output_limits(current or self.default, text)
        if kind == "bool":
            value = _parse_bool(text)
            if self.check is not None:
                self.check(value)
            return value
        if kind == "int":
            value = _parse_int(text, self.lo, self.hi)
            if self.clamp is not None:
                value = min(max(value, self.clamp[0]), self.clamp[1])
            return value
        if kind == "memory":
            value = parse_memory(text)
            if not self.lo <= value <= self.hi:
                raise ConfigError(f"argument must be between {self.lo} and {self.hi} inclusive")
            return value
        if kind == "memory-percent":       # maxmemory-clients: bytes or "N%"
            if text.endswith("%") and text[:-1].isdigit():
                if int(text[:-1]) > 100:
                    raise ConfigError("percentage argument must be less or equal to 100")
                return f"{int(text[:-1])}%"
            try:
                return parse_memory(text)
            except ConfigError:
                raise ConfigError("argument must be a memory or percent value") from None
        if kind == "enum":
            t = text.lower()
            if t not in self.choices:
                raise ConfigError("argument(s) must be one of the following: "
                                  + ", ".join(self.choices))
            # a synonym reads back as the first choice with its meaning, as in Redis
            return self.check(t) if self.check is not None else t
        if kind == "list":
            words = text.split() if len(args) == 1 else list(args)
            if self.check is not None:
                words = self.check(words)
            return words
        if self.check is not None:
            canonical = self.check(text)
            if canonical is not None:        # the check's own spelling of the value
                return canonical
        return text

    def show(self, value):
        """The text CONFIG GET and CONFIG REWRITE show for value."""
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "list":
            return " ".join(value)
        return str(value)


def _no_defrag(on):
    """activedefrag: there is no defragmenter (Redis built without one says this)."""
    if on:
        raise ConfigError("Active defragmentation cannot be enabled: it requires a Redis "
                          "server compiled with a modified Jemalloc like the one shipped by "
                          "default with the Redis source distribution")


def _check_shutdown_flags(text):
    """shutdown-on-sigint / -sigterm: words of default, save, nosave, now, force; read
    back as Redis shows a set of flags, once each in that order ('default' alone when
    none is set)."""
    allowed = ("default", "save", "nosave", "now", "force")
    words = [w.lower() for w in text.split()]
    if not words or any(w not in allowed for w in words):
        raise ConfigError("argument(s) must be one of the following: " + ", ".join(allowed))
    if "save" in words and "nosave" in words:
        raise ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously")
    return " ".join(w for w in allowed[1:] if w in words) or "default"


def _check_replicaof(words):
    """`replicaof host port` (or `no one`, no master) as Redis reads it from its config."""
    if words == []:
        return words
    if len(words) != 2:
        raise ConfigError("wrong number of arguments")
    if [w.lower() for w in words] == ["no", "one"]:
        return []
    port = words[1]
    if not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise ConfigError("Invalid master port")
    return [words[0], str(int(port))]


def _check_oom_values(text):
    words = text.split()
    if len(words) != 3:
        raise ConfigError("wrong number of arguments")
    for w in words:
        try:
            value = int(w)
        except ValueError:
            value = None
        if value is None or not -2000 <= value <= 2000:
            raise ConfigError("Invalid oom-score-adj-values, elements must be between -2000 "
                              "and 2000.")


def _check_octal_perm(text):
    """unixsocketperm: an octal mode, 0 to 777 (0: the umask decides), shown as given."""
    try:
        mode = int(text, 8)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None
    if not 0 <= mode <= 0o777:
        raise ConfigError("argument must be between 0 and 777 inclusive")
    return format(mode, "o")


def _check_basename(text):
    """dbfilename: a name in `dir`, never a path (Redis's isValidDBfilename)."""
    if "/" in text or "\\" in text:
        raise ConfigError("dbfilename can't be a path, just a filename")


def _check_percentiles(text):
    for w in text.split():
        try:
            value = float(w)
        except ValueError:
            raise ConfigError("latency-tracking-info-percentiles parameters should be a "
                              "valid double") from None
        if not 0.0 <= value <= 100.0:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit "
                              "between [0.0,100.0]")
    # shown as Redis prints them: "%f" without its trailing zeros ("50.0" -> "50")
    return " ".join(_trim_double(f"{float(w):f}") for w in text.split())


def _trim_double(text):
    return text.rstrip("0").rstrip(".") if "." in text else text


# what each proc-title-template variable can expand to, as far as emptiness goes (the
# template must not expand to nothing but spaces): the title is empty when checking,
# server-mode is empty standalone, and no unix socket is served
_TITLE_VARIABLES = {"title": "", "listen-addr": "*:0", "server-mode": "", "port": "0",
                    "tls-port": "0", "unixsocket": "", "config-file": "-"}


def _check_title_template(text):
    """Redis's sdstemplate rules: {name} is a variable, {{ a literal brace, a '{' without
    its '}' or an unknown name is an error; the expansion must not be blank."""
    out, rest, ok = [], text, True
    while ok and "{" in rest:
        before, rest = rest.split("{", 1)
        out.append(before)
        if rest.startswith("{"):
            out.append("{")
            rest = rest[1:]
            continue
        name, sep, rest = rest.partition("}")
        ok = bool(sep) and name in _TITLE_VARIABLES
        out.append(_TITLE_VARIABLES[name] if ok else "")
    out.append(rest)
    if not ok or not "".join(out).strip(" "):
        raise ConfigError("template format is invalid or contains unknown variables")


OPTIONS = [
    # network
    Option("bind", "list", ["*", "-::*"], apply="listen", multi=True),
    Option("port", "int", 6379, 0, 65535, apply="listen"),
    Option("protected-mode", "bool", True),
    Option("tcp-backlog", "int", 511, 0, 2 ** 31 - 1, mutable=False),
    Option("timeout", "int", 0, 0, 2 ** 31 - 1),
    Option("tcp-keepalive", "int", 300, 0, 2 ** 31 - 1),
    Option("unixsocket", "string", "", mutable=False),
    Option("unixsocketperm", "string", "0", mutable=False, check=_check_octal_perm),
    # general
    Option("daemonize", "bool", False, mutable=False),
    Option("supervised", "enum", "no", choices=("upstart", "systemd", "auto", "no"), mutable=False),
    Option("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning")),
    Option("logfile", "string", "", mutable=False),
    Option("syslog-enabled", "bool", False, mutable=False),
    Option("pidfile", "string", "", mutable=False),
    Option("databases", "int", 16, 1, 2 ** 31 - 1, mutable=False),
    Option("always-show-logo", "bool", False, mutable=False),
    Option("set-proc-title", "bool", True, mutable=False),
    # accepted so redis.conf files load; keydb-ft does not retitle its process
    Option("proc-title-template", "string", "{title} {listen-addr} {server-mode}",
           check=_check_title_template),
    Option("syslog-ident", "string", "redis", mutable=False),
    Option("syslog-facility", "enum", "local0", mutable=False,
           choices=("user", "local0", "local1", "local2", "local3", "local4", "local5",
                    "local6", "local7")),
    Option("crash-log-enabled", "bool", True),
    Option("crash-memcheck-enabled", "bool", True),
    Option("ignore-warnings", "string", ""),
    Option("enable-module-command", "enum", "no", choices=("yes", "no", "local"), mutable=False),
    Option("latency-tracking-info-percentiles", "string", "50 99 99.9",
           check=_check_percentiles, multi=True),
    # what SIGINT / SIGTERM do: default, or save / nosave, now, force (Server.shutdown)
    Option("shutdown-on-sigint", "string", "default",
           check=_check_shutdown_flags, multi=True),
    Option("shutdown-on-sigterm", "string", "default",
           check=_check_shutdown_flags, multi=True),
    Option("shutdown-timeout", "int", 10, 0, 2 ** 31 - 1),
    # Linux: transparent huge pages off for this process (prctl), and the OOM killer's
    # score (/proc/self/oom_score_adj), as Redis sets them
    Option("disable-thp", "bool", True, mutable=False),
    Option("oom-score-adj", "enum", "no", choices=("no", "yes", "relative", "absolute"),
           apply="oom", check=lambda t: "yes" if t == "relative" else t),
    Option("oom-score-adj-values", "string", "0 200 800", check=_check_oom_values,
           apply="oom", multi=True),
    # accepted: no jemalloc, and server-threads are the I/O threads
    Option("jemalloc-bg-thread", "bool", True),
    Option("io-threads", "int", 1, 1, 128, mutable=False),
    Option("io-threads-do-reads", "bool", False, mutable=False),
    Option("enable-debug-command", "enum", "no", choices=("yes", "no", "local"), mutable=False),
    Option("enable-protected-configs", "enum", "no", choices=("yes", "no", "local"), mutable=False),
    # threads (keydb)
    Option("server-threads", "int", 2, 1, 64, mutable=False),
    Option("server-thread-affinity", "string", "false", mutable=False),
    # CPU lists (Redis's syntax, "0-7:2,10"): the loops and cron; the snapshot thread of
    # BGSAVE; of an AOF rewrite; the AOF writer (Redis's background I/O threads)
    Option("server_cpulist", "string", "", mutable=False),
    Option("bgsave_cpulist", "string", "", mutable=False),
    Option("aof_rewrite_cpulist", "string", "", mutable=False),
    Option("bio_cpulist", "string", "", mutable=False),
    # keydb-ft: the most microseconds a loop keeps polling after its sockets go quiet,
    # giving the core to any other runnable thread between polls, before it sleeps; it
    # polls no longer than half the time it worked since it last slept (0: sleep at once)
    Option("busy-poll-us", "int", 200, 0, 100000),
    # security and clients
    Option("requirepass", "string", ""),
    Option("maxclients", "int", 10000, 1, 2 ** 31 - 1),
    Option("proto-max-bulk-len", "memory", 512 * 1024 * 1024, 1024 * 1024, 2 ** 63 - 1),
    Option("client-query-buffer-limit", "memory", 1024 ** 3, 1024 * 1024, 2 ** 63 - 1),
    Option("client-output-buffer-limit", "obuf",
           "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
           apply="obuf", multi=True),
    # memory
    Option("maxmemory", "memory", 0),
    Option("maxmemory-policy", "enum", "noeviction",
           choices=("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                    "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
           apply="eviction"),
    Option("maxmemory-samples", "int", 5, 1, 64),
    Option("lfu-log-factor", "int", 10, 0, 2 ** 31 - 1),
    Option("lfu-decay-time", "int", 1, 0, 2 ** 31 - 1),
    Option("maxmemory-eviction-tenacity", "int", 10, 0, 100),
    Option("maxmemory-clients", "memory-percent", 0),     # accepted; not enforced
    Option("lazyfree-lazy-eviction", "bool", False),
    Option("lazyfree-lazy-expire", "bool", False),
    Option("lazyfree-lazy-server-del", "bool", False),
    Option("lazyfree-lazy-user-del", "bool", False),
    Option("lazyfree-lazy-user-flush", "bool", False),
    Option("replica-lazy-flush", "bool", False, aliases=("slave-lazy-flush",)),
    # no defragmenter (pymalloc): as a Redis built without one, activedefrag cannot be
    # turned on; its tunables are kept with Redis's defaults and ranges
    Option("activedefrag", "bool", False, check=_no_defrag),
    Option("active-defrag-ignore-bytes", "memory", 100 * 1024 * 1024, 1, 2 ** 63 - 1),
    Option("active-defrag-threshold-lower", "int", 10, 0, 1000),
    Option("active-defrag-threshold-upper", "int", 100, 0, 1000),
    Option("active-defrag-cycle-min", "int", 1, 1, 99),
    Option("active-defrag-cycle-max", "int", 25, 1, 99),
    Option("active-defrag-max-scan-fields", "int", 1000, 1, 2 ** 63 - 1),
    # expiry and cron
    Option("hz", "int", 10, 0, 2 ** 31 - 1, clamp=(1, 500)),   # kept within 1..500, as Redis
    Option("dynamic-hz", "bool", True),
    Option("active-expire-effort", "int", 1, 1, 10),
    # keydb-ft: seconds between cycle collections (automatic collection is off; see gcpolicy)
    Option("gc-interval-seconds", "int", 300, 0, 2 ** 31 - 1),
    Option("shared-objects-immortal", "bool", True, mutable=False),
    # persistence
    Option("save", "string", "3600 1 300 100 60 10000", multi=True),
    Option("dbfilename", "string", "dump.rdb", protected=True, check=_check_basename),
    Option("dir", "string", "", apply="dir", protected=True, deny_loading=True),
    Option("rdbcompression", "bool", True),
    Option("rdbchecksum", "bool", True, mutable=False),
    Option("rdb-del-sync-files", "bool", False),
    Option("stop-writes-on-bgsave-error", "bool", True),
    Option("sanitize-dump-payload", "enum", "no", choices=("no", "yes", "clients")),
    Option("appendonly", "bool", False, deny_loading=True),
    Option("appendfilename", "string", "appendonly.aof", mutable=False),
    Option("appenddirname", "string", "appendonlydir", mutable=False),
    Option("appendfsync", "enum", "everysec", choices=("always", "everysec", "no")),
    Option("no-appendfsync-on-rewrite", "bool", False),
    Option("auto-aof-rewrite-percentage", "int", 100, 0, 2 ** 31 - 1),
    Option("auto-aof-rewrite-min-size", "memory", 64 * 1024 * 1024),
    Option("aof-load-truncated", "bool", True),
    Option("aof-use-rdb-preamble", "bool", True),
    Option("aof-timestamp-enabled", "bool", False),
    Option("aof-rewrite-incremental-fsync", "bool", True),
    Option("rdb-save-incremental-fsync", "bool", True),
    # encodings
    Option("hash-max-listpack-entries", "int", 512, aliases=("hash-max-ziplist-entries",)),
    Option("hash-max-listpack-value", "int", 64, aliases=("hash-max-ziplist-value",)),
    Option("list-max-listpack-size", "int", -2, -5, 2 ** 31 - 1, aliases=("list-max-ziplist-size",)),
    Option("list-compress-depth", "int", 0, 0, 2 ** 31 - 1),
    Option("set-max-intset-entries", "int", 512),
    Option("zset-max-listpack-entries", "int", 128, aliases=("zset-max-ziplist-entries",)),
    Option("zset-max-listpack-value", "int", 64, aliases=("zset-max-ziplist-value",)),
    Option("hll-sparse-max-bytes", "memory", 3000),
    Option("stream-node-max-bytes", "memory", 4096),
    Option("stream-node-max-entries", "int", 100),
    Option("activerehashing", "bool", True),
    # monitoring
    Option("slowlog-log-slower-than", "int", 10000, -1, 2 ** 63 - 1, apply="slow"),
    Option("slowlog-max-len", "int", 128, 0, 2 ** 63 - 1),
    Option("latency-monitor-threshold", "int", 0, apply="slow"),
    Option("latency-tracking", "bool", True, apply="tracking"),
    Option("notify-keyspace-events", "string", "", apply="notify", check=_event_classes),
    # scripting
    Option("lua-time-limit", "int", 5000, aliases=("busy-reply-threshold",)),
    # replication
    Option("replicaof", "list", [], aliases=("slaveof",), mutable=False, multi=True,
           check=_check_replicaof),
    Option("masterauth", "string", ""),
    Option("masteruser", "string", ""),
    Option("replica-read-only", "bool", True, aliases=("slave-read-only",)),
    Option("replica-serve-stale-data", "bool", True, aliases=("slave-serve-stale-data",)),
    Option("repl-backlog-size", "memory", 1024 * 1024),
    Option("repl-backlog-ttl", "int", 3600),
    Option("repl-timeout", "int", 60, 1),
    Option("repl-diskless-sync", "bool", True),
    Option("repl-diskless-sync-delay", "int", 5),
    Option("repl-diskless-load", "enum", "disabled", choices=("disabled", "on-empty-db", "swapdb"),
           deny_loading=True),
    Option("replica-priority", "int", 100, aliases=("slave-priority",)),
    Option("repl-disable-tcp-nodelay", "bool", False),
    Option("repl-diskless-sync-max-replicas", "int", 0, 0, 2 ** 31 - 1),
    Option("repl-ping-replica-period", "int", 10, 1, 2 ** 31 - 1,
           aliases=("repl-ping-slave-period",)),
    Option("replica-ignore-maxmemory", "bool", True, aliases=("slave-ignore-maxmemory",)),
    Option("replica-announce-ip", "string", "", aliases=("slave-announce-ip",)),
    Option("replica-announce-port", "int", 0, 0, 65535, aliases=("slave-announce-port",)),
    Option("replica-announced", "bool", True),
    Option("replica-ignore-disk-write-errors", "bool", False),
    Option("propagation-error-behavior", "enum", "ignore",
           choices=("ignore", "panic", "panic-on-replicas")),
    Option("min-replicas-to-write", "int", 0, aliases=("min-slaves-to-write",),
           apply="min_replicas"),
    Option("min-replicas-max-lag", "int", 10, aliases=("min-slaves-max-lag",),
           apply="min_replicas"),
    Option("active-replica", "bool", False, mutable=False),
    Option("multi-master", "bool", False, mutable=False),
    # cluster
    Option("cluster-enabled", "bool", False, mutable=False),
    Option("cluster-config-file", "string", "nodes.conf", mutable=False),
    Option("cluster-node-timeout", "int", 15000),
    # tiered storage (keydb)
    Option("storage-provider", "list", [], mutable=False, multi=True),
    # acl
    Option("aclfile", "string", "", mutable=False),
    Option("acllog-max-len", "int", 128),
    Option("acl-pubsub-default", "enum", "resetchannels",
           choices=("allchannels", "resetchannels")),
    Option("tracking-table-max-keys", "int", 1000000),
    Option("socket-mark-id", "int", 0, 0, 2 ** 32 - 1, mutable=False),
    # test knobs, as Redis has them: microseconds of sleep after each key a snapshot
    # writes (BGSAVE, SAVE, a replica's RDB) or a load reads; a negative value sleeps 1 us
    # once in -value keys on average. Loading here runs beside the loops, which keep
    # serving (LOADING) whatever loading-process-events-interval-bytes says.
    Option("rdb-key-save-delay", "int", 0, -2 ** 31, 2 ** 31 - 1, hidden=True),
    Option("key-load-delay", "int", 0, -2 ** 31, 2 ** 31 - 1, hidden=True),
    Option("loading-process-events-interval-bytes", "int", 2 << 20, 1024, 2 ** 31 - 1,
           hidden=True),
    Option("bind-source-addr", "string", ""),
]

BY_NAME = {}
for _opt in OPTIONS:
    BY_NAME[_opt.name] = _opt
    for _alias in _opt.aliases:
        BY_NAME[_alias] = _opt


class Config:
    """Current values as attributes; the file and overrides they came from."""

    def __init__(self):
        for opt in OPTIONS:
            setattr(self, opt.attr, opt.default)
        self.path = None
        self.hooks = {}          # apply name -> callable(config, option, value)
        # rename-command lines, (line number, line, old name, new name or ""), in file
        # order: commands.apply_renames applies them to the command table at start
        self.renames = []

    def get(self, name):
        return getattr(self, BY_NAME[name].attr)

    def set_from_words(self, name, args, startup=False):
        opt = BY_NAME.get(name.lower())
        if opt is None:
            raise KeyError(name)
        if not startup and not opt.mutable:
            raise ConfigError("can't set immutable config")
        value = opt.parse(args, getattr(self, opt.attr))
        if opt.name == "save" and value:
            _check_save(value)
        old = getattr(self, opt.attr)
        setattr(self, opt.attr, value)
        hook = self.hooks.get(opt.apply) if opt.apply else None
        if hook is not None:
            try:
                hook(self, opt, value)
            except ConfigError:
                setattr(self, opt.attr, old)      # as Redis: a value that failed to apply
                raise                             # is not kept
        return opt

    def reapply(self, options):
        """Run the apply hook of each option once more with its current value (CONFIG SET
        undoing what earlier options of a failed call applied: an oom score, a listener).
        One run per hook, errors ignored: the values are the ones that applied before."""
        for kind, opt in {o.apply: o for o in options if o.apply}.items():
            hook = self.hooks.get(kind)
            if hook is not None:
                try:
                    hook(self, opt, getattr(self, opt.attr))
                except ConfigError:
                    pass

    def shown(self, opt):
        """opt's current value as CONFIG GET shows it."""
        return opt.show(getattr(self, opt.attr))


def _check_save(text):
    words = text.split()
    if len(words) % 2 or not all(w.isdigit() for w in words):
        raise ConfigError("Invalid save parameters")


def read_file(path, seen=None):
    """(line number, words, line) of every directive in a redis.conf-style file."""
    seen = seen or set()
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    with open(path, "rb") as fh:
        yield from read_lines(fh, seen)


def read_lines(lines, seen=None, first=1):
    """(line number, words, line) of every directive in lines (bytes), numbered from
    first, split as Redis splits a config line; `include` reads that file in its place."""
    for number, raw in enumerate(lines, first):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        words = split_args(line)
        if words is None:
            raise ConfigFileError(number, line.decode("utf-8", "replace"),
                                  "Unbalanced quotes in configuration line")
        if not words:
            continue
        words = [w.decode("utf-8", "replace") for w in words]
        if words[0].lower() == "include" and len(words) == 2:
            yield from read_file(words[1], seen or set())
            continue
        yield number, words, line.decode("utf-8", "replace")


def command_line_options(args):
    """The config text redis-server makes of its command line after the config file's
    name: each `--name` starts a line, other words are quoted onto it, a `--word` right
    after a bare `--name` is that option's value, and `--save` with nothing after it
    is `save ""`."""
    lines = []
    named = True          # the last option has its value (a `--` word starts a new one)
    for j, word in enumerate(args):
        if named and word.startswith("--"):
            lines.append(word[2:] + " ")
            if len(split_args(word.encode()) or []) == 1:       # "--port": its value follows
                named = False
                if word.lower() == "--save" and (j == len(args) - 1
                                                 or args[j + 1].startswith("--")):
                    lines[-1] += '""'
                    named = True
            else:                                              # "--port 6380" in one word
                named = True
        else:
            if not lines:
                lines.append("")
            lines[-1] += _quoted(word) + " "
            named = True
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def _quoted(word):
    """word quoted as Redis's sdscatrepr quotes it."""
    out = ['"']
    for ch in word.encode("utf-8", "surrogateescape"):
        c = chr(ch)
        if c in '\\"':
            out.append("\\" + c)
        elif c in "\n\r\t\a\b":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}[c])
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    out.append('"')
    return "".join(out)


class ConfigFileError(Exception):
    def __init__(self, line, text, reason):
        super().__init__(reason)
        self.line, self.text, self.reason = line, text, reason


def load(config, path=None, overrides=b""):
    """Apply a config file, then overrides: config text (what stdin gave and the
    command line's options, as server.main_config puts them together). Several `save` lines
    add up, as in Redis; `save ""` clears them."""
    lines = []
    first = 1             # overrides go on from the file's last line (server.main_config)
    if path:
        config.path = os.path.abspath(path)
        lines.extend(read_file(path))
        with open(path, "rb") as fh:
            first += fh.read().count(b"\n")
    lines.extend(read_lines(overrides.split(b"\n"), first=first))
    save_points = None
    for number, words, text in lines:
        if words[0].lower() == "rename-command":
            if len(words) != 3:
                raise ConfigFileError(number, text, "Bad directive or wrong number of arguments")
            config.renames.append((number, text, words[1], words[2]))
            continue
        if words[0].lower() == "save" and len(words) > 1:
            save_points = [] if save_points is None else save_points
            points = " ".join(words[1:]).strip('"')
            save_points = [] if not points else save_points + [points]
            words = ["save", " ".join(save_points)]
        _apply_line(config, words, number, text)


def _apply_line(config, words, number, text):
    name, args = words[0], words[1:]
    opt = BY_NAME.get(name.lower())
    if opt is None:
        raise ConfigFileError(number, text, "Bad directive or wrong number of arguments")
    if not opt.multi and len(args) != 1:
        raise ConfigFileError(number, text, "wrong number of arguments")
    if opt.multi and len(args) == 1 and args[0]:
        # one argument to an option of several ("--save '60 10'"): split as Redis does
        args = [w.decode("utf-8", "replace") for w in split_args(args[0].encode()) or []]
    try:
        config.set_from_words(name, args, startup=True)
    except ConfigError as exc:
        raise ConfigFileError(number, text, str(exc)) from None


def rewrite(config, force_all=False):
    """CONFIG REWRITE: keep the file's lines, update changed options, append the rest
    (with force_all, DEBUG CONFIG-REWRITE-FORCE-ALL's, every option: defaults too)."""
    if not config.path:
        raise ConfigError("The server is running without a config file")
    try:
        with open(config.path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        lines = []
    done = set()
    out = []
    for line in lines:
        words = split_args(line.strip().encode()) if line.strip() and not line.lstrip().startswith("#") else None
        opt = BY_NAME.get(words[0].decode().lower()) if words else None
        if opt is None:
            out.append(line)
            continue
        if opt.name in done:
            continue
        done.add(opt.name)
        out.append(_config_line(config, opt))
    extra = [opt for opt in OPTIONS if opt.name not in done
             and (getattr(config, opt.attr) != opt.default or (force_all and opt.default != []))]
    if extra:
        out.append("# Generated by CONFIG REWRITE")
        out.extend(_config_line(config, opt) for opt in extra)
    tmp = config.path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, config.path)


def _config_line(config, opt):
    shown = opt.show(getattr(config, opt.attr))
    if opt.kind in ("list",) or opt.name in ("save", "client-output-buffer-limit"):
        return f"{opt.name} {shown}" if shown else f'{opt.name} ""'
    return f'{opt.name} "{shown}"' if (" " in shown or not shown) else f"{opt.name} {shown}"
