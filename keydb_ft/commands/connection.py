"""Connection commands: PING, ECHO, QUIT, RESET, SELECT, SWAPDB, AUTH, HELLO."""

from .. import REDIS_VERSION, errors
from ..errors import CommandError
from ..resp.writer import OK
from .args import to_int
from .registry import command

CONN = dict(group="connection")


@command("ping", -1, "fast pubsub_ok", acl="connection",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"), **CONN)
def cmd_ping(c, argv):
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    if (c.channels or c.patterns or c.shard_channels) and not c.resp3:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else "PONG"


@command("echo", 2, "loading stale fast", acl="connection", **CONN)
def cmd_echo(c, argv):
    return argv[1]


@command("quit", -1, "noscript loading stale fast no_auth allow_busy multi_ok pubsub_ok",
         acl="connection", **CONN)
def cmd_quit(c, argv):
    c.closing = True
    c.replain()
    c.mute = False
    return OK


@command("reset", 1, "noscript loading stale fast no_auth allow_busy multi_ok pubsub_ok",
         acl="connection", **CONN)
def cmd_reset(c, argv):
    c.server.reset_client(c)
    return "RESET"


@command("select", 2, "loading stale fast", acl="connection", **CONN)
def cmd_select(c, argv):
    index = to_int(argv[1])
    if c.server.config.cluster_enabled and index != 0:
        raise CommandError("ERR SELECT is not allowed in cluster mode")
    if not 0 <= index < len(c.server.keyspace.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    c.db = c.server.keyspace.dbs[index]
    return OK


@command("swapdb", 3, "write fast all_stripes", acl="keyspace dangerous", group="server")
def cmd_swapdb(c, argv):
    ks = c.server.keyspace
    try:
        a = to_int(argv[1])
    except CommandError:
        raise CommandError("ERR invalid first DB index") from None
    try:
        b = to_int(argv[2])
    except CommandError:
        raise CommandError("ERR invalid second DB index") from None
    if c.server.config.cluster_enabled:
        raise CommandError("ERR SWAPDB is not allowed in cluster mode")
    if not (0 <= a < len(ks.dbs) and 0 <= b < len(ks.dbs)):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    if a != b:
        da, db = ks.dbs[a], ks.dbs[b]
        ks.touch_all_watched(da, db)
        ks.touch_all_watched(db, da)
        da.data, db.data = db.data, da.data
        da.expires, db.expires = db.expires, da.expires
        da.access, db.access = db.access, da.access
        for hook in c.server.swapdb_hooks:
            hook(a, b)
        from ..db.keyspace import thread_stats
        thread_stats().dirty += 1
    return OK


def _auth_secrets(argv):
    """AUTH [user] password: both hidden (MONITOR, slowlog) unless it has too many words."""
    return range(1, len(argv)) if len(argv) <= 3 else ()


def _hello_secrets(argv):
    """HELLO's AUTH user password, as far as its options read before one is wrong."""
    try:
        if len(argv) >= 2 and not 2 <= to_int(argv[1]) <= 3:
            return ()
    except CommandError:
        return ()
    found = []
    i = 2
    while i < len(argv):
        word, more = argv[i].lower(), len(argv) - 1 - i
        if word == b"auth" and more >= 2:
            found += (i + 1, i + 2)
            i += 3
        elif word == b"setname" and more:
            i += 2
        else:
            break
    return found


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", acl="connection",
         redact=_auth_secrets, **CONN)
def cmd_auth(c, argv):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        if c.server.default_user_nopass():
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not c.server.authenticate(c, user, password):
        raise CommandError(errors.WRONGPASS)
    return OK


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", acl="connection",
         redact=_hello_secrets, **CONN)
def cmd_hello(c, argv):
    version = None
    if len(argv) >= 2:
        try:
            version = to_int(argv[1])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        if version < 2 or version > 3:
            raise CommandError(errors.NOPROTO)
    user = password = name = None
    i = 2
    while i < len(argv):
        word = argv[i].lower()
        more = len(argv) - 1 - i
        if word == b"auth" and more >= 2:
            user, password = argv[i + 1], argv[i + 2]
            i += 3
        elif word == b"setname" and more >= 1:
            name = argv[i + 1]
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if user is not None and not c.server.authenticate(c, user, password):
        raise CommandError(errors.WRONGPASS)
    if not c.authenticated:
        raise CommandError("NOAUTH HELLO must be called with the client already authenticated, "
                           "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                           "authenticate the client and select the RESP protocol version at the "
                           "same time")
    if name is not None:
        check_client_name(name)
        c.name = name.decode() or None
    if version is not None:
        c.resp3 = version == 3
    return {b"server": b"redis", b"version": REDIS_VERSION.encode(),
            b"proto": 3 if c.resp3 else 2, b"id": c.id,
            b"mode": b"cluster" if c.server.config.cluster_enabled else b"standalone",
            b"role": c.server.role_name().encode(), b"modules": []}


def check_client_name(name):
    if any(b < 33 or b > 126 for b in name):
        raise CommandError("ERR Client names cannot contain spaces, newlines or special "
                           "characters.")
