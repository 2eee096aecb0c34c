"""SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE / SSUBSCRIBE / SUNSUBSCRIBE,
PUBLISH / SPUBLISH and PUBSUB introspection, over keydb_ft.pubsub.PubSub."""

from ..pubsub import PubSub
from ..resp.writer import Push
from ..threadstate import peek
from . import INSTALLERS
from .args import glob_matcher
from .dispatch import NO_REPLY
from .registry import command, help_reply, ks

PUB = dict(group="pubsub")
_SUB_FLAGS = "pubsub noscript loading stale pubsub_ok"

# kind -> (client attribute, registry table, subscribe word, unsubscribe word)
KINDS = {
    "channel": ("channels", "channels", b"subscribe", b"unsubscribe"),
    "pattern": ("patterns", "patterns", b"psubscribe", b"punsubscribe"),
    "shard": ("shard_channels", "shard", b"ssubscribe", b"sunsubscribe"),
}


def _count(c, kind):
    if kind == "shard":
        return len(c.shard_channels)
    return len(c.channels) + len(c.patterns)


def _subscribe(c, names, kind):
    attr, table, word, _ = KINDS[kind]
    mine = getattr(c, attr)
    pubsub = c.server.pubsub
    for name in names:
        if name not in mine:
            mine.add(name)
            pubsub.subscribe(c, table, name)
        c.reply_push(Push([word, name, _count(c, kind)]))
    c.replain()
    return NO_REPLY


def _unsubscribe(c, names, kind):
    attr, table, _, word = KINDS[kind]
    mine = getattr(c, attr)
    pubsub = c.server.pubsub
    targets = names or sorted(mine)
    if not targets:
        c.reply_push(Push([word, None, _count(c, kind)]))
        return NO_REPLY
    for name in targets:
        if name in mine:
            mine.discard(name)
            pubsub.unsubscribe(c, table, name)
        c.reply_push(Push([word, name, _count(c, kind)]))
    c.replain()
    return NO_REPLY


@command("subscribe", -2, _SUB_FLAGS, **PUB)
def cmd_subscribe(c, argv):
    return _subscribe(c, argv[1:], "channel")


@command("unsubscribe", -1, _SUB_FLAGS, **PUB)
def cmd_unsubscribe(c, argv):
    return _unsubscribe(c, argv[1:], "channel")


@command("psubscribe", -2, _SUB_FLAGS, **PUB)
def cmd_psubscribe(c, argv):
    return _subscribe(c, argv[1:], "pattern")


@command("punsubscribe", -1, _SUB_FLAGS, **PUB)
def cmd_punsubscribe(c, argv):
    return _unsubscribe(c, argv[1:], "pattern")


@command("ssubscribe", -2, _SUB_FLAGS, keys=[ks("not_key", 1, last=-1)], **PUB)
def cmd_ssubscribe(c, argv):
    return _subscribe(c, argv[1:], "shard")


@command("sunsubscribe", -1, _SUB_FLAGS, keys=[ks("not_key", 1, last=-1)], **PUB)
def cmd_sunsubscribe(c, argv):
    return _unsubscribe(c, argv[1:], "shard")


@command("publish", 3, "pubsub loading stale fast may_replicate", **PUB)
def cmd_publish(c, argv):
    return _published(c, argv, c.server.pubsub.publish(argv[1], argv[2]))


def _published(c, argv, receivers):
    """A message is sent on to replicas too, as Redis does (their own subscribers
    get it); the AOF never holds it."""
    ks = c.server.keyspace
    if ks.propagating:
        ks.propagate_to_replicas(c.db.id, argv)
    return receivers


@command("spublish", 3, "pubsub loading stale fast may_replicate", keys=[ks("not_key", 1)], **PUB)
def cmd_spublish(c, argv):
    return _published(c, argv, c.server.pubsub.publish(argv[1], argv[2], shard=True))


_INTRO = dict(group="pubsub")
_INTRO_FLAGS = "pubsub loading stale"


def _names(table, pattern):
    match = glob_matcher(pattern) if pattern is not None else None
    return [name for name in list(table) if match is None or match(name)]


@command("pubsub|channels", -2, _INTRO_FLAGS, **_INTRO)
def cmd_pubsub_channels(c, argv):
    ps = c.server.pubsub
    with ps.lock:
        return _names(ps.channels, argv[2] if len(argv) > 2 else None)


@command("pubsub|shardchannels", -2, _INTRO_FLAGS, **_INTRO)
def cmd_pubsub_shardchannels(c, argv):
    ps = c.server.pubsub
    with ps.lock:
        return _names(ps.shard, argv[2] if len(argv) > 2 else None)


def _numsub(c, argv, table):
    ps = c.server.pubsub
    out = []
    with ps.lock:
        for name in argv[2:]:
            out += [name, len(peek(getattr(ps, table), name, ()))]
    return out


@command("pubsub|numsub", -2, _INTRO_FLAGS, **_INTRO)
def cmd_pubsub_numsub(c, argv):
    return _numsub(c, argv, "channels")


@command("pubsub|shardnumsub", -2, _INTRO_FLAGS, **_INTRO)
def cmd_pubsub_shardnumsub(c, argv):
    return _numsub(c, argv, "shard")


@command("pubsub|numpat", 2, _INTRO_FLAGS, **_INTRO)
def cmd_pubsub_numpat(c, argv):
    return c.server.pubsub.counts()[1]


@command("pubsub|help", 2, "loading stale", **_INTRO)
def cmd_pubsub_help(c, argv):
    return help_reply("PUBSUB")


def install(server):
    server.pubsub = PubSub(server)
    server.close_hooks.append(server.pubsub.drop_client)
    server.reset_hooks.append(server.pubsub.drop_client)
    server.pubsub_counts = server.pubsub.counts
    cfg = server.config

    def apply_events(config, opt, value):      # checked and spelled by config.py
        server.pubsub.configure_events(value)

    cfg.hooks["notify"] = apply_events
    server.pubsub.configure_events(cfg.notify_keyspace_events)


INSTALLERS.append(install)
