"""Consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, the group half of
XREADGROUP (read_group) and XINFO. Every change to a PEL is propagated as the XCLAIM /
XGROUP SETID / XGROUP CREATECONSUMER that reproduces it, as Redis does."""

from .. import errors
from ..db.blocking import key_ready
from ..db.keyspace import now_ms
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY, OK
from ..types.stream import MAX_ID, StreamValue, format_id, parse_id
from ..types.stream_groups import INVALID_READ, Group, lag
from .args import to_int
from .registry import command, help_reply, ks
from .streams import (STREAM, bump_dirty, error_with, find_group, get_stream,
                      range_end, range_start, stream_id)
from ..threadstate import peek

LONG_MAX = (1 << 63) - 1


def xclaim_effect(key, groupname, group, sid, nack):
    """streamPropagateXCLAIM: the idempotent XCLAIM that recreates (or drops) a PEL entry."""
    return [b"XCLAIM", key, groupname, nack.consumer.name, b"0", format_id(sid), b"TIME",
            b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count,
            b"FORCE", b"JUSTID", b"LASTID", format_id(group.last_id)]


def setid_effect(key, groupname, group):
    return [b"XGROUP", b"SETID", key, groupname, format_id(group.last_id), b"ENTRIESREAD",
            b"%d" % group.entries_read]


def _consumer(c, key, group, name, now):
    consumer, created = group.consumer(name, now)
    if created:
        bump_dirty()
        c.db.notify("t", "xgroup-createconsumer", key)
    return consumer, created


# -- XREADGROUP -----------------------------------------------------------------------------
def read_group(c, key, gt, count, groupname, consumer_name, noack, effects):
    """One stream of an XREADGROUP: its entries, or None when it has nothing to serve.
    gt is MAX_ID for ">" (new entries), else history after gt from the consumer's PEL."""
    stream = c.db.lookup_read(key)
    group = find_group(stream, groupname) if type(stream) is StreamValue else None
    if group is None:
        return None
    if gt == MAX_ID and (not stream.ids or stream.ids[-1] <= group.last_id):
        return None
    now = now_ms()
    consumer, created = _consumer(c, key, group, consumer_name, now)
    if created and noack:
        effects.append([b"XGROUP", b"CREATECONSUMER", key, groupname, consumer_name])
    if gt != MAX_ID:
        return _history(stream, consumer, gt + 1, count, now)
    sids = stream.range_ids(group.last_id + 1, MAX_ID, count)
    moved = False
    for sid in sids:
        if sid > group.last_id:
            group.advance(stream, sid)
            moved = True
        if not noack:
            nack = group.assign(sid, consumer, now)
            effects.append(xclaim_effect(key, groupname, group, sid, nack))
    if moved:       # Redis sends this for NOACK only: its replicas lose entries_read
        effects.append(setid_effect(key, groupname, group))
    return stream.pairs(sids)


def _history(stream, consumer, start, count, now):
    out = []
    for sid in consumer.pending_ids(start):
        if count and len(out) >= count:
            break
        pair = peek(stream.entries, sid)
        if pair is None:
            out.append([format_id(sid), NULL_ARRAY])
            continue
        nack = consumer.pel[sid]
        nack.delivery_time = now
        nack.delivery_count += 1
        out.append(pair)
    return out


# -- XGROUP ---------------------------------------------------------------------------------
def _xgroup_options(argv, sub):
    """Options after <key> <group> <id>: MKSTREAM (CREATE), ENTRIESREAD (CREATE, SETID)."""
    mkstream, entries_read = False, INVALID_READ
    i, n = 5, len(argv)
    while i < n:
        word = argv[i].lower()
        if sub == b"create" and word == b"mkstream":
            mkstream = True
            i += 1
        elif sub in (b"create", b"setid") and word == b"entriesread" and i + 1 < n:
            entries_read = to_int(argv[i + 1])
            if entries_read < 0 and entries_read != INVALID_READ:
                raise CommandError(errors.ENTRIESREAD_NEGATIVE)
            i += 2
        else:
            raise CommandError(errors.subcommand_syntax(argv[1], "xgroup"))
    return mkstream, entries_read


def _xgroup_target(c, argv, need_group=True):
    """XGROUP's shared checks: options, then the key (must exist unless MKSTREAM), then
    the group for the subcommands that need one. -> (stream, group, mkstream, read)."""
    sub = argv[1].lower()
    mkstream, entries_read = _xgroup_options(argv, sub)
    stream = get_stream(c, argv[2])
    group = find_group(stream, argv[3])
    if not mkstream:
        if stream is None:
            raise CommandError(errors.XGROUP_NEEDS_KEY)
        if group is None and need_group:
            raise error_with(errors.NOGROUP_FOR_KEY, argv[3], argv[2])
    return stream, group, mkstream, entries_read


def _xgroup_syntax(argv, ok):
    if not ok:
        raise CommandError(errors.subcommand_syntax(argv[1], "xgroup"))


_XG = dict(acl="stream", **STREAM)


@command("xgroup|delconsumer", 5, "write", keys=[ks("RW delete", 2)], **_XG)
def cmd_xgroup_delconsumer(c, argv):
    _stream, group, _mk, _read = _xgroup_target(c, argv)
    pending = group.delete_consumer(argv[4])
    if pending is None:
        return 0
    bump_dirty()
    c.db.notify("t", "xgroup-delconsumer", argv[2])
    return pending


@command("xgroup|createconsumer", 5, "write denyoom", keys=[ks("RW insert", 2)], **_XG)
def cmd_xgroup_createconsumer(c, argv):
    _stream, group, _mk, _read = _xgroup_target(c, argv)
    if argv[4] in group.consumers:
        return 0
    _consumer(c, argv[2], group, argv[4], now_ms())
    return 1


@command("xgroup|create", -5, "write denyoom", keys=[ks("RW insert", 2)], **_XG)
def cmd_xgroup_create(c, argv):
    stream, group, _mk, entries_read = _xgroup_target(c, argv, need_group=False)
    _xgroup_syntax(argv, len(argv) <= 8)
    if argv[4] == b"$":
        sid = stream.last_id if stream is not None else 0
    else:
        sid = stream_id(argv[4], strict=True)
    if stream is None:
        stream = StreamValue()
        c.db.add(argv[2], stream)
    if stream.groups is None:
        stream.groups = {}
    if argv[3] in stream.groups:
        raise CommandError(errors.BUSYGROUP)
    stream.groups[argv[3]] = Group(sid, entries_read)
    bump_dirty()
    c.db.notify("t", "xgroup-create", argv[2])
    return OK


@command("xgroup|destroy", 4, "write", keys=[ks("RW delete", 2)], **_XG)
def cmd_xgroup_destroy(c, argv):
    stream, group, _mk, _read = _xgroup_target(c, argv, need_group=False)
    if group is None:
        return 0
    del stream.groups[argv[3]]
    bump_dirty()
    c.db.notify("t", "xgroup-destroy", argv[2])
    key_ready(c.db, argv[2])          # blocked XREADGROUPs get -NOGROUP
    return 1


@command("xgroup|setid", -5, "write", keys=[ks("RW update", 2)], **_XG)
def cmd_xgroup_setid(c, argv):
    stream, group, _mk, entries_read = _xgroup_target(c, argv)
    _xgroup_syntax(argv, len(argv) in (5, 7))
    group.last_id = stream.last_id if argv[4] == b"$" else stream_id(argv[4])
    group.entries_read = entries_read
    bump_dirty()
    c.db.notify("t", "xgroup-setid", argv[2])
    return OK


@command("xgroup|help", 2, "loading stale",
         **_XG)
def cmd_xgroup_help(c, argv):
    return help_reply("XGROUP")


# -- XACK / XPENDING ------------------------------------------------------------------------
@command("xack", -4, "write fast", acl="stream", keys=[ks("RW update", 1)], **STREAM)
def cmd_xack(c, argv):
    group = find_group(get_stream(c, argv[1]), argv[2])
    if group is None:
        return 0
    sids = [stream_id(raw, strict=True) for raw in argv[3:]]
    acked = sum(1 for sid in sids if group.ack(sid))
    bump_dirty(acked)
    return acked


def _stream_and_group(c, argv, read=False):
    stream = get_stream(c, argv[1], read)
    group = find_group(stream, argv[2])
    if group is None:
        raise error_with(errors.NOGROUP_KEY_OR_GROUP, argv[1], argv[2])
    return stream, group


def _pending_summary(group):
    if not group.pel_ids:
        return [0, None, None, NULL_ARRAY]
    owners = [[cons.name, b"%d" % len(cons.pel)] for cons in group.sorted_consumers()
              if cons.pel]
    return [len(group.pel_ids), format_id(group.pel_ids[0]), format_id(group.pel_ids[-1]),
            owners]


@command("xpending", -3, "readonly", acl="stream", keys=[ks("RO access", 1)],
         tips=("nondeterministic_output",), **STREAM)
def cmd_xpending(c, argv):
    n = len(argv)
    if n != 3 and not 6 <= n <= 9:
        raise CommandError(errors.SYNTAX)
    if n == 3:
        return _pending_summary(_stream_and_group(c, argv, read=True)[1])
    at, min_idle = 3, 0
    if argv[3].lower() == b"idle":
        min_idle = to_int(argv[4])
        if n < 8:
            raise CommandError(errors.SYNTAX)
        at = 5
    count = max(0, to_int(argv[at + 2]))
    start, end = range_start(argv[at]), range_end(argv[at + 1])
    _stream, group = _stream_and_group(c, argv, read=True)
    if at + 3 < n:
        consumer = peek(group.consumers, argv[at + 3])
        if consumer is None:
            return []
        sids = consumer.pending_ids(start, end)
    else:
        sids = group.pel_range(start, end)
    now = now_ms()
    out = []
    for sid in sids:
        if len(out) >= count:
            break
        nack = group.pel[sid]
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        out.append([format_id(sid), nack.consumer.name, max(0, now - nack.delivery_time),
                    nack.delivery_count])
    return out


# -- XCLAIM / XAUTOCLAIM --------------------------------------------------------------------
class Claim:
    """What XCLAIM / XAUTOCLAIM share: the target, the consumer (made on first use), the
    reply items and the effects to propagate."""

    __slots__ = ("c", "argv", "stream", "group", "consumer", "now", "justid", "out",
                 "effects")

    def __init__(self, c, argv, stream, group, justid):
        self.c, self.argv, self.stream, self.group = c, argv, stream, group
        self.consumer = None
        self.now = now_ms()
        self.justid = justid
        self.out = []
        self.effects = []

    def drop(self, sid, nack):
        """The entry is gone from the stream: its PEL entry goes too (and replicas')."""
        self.effects.append(xclaim_effect(self.argv[1], self.argv[2], self.group, sid, nack))
        self.group.ack(sid)
        bump_dirty()

    def take(self, sid, nack, delivery_time, retrycount=-1):
        if self.consumer is None:
            self.consumer = _consumer(self.c, self.argv[1], self.group, self.argv[3],
                                      self.now)[0]
        self.group.claim(sid, nack, self.consumer)
        nack.delivery_time = delivery_time
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not self.justid:
            nack.delivery_count += 1
        self.out.append(format_id(sid) if self.justid
                        else self.stream.entries[sid])
        self.effects.append(xclaim_effect(self.argv[1], self.argv[2], self.group, sid, nack))
        bump_dirty()


def _claim_int(raw, what, command_name):
    return to_int(raw, errors.CLAIM_ARGUMENT.format(what, command_name))


def _xclaim_options(argv, j, now):
    """-> (force, justid, delivery time or -1, retrycount or -1, LASTID or 0)."""
    force = justid = False
    when, retry, last = -1, -1, 0
    n = len(argv)
    while j < n:
        word = argv[j].lower()
        more = j + 1 < n
        if word == b"force":
            force = True
        elif word == b"justid":
            justid = True
        elif word == b"idle" and more:
            j += 1
            when = now - _claim_int(argv[j], "IDLE option", "XCLAIM")
        elif word == b"time" and more:
            j += 1
            when = _claim_int(argv[j], "TIME option", "XCLAIM")
        elif word == b"retrycount" and more:
            j += 1
            retry = _claim_int(argv[j], "RETRYCOUNT option", "XCLAIM")
        elif word == b"lastid" and more:
            j += 1
            last = stream_id(argv[j], strict=True)
        else:
            raise error_with(errors.XCLAIM_OPTION, argv[j])
        j += 1
    return force, justid, when, retry, last


@command("xclaim", -6, "write fast", acl="stream", keys=[ks("RW update", 1)],
         tips=("nondeterministic_output",), **STREAM)
def cmd_xclaim(c, argv):
    stream, group = _stream_and_group(c, argv)
    min_idle = max(0, _claim_int(argv[4], "min-idle-time", "XCLAIM"))
    sids = []
    for raw in argv[5:]:
        sid = parse_id(raw, strict=True)
        if sid is None:
            break
        sids.append(sid)
    claim = Claim(c, argv, stream, group, False)
    now = claim.now
    force, claim.justid, when, retry, last = _xclaim_options(argv, 5 + len(sids), now)
    moved_last = last > group.last_id
    if moved_last:
        group.last_id = last
    when = now if when < 0 or when > now else when
    for sid in sids:
        nack = peek(group.pel, sid)
        if not stream.exists(sid):
            if nack is not None:
                claim.drop(sid, nack)
                moved_last = False
            continue
        if force and nack is None:
            nack = group.force_nack(sid, now)
        if nack is None or (nack.consumer is not None and min_idle
                            and now - nack.delivery_time < min_idle):
            continue
        claim.take(sid, nack, when, retry)
        moved_last = False
    if moved_last:
        claim.effects.append(setid_effect(argv[1], argv[2], group))
        bump_dirty()
    c.propagate_as = claim.effects
    return claim.out


def _xautoclaim_options(argv):
    count, justid = 100, False
    j, n = 6, len(argv)
    while j < n:
        word = argv[j].lower()
        if word == b"count" and j + 1 < n:
            count = to_int(argv[j + 1], errors.XAUTOCLAIM_COUNT)
            if not 1 <= count <= LONG_MAX // 16:
                raise CommandError(errors.XAUTOCLAIM_COUNT)
            j += 1
        elif word == b"justid":
            justid = True
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return count, justid


@command("xautoclaim", -6, "write fast", acl="stream", keys=[ks("RW delete", 1)],
         tips=("nondeterministic_output",), **STREAM)
def cmd_xautoclaim(c, argv):
    min_idle = max(0, _claim_int(argv[4], "min-idle-time", "XAUTOCLAIM"))
    start = range_start(argv[5])
    count, justid = _xautoclaim_options(argv)
    stream, group = _stream_and_group(c, argv)
    claim = Claim(c, argv, stream, group, justid)
    now = claim.now
    ids, lo = group.pel_from(start)
    attempts = count * 10
    window = ids[lo:lo + attempts + 1]
    deleted = []
    examined = 0
    for sid in window:
        if not attempts or not count:
            break
        attempts -= 1
        examined += 1
        nack = group.pel[sid]
        if not stream.exists(sid):
            claim.drop(sid, nack)
            deleted.append(format_id(sid))
            count -= 1
        elif not min_idle or now - nack.delivery_time >= min_idle:
            claim.take(sid, nack, now)
            count -= 1
    cursor = window[examined] if examined < len(window) else 0
    c.propagate_as = claim.effects
    return [format_id(cursor), claim.out, deleted]


# -- XINFO ----------------------------------------------------------------------------------
_XI = dict(acl="stream", **STREAM)


def _info_head(stream):
    return {b"length": stream.length, b"radix-tree-keys": len(stream.nodes),
            b"radix-tree-nodes": stream.rax_nodes(),
            b"last-generated-id": format_id(stream.last_id),
            b"max-deleted-entry-id": format_id(stream.max_deleted),
            b"entries-added": stream.entries_added,
            b"recorded-first-entry-id": format_id(stream.first_id)}


def _edge_entry(stream, index):
    return stream.entries[stream.ids[index]] if stream.ids else None


def _read_counter(group):
    return None if group.entries_read == INVALID_READ else group.entries_read


def _full_group(stream, name, group, count):
    pending = [[format_id(sid), (nack := group.pel[sid]).consumer.name, nack.delivery_time,
                nack.delivery_count] for sid in group.pel_ids[:count or None]]
    consumers = []
    for cons in group.sorted_consumers():
        mine = [[format_id(sid), (nack := cons.pel[sid]).delivery_time, nack.delivery_count]
                for sid in cons.pending_ids()[:count or None]]
        consumers.append({b"name": cons.name, b"seen-time": cons.seen_time,
                          b"pel-count": len(cons.pel), b"pending": mine})
    return {b"name": name, b"last-delivered-id": format_id(group.last_id),
            b"entries-read": _read_counter(group), b"lag": lag(stream, group),
            b"pel-count": len(group.pel), b"pending": pending, b"consumers": consumers}


def _info_stream(stream, full, count):
    info = _info_head(stream)
    groups = stream.groups or {}
    if not full:
        info[b"groups"] = len(groups)
        info[b"first-entry"] = _edge_entry(stream, 0)
        info[b"last-entry"] = _edge_entry(stream, -1)
        return info
    info[b"entries"] = stream.pairs(stream.ids[:count or None])
    info[b"groups"] = [_full_group(stream, name, groups[name], count)
                       for name in sorted(groups)]
    return info


def _info_target(c, argv):
    stream = get_stream(c, argv[2], read=True)
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    return stream


@command("xinfo|help", 2, "loading stale",
         **_XI)
def cmd_xinfo_help(c, argv):
    return help_reply("XINFO")


@command("xinfo|groups", 3, "readonly", keys=[ks("RO access", 2)],
         **_XI)
def cmd_xinfo_groups(c, argv):
    stream = _info_target(c, argv)
    groups = stream.groups or {}
    return [{b"name": name, b"consumers": len(g.consumers), b"pending": len(g.pel),
             b"last-delivered-id": format_id(g.last_id), b"entries-read": _read_counter(g),
             b"lag": lag(stream, g)} for name, g in sorted(groups.items())]


@command("xinfo|stream", -3, "readonly", keys=[ks("RO access", 2)], **_XI)
def cmd_xinfo_stream(c, argv):
    stream = _info_target(c, argv)
    opts = [w.lower() for w in argv[3:]]
    if not opts:
        return _info_stream(stream, False, 0)
    if len(opts) not in (1, 3) or opts[0] != b"full" or (len(opts) == 3 and opts[1] != b"count"):
        raise CommandError(errors.subcommand_syntax(argv[1], "xinfo"))
    count = to_int(argv[5]) if len(opts) == 3 else 10
    return _info_stream(stream, True, 10 if count < 0 else count)


@command("xinfo|consumers", 4, "readonly", keys=[ks("RO access", 2)],
         tips=("nondeterministic_output",),
         **_XI)
def cmd_xinfo_consumers(c, argv):
    stream = _info_target(c, argv)
    group = peek(stream.groups, argv[3]) if stream.groups else None
    if group is None:
        raise error_with(errors.NOGROUP_FOR_KEY, argv[3], argv[2])
    now = now_ms()
    return [{b"name": cons.name, b"pending": len(cons.pel),
             b"idle": max(0, now - cons.seen_time)} for cons in group.sorted_consumers()]
