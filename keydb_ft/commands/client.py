"""CLIENT subcommands. Clients of other loops are read for LIST/INFO (single attribute
reads) and closed through their own loop's mailbox, never touched directly."""


from .. import errors
from ..errors import CommandError, c_string
from ..replication.propagate import encode_command
from ..resp.writer import OK, Verbatim
from .args import to_int
from .connection import check_client_name
from .registry import command, help_reply

_DOC = dict(group="connection")
_ADMIN = "admin noscript loading stale"
_PLAIN = "noscript loading stale"
_TYPES = ("normal", "master", "replica", "slave", "pubsub")


def client_type(client):
    if client.replica is not None:
        return "replica"
    if "M" in client.flags_extra:
        return "master"
    if client.channels or client.patterns or client.shard_channels:
        return "pubsub"
    return "normal"


@command("client|id", 2, _PLAIN, acl="connection", **_DOC)
def cmd_client_id(c, argv):
    return c.id


@command("client|setname", 3, _PLAIN, acl="connection", **_DOC)
def cmd_client_setname(c, argv):
    check_client_name(argv[2])
    c.name = argv[2].decode() or None
    return OK


@command("client|getname", 2, _PLAIN, acl="connection", **_DOC)
def cmd_client_getname(c, argv):
    return c.name.encode() if c.name else None


@command("client|setinfo", 4, _PLAIN, acl="connection", since="7.2.0",
         summary="Sets information specific to the client or connection.",
         complexity="O(1)", **_DOC)
def cmd_client_setinfo(c, argv):
    attr = argv[2].lower()
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(f"ERR Unrecognized option '{argv[2].decode('utf-8', 'replace')}'")
    value = argv[3]
    if any(b < 33 or b > 126 for b in value):
        raise CommandError(f"ERR {attr.decode()} cannot contain spaces, newlines or special "
                           "characters.")
    if attr == b"lib-name":
        c.lib_name = value.decode() or None
    else:
        c.lib_ver = value.decode() or None
    return OK


@command("client|list", -2, _ADMIN, acl="connection", tips=("nondeterministic_output",), **_DOC)
def cmd_client_list(c, argv):
    clients = sorted(c.server.client_list(), key=lambda x: x.id)
    i = 2
    while i < len(argv):
        word = argv[i].lower()
        if word == b"type" and i + 1 < len(argv):
            kind = argv[i + 1].decode("utf-8", "replace").lower()
            if kind not in _TYPES:
                raise CommandError(f"ERR Unknown client type '{argv[i + 1].decode('utf-8', 'replace')}'")
            kind = "replica" if kind == "slave" else kind
            clients = [x for x in clients if client_type(x) == kind]
            i += 2
        elif word == b"id" and i + 1 < len(argv):
            ids = set()
            for raw in argv[i + 1:]:
                try:
                    ids.add(to_int(raw))
                except CommandError:
                    raise CommandError("ERR Invalid client ID") from None
            clients = [x for x in clients if x.id in ids]
            i = len(argv)
        else:
            raise CommandError(errors.SYNTAX)
    running = len(encode_command(argv))
    return Verbatim("".join(x.info_line(running if x is c else 0) + "\n" for x in clients))


@command("client|info", 2, _PLAIN, acl="connection", tips=("nondeterministic_output",), **_DOC)
def cmd_client_info(c, argv):
    return Verbatim(c.info_line(len(encode_command(argv))) + "\n")


@command("client|kill", -3, _ADMIN, acl="connection", **_DOC)
def cmd_client_kill(c, argv):
    clients = c.server.client_list()
    if len(argv) == 3:
        addr = argv[2].decode("utf-8", "replace")
        victims = [x for x in clients if x.addr == addr]
        if not victims:
            raise CommandError("ERR No such client")
        _kill(c, victims)
        return OK
    skipme = True
    filters = []
    i = 2
    while i < len(argv):
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        word, raw = argv[i].lower(), argv[i + 1]
        text = raw.decode("utf-8", "replace")
        if word == b"id":
            try:
                wanted = to_int(raw)
            except CommandError:
                wanted = 0
            if wanted <= 0:
                raise CommandError("ERR client-id should be greater than 0")
            filters.append(lambda x, w=wanted: x.id == w)
        elif word == b"type":
            kind = text.lower()
            if kind not in _TYPES:
                raise CommandError(f"ERR Unknown client type '{text}'")
            kind = "replica" if kind == "slave" else kind
            filters.append(lambda x, k=kind: client_type(x) == k)
        elif word == b"addr":
            filters.append(lambda x, a=text: x.addr == a)
        elif word == b"laddr":
            filters.append(lambda x, a=text: x.laddr == a)
        elif word == b"user":
            if text != "default":            # the only user there is (no ACL users yet)
                raise CommandError("ERR No such user "
                                   f"'{c_string(raw).decode('utf-8', 'replace')}'")
            filters.append(lambda x, u=text: x.user == u)
        elif word == b"skipme":
            if raw.lower() not in (b"yes", b"no"):
                raise CommandError(errors.SYNTAX)
            skipme = raw.lower() == b"yes"
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    victims = [x for x in clients if all(f(x) for f in filters) and not (skipme and x is c)]
    _kill(c, victims)
    return len(victims)


def _kill(c, victims):
    for victim in victims:
        if victim is c:
            c.closing = True
            c.replain()
        else:
            victim.kill_requested = True
            victim.loop.post(victim.close)


@command("client|pause", -3, _ADMIN, acl="connection", **_DOC)
def cmd_client_pause(c, argv):
    try:
        ms = to_int(argv[2])
    except CommandError:
        raise CommandError("ERR timeout is not an integer or out of range") from None
    if ms < 0:
        raise CommandError("ERR timeout is negative")
    mode = "all"
    if len(argv) == 4:
        word = argv[3].lower()
        if word not in (b"write", b"all"):
            raise CommandError(errors.SYNTAX)
        mode = word.decode()
    elif len(argv) > 4:
        raise CommandError(errors.SYNTAX)
    c.server.pause(ms / 1000.0, mode)
    return OK


@command("client|unpause", 2, _ADMIN, acl="connection", **_DOC)
def cmd_client_unpause(c, argv):
    c.server.unpause()
    return OK


@command("client|reply", 3, _PLAIN, acl="connection",
         **_DOC)
def cmd_client_reply(c, argv):
    word = argv[2].lower()
    if word == b"on":
        c.reply_mode = "on"
        c.replain()
        c.mute = False
        return OK
    if word == b"off":
        c.reply_mode = "off"
        c.replain()
    elif word == b"skip":
        if c.reply_mode != "off":
            c.reply_mode = "skip"
            c.replain()
    else:
        raise CommandError(errors.SYNTAX)
    c.mute = True
    return None


@command("client|no-evict", 3, _ADMIN, acl="connection",
         **_DOC)
def cmd_client_no_evict(c, argv):
    word = argv[2].lower()
    if word not in (b"on", b"off"):
        raise CommandError(errors.SYNTAX)
    c.no_evict = word == b"on"
    return OK


@command("client|getredir", 2, _PLAIN, acl="connection", **_DOC)
def cmd_client_getredir(c, argv):
    return -1


@command("client|help", 2, "loading stale", acl="connection",
         **_DOC)
def cmd_client_help(c, argv):
    return help_reply("CLIENT", [       # 7.2's, which Redis 7.0 does not list
        "SETINFO <option> <value>",
        "    Set client meta attributes: LIB-NAME or LIB-VER."])
