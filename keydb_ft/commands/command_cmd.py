"""COMMAND and its subcommands, all derived from the registry."""

from .. import errors
from ..errors import CommandError
from .args import glob_matcher
from .dispatch import resolve
from .registry import COMMANDS, all_commands, command, help_reply

_DOC = dict(group="server")
_FLAGS = "loading stale"


@command("command", -1, _FLAGS, acl="connection", tips=("nondeterministic_output_order",),
         group="server")
def cmd_command(c, argv):
    if len(argv) > 1:
        raise CommandError(errors.unknown_subcommand(argv[1], "command"))
    return [cmd.info_reply() for cmd in COMMANDS.values()]


@command("command|count", 2, _FLAGS, acl="connection", **_DOC)
def cmd_command_count(c, argv):
    return len(COMMANDS)


@command("command|info", -2, _FLAGS, acl="connection", tips=("nondeterministic_output_order",), **_DOC)
def cmd_command_info(c, argv):
    if len(argv) == 2:
        return [cmd.info_reply() for cmd in COMMANDS.values()]
    return [_find(name).info_reply() if _find(name) else None for name in argv[2:]]


def _find(raw):
    name = raw.lower()
    if b"|" in name:
        container, sub = name.split(b"|", 1)
        parent = COMMANDS.get(container)
        return parent.subcommands.get(sub) if parent else None
    return COMMANDS.get(name)


@command("command|docs", -2, _FLAGS, acl="connection", tips=("nondeterministic_output_order",), **_DOC)
def cmd_command_docs(c, argv):
    if len(argv) == 2:
        return {cmd.name.encode(): cmd.docs_reply() for cmd in COMMANDS.values()}
    out = {}
    for raw in argv[2:]:
        cmd = _find(raw)
        if cmd is not None:
            out[cmd.fullname.encode()] = cmd.docs_reply()
    return out


@command("command|list", -2, _FLAGS, acl="connection", tips=("nondeterministic_output_order",), **_DOC)
def cmd_command_list(c, argv):
    cmds = list(all_commands())
    if len(argv) == 2:
        return [cmd.fullname.encode() for cmd in cmds]
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise CommandError(errors.SYNTAX)
    kind, value = argv[3].lower(), argv[4]
    if kind == b"module":
        return []
    if kind == b"aclcat":
        cat = value.decode("utf-8", "replace").lower()
        return [cmd.fullname.encode() for cmd in cmds if cat in cmd.acl_categories()]
    if kind == b"pattern":
        match = glob_matcher(value, nocase=True)
        return [cmd.fullname.encode() for cmd in cmds if match(cmd.fullname.encode())]
    raise CommandError(errors.SYNTAX)


def _getkeys(argv):
    try:
        cmd = resolve(argv[2:])
    except CommandError as exc:
        if exc.text.startswith("ERR unknown command") or "unknown subcommand" in exc.text:
            raise CommandError("ERR Invalid command specified") from None
        raise CommandError("ERR Invalid number of arguments specified for command") from None
    positions = cmd.key_positions(argv[2:])
    if not positions:
        if not cmd.key_specs and cmd.getkeys is None:
            raise CommandError("ERR The command has no key arguments")
        raise CommandError("ERR Invalid arguments specified for command")
    return cmd, positions


@command("command|getkeys", -4, _FLAGS, acl="connection", **_DOC)
def cmd_command_getkeys(c, argv):
    cmd, positions = _getkeys(argv)
    return [argv[2 + i] for i in positions]


@command("command|getkeysandflags", -4, _FLAGS, acl="connection", **_DOC)
def cmd_command_getkeysandflags(c, argv):
    cmd, positions = _getkeys(argv)
    flags = _position_flags(cmd, argv[2:])
    from ..resp.writer import SetReply
    # keys found by a getkeys function (SORT ... STORE) take their "unknown" spec's flags
    found = next((s.flags for s in reversed(cmd.key_specs) if s.begin[0] == "unknown"), ())
    return [[argv[2 + i], SetReply(flags.get(i, found))] for i in positions]


def _position_flags(cmd, argv):
    from .registry import _spec_positions
    out = {}
    for spec in cmd.key_specs:
        for i in _spec_positions(spec, argv, len(argv)):
            out.setdefault(i, spec.flags)
    if cmd.keyflags is not None:
        out = {i: cmd.keyflags(argv, i) for i in out}
    return out


@command("command|help", 2, _FLAGS, acl="connection",
         **_DOC)
def cmd_command_help(c, argv):
    return help_reply("COMMAND")
