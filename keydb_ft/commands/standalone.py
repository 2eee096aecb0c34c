"""What a standalone Redis 7.0 without replicas or modules answers to the commands of
cluster mode, replication and modules: CLUSTER (every subcommand), READONLY, READWRITE
and ASKING say cluster support is disabled; RESTORE-ASKING is RESTORE; WAIT finds no
replica to wait for; FAILOVER has none to fail over to; MODULE lists no module and
cannot load one. Clients probe with these (cluster detection, WAIT after writes), so
they get Redis's replies instead of an unknown command."""

from .. import errors
from ..errors import CommandError
from .args import to_int
from .persistence import cmd_restore
from .registry import command, help_reply, ks

CLUSTER_DISABLED = "ERR This instance has cluster support disabled"
_SERVER = dict(group="server")
_CLUSTER = dict(group="cluster")
_CONN = dict(group="connection")


def _cluster_disabled(c, argv):
    raise CommandError(CLUSTER_DISABLED)


# name, arity, flags, tips: as COMMAND INFO of redis-server 7.0 shows them
_CLUSTER_SUBCOMMANDS = (
    ("addslots", -3, "admin stale no_async_loading", ()),
    ("addslotsrange", -4, "admin stale no_async_loading", ()),
    ("bumpepoch", 2, "admin stale no_async_loading", ("nondeterministic_output",)),
    ("count-failure-reports", 3, "admin stale", ("nondeterministic_output",)),
    ("countkeysinslot", 3, "stale", ()),
    ("delslots", -3, "admin stale no_async_loading", ()),
    ("delslotsrange", -4, "admin stale no_async_loading", ()),
    ("failover", -2, "admin stale no_async_loading", ()),
    ("flushslots", 2, "admin stale no_async_loading", ()),
    ("forget", 3, "admin stale no_async_loading", ()),
    ("getkeysinslot", 4, "stale", ("nondeterministic_output",)),
    ("help", 2, "loading stale", ()),
    ("info", 2, "stale", ("nondeterministic_output",)),
    ("keyslot", 3, "stale", ()),
    ("links", 2, "stale", ("nondeterministic_output",)),
    ("meet", -4, "admin stale no_async_loading", ()),
    ("myid", 2, "stale", ()),
    ("nodes", 2, "stale", ("nondeterministic_output",)),
    ("replicas", 3, "admin stale", ("nondeterministic_output",)),
    ("replicate", 3, "admin stale no_async_loading", ()),
    ("reset", -2, "admin noscript stale", ()),
    ("saveconfig", 2, "admin stale no_async_loading", ()),
    ("set-config-epoch", 3, "admin stale no_async_loading", ()),
    ("setslot", -4, "admin stale no_async_loading", ()),
    ("shards", 2, "stale", ("nondeterministic_output",)),
    ("slaves", 3, "admin stale", ("nondeterministic_output",)),
    ("slots", 2, "stale", ("nondeterministic_output",)),
)

for _name, _arity, _flags, _tips in _CLUSTER_SUBCOMMANDS:
    command(f"cluster|{_name}", _arity, _flags, tips=_tips, **_CLUSTER)(_cluster_disabled)


@command("readonly", 1, "loading stale fast", acl="connection", **_CLUSTER)
def cmd_readonly(c, argv):
    raise CommandError(CLUSTER_DISABLED)


@command("readwrite", 1, "loading stale fast", acl="connection", **_CLUSTER)
def cmd_readwrite(c, argv):
    raise CommandError(CLUSTER_DISABLED)


@command("asking", 1, "fast", acl="connection", **_CLUSTER)
def cmd_asking(c, argv):
    raise CommandError(CLUSTER_DISABLED)


@command("restore-asking", -4, "write denyoom asking", acl="keyspace dangerous",
         keys=[ks("OW update", 1)], group="server")
def cmd_restore_asking(c, argv):
    return cmd_restore(c, argv)


# -- replication: no replicas ---------------------------------------------------------------
@command("wait", 3, "noscript", acl="connection",
         tips=("request_policy:all_shards", "response_policy:agg_min"), group="generic")
def cmd_wait(c, argv):
    """WAIT numreplicas timeout: how many replicas acknowledged the client's writes
    (replication/master.py); with too few it waits out the timeout (forever for 0)."""
    wanted = to_int(argv[1])
    timeout = parse_timeout_ms(argv[2])
    return c.server.master.wait(c, wanted, timeout)


def parse_timeout_ms(raw):
    """WAIT's timeout: milliseconds, a non-negative integer."""
    value = to_int(raw, "ERR timeout is not an integer or out of range")
    if value < 0:
        raise CommandError("ERR timeout is negative")
    return value


@command("failover", -1, "admin noscript stale", group="server")
def cmd_failover(c, argv):
    """FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT, checked in Redis's
    order (ABORT alone first, then the options); with no replica there is nothing to
    fail over to."""
    if len(argv) == 2 and argv[1].lower() == b"abort":
        raise CommandError("ERR No failover in progress.")
    i, n = 1, len(argv)
    to = force = False
    timeout = None
    while i < n:
        word = argv[i].lower()
        if word == b"to" and not to and i + 2 < n:
            to_int(argv[i + 2])
            to = True
            i += 3
        elif word == b"timeout" and timeout is None and i + 1 < n:
            timeout = to_int(argv[i + 1])
            if timeout <= 0:
                raise CommandError("ERR FAILOVER timeout must be greater than 0")
            i += 2
        elif word == b"force" and not force:
            force = True
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
    raise CommandError("ERR FAILOVER requires connected replicas.")


# -- modules: none --------------------------------------------------------------------------
_MODULE_NOT_ALLOWED = (
    "ERR MODULE command not allowed. If the enable-module-command option is set to "
    "\"local\", you can run it from a local connection, otherwise you need to set this "
    "option in the configuration file, and then restart the server.")


def _module_gate(c):
    setting = c.server.config.enable_module_command
    if setting == "no" or (setting == "local" and not c.local):
        raise CommandError(_MODULE_NOT_ALLOWED)


@command("module|list", 2, "admin noscript", tips=("nondeterministic_output_order",),
         **_SERVER)
def cmd_module_list(c, argv):
    return []


@command("module|help", 2, "loading stale", **_SERVER)
def cmd_module_help(c, argv):
    return help_reply("MODULE")


@command("module|load", -3, "admin noscript no_async_loading", **_SERVER)
def cmd_module_load(c, argv):
    _module_gate(c)
    raise CommandError("ERR Error loading the extension. Please check the server logs.")


@command("module|loadex", -3, "admin noscript no_async_loading", **_SERVER)
def cmd_module_loadex(c, argv):
    _module_gate(c)
    raise CommandError("ERR Error loading the extension. Please check the server logs.")


@command("module|unload", 3, "admin noscript no_async_loading", **_SERVER)
def cmd_module_unload(c, argv):
    _module_gate(c)
    raise CommandError("ERR Error unloading module: no such module with that name")
