"""Set commands: thin handlers over types.set.SetValue. Replies keep Redis 7.0's order
where it is deterministic: an intset (and a result that Redis builds as an intset) is
listed in ascending order. SPOP propagates as SREM of the popped members (DEL when it
empties the set)."""

from .. import errors
from ..errors import CommandError
from ..resp.writer import SetReply
from ..types.set import SetValue, sample_members
from .args import to_int_or_none
from .hashes import (after_removal, lookup_typed, random_count, remove_members, save,
                     scan_command)
from .registry import command, ks

SET = dict(group="set")
_RO = [ks("RO", 1)]
_RO_ACCESS = [ks("RO access", 1)]
_ORDER = ("nondeterministic_output_order",)
_RANDOM = ("nondeterministic_output",)
_INTER = ("O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
          "of sets.")
_UNION = "O(N) where N is the total number of elements in all given sets."


def _max_intset(c):
    return c.server.config.set_max_intset_entries


def _read(c, key):
    return lookup_typed(c, key, SetValue)


def _build(c, members):
    """A new set as Redis builds a result (starting as an intset)."""
    value = SetValue()
    value.add_members(members, _max_intset(c))
    return value


@command("sadd", -3, "write denyoom fast", acl="set", keys=[ks("RW insert", 1)], **SET)
def cmd_sadd(c, argv):
    key = argv[1]
    value = lookup_typed(c, key, SetValue, write=True)
    new = value is None
    if new:
        value = SetValue()
    added = value.add_members(argv[2:], _max_intset(c))
    if added:
        save(c, key, value, new, "s", "sadd")
        c.dirty_as = added
    return added


@command("srem", -3, "write fast", acl="set", keys=[ks("RW delete", 1)], **SET)
def cmd_srem(c, argv):
    return remove_members(c, argv, SetValue, "s", "srem")


@command("scard", 2, "readonly fast", acl="set", keys=_RO, **SET)
def cmd_scard(c, argv):
    value = _read(c, argv[1])
    return 0 if value is None else len(value)


@command("sismember", 3, "readonly fast", acl="set", keys=_RO, **SET)
def cmd_sismember(c, argv):
    value = _read(c, argv[1])
    return int(value is not None and argv[2] in value)


@command("smismember", -3, "readonly fast", acl="set", keys=_RO_ACCESS,
         **SET)
def cmd_smismember(c, argv):
    value = _read(c, argv[1]) or ()
    return [int(m in value) for m in argv[2:]]


@command("smembers", 2, "readonly", acl="set", keys=_RO_ACCESS, tips=_ORDER, **SET)
def cmd_smembers(c, argv):
    value = _read(c, argv[1])
    return SetReply() if value is None else SetReply(value.ordered())


@command("srandmember", -2, "readonly", acl="set", keys=_RO_ACCESS, tips=_RANDOM, **SET)
def cmd_srandmember(c, argv):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        value = _read(c, argv[1])
        return None if value is None else value.random_member()
    count = random_count(argv[2])
    value = _read(c, argv[1])
    if value is None or count == 0:
        return []
    return sample_members(value, count, value.ordered)


@command("spop", -2, "write fast", acl="set", keys=[ks("RW access delete", 1)],
         tips=_RANDOM, **SET)
def cmd_spop(c, argv):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 3:
        return _spop_count(c, argv[1], argv[2])
    key = argv[1]
    value = lookup_typed(c, key, SetValue, write=True)
    if value is None:
        return None
    member = value.pop_random()
    after_removal(c, key, value, "s", "spop")
    c.propagate_as = [[b"SREM", key, member]]
    return member


def _spop_count(c, key, raw):
    count = to_int_or_none(raw)
    if count is None or count < 0:
        raise CommandError(errors.MUST_BE_POSITIVE)
    value = lookup_typed(c, key, SetValue, write=True)
    if value is None or count == 0:
        return SetReply()
    size = len(value)
    db = c.db
    db.notify("s", "spop", key)
    if count >= size:
        members = _build(c, value).ordered()
        db.delete(key)
        db.notify("g", "del", key)
        c.propagate_as = [[b"DEL", key]]
        c.dirty_as = size
        return SetReply(members)
    remaining = size - count
    if remaining * 5 > count:
        popped = [value.pop_random() for _ in range(count)]
    else:
        keep = set(sample_members(value, remaining, list))
        popped = [m for m in value.ordered() if m not in keep]
        for member in popped:
            value.remove_member(member)
        value.reencode(_max_intset(c))
    db.changed(key, value)
    c.propagate_as = [[b"SREM", key, *popped]]
    c.dirty_as = count
    return SetReply(popped)


@command("smove", 4, "write fast", acl="set",
         keys=[ks("RW access delete", 1), ks("RW insert", 2)], **SET)
def cmd_smove(c, argv):
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    db = c.db
    src, dst = db.lookup(src_key), db.lookup(dst_key)
    if src is None:
        return 0
    if type(src) is not SetValue or (dst is not None and type(dst) is not SetValue):
        raise CommandError(errors.WRONGTYPE)
    if src is dst:
        return int(member in src)
    if not src.remove_member(member):
        return 0
    after_removal(c, src_key, src, "s", "srem")
    new = dst is None
    if new:
        dst = SetValue()
    if dst.add_members((member,), _max_intset(c)):
        save(c, dst_key, dst, new, "s", "sadd")
    return 1


# -- algebra ----------------------------------------------------------------------------------
def _sets(c, keys):
    """The sets at keys (None where missing); WRONGTYPE if any key holds another type."""
    return [_read(c, key) for key in keys]


def _intersection(sets, limit=0):
    """Members of every set, in the order Redis lists them (the smallest set's order)."""
    if not sets or any(s is None for s in sets):
        return []
    sets = sorted(sets, key=len)
    first = sets[0]
    rest = [s for s in sets[1:] if s is not first]
    if limit:
        found = []
        for member in first:
            if all(member in s for s in rest):
                found.append(member)
                if len(found) >= limit:
                    break
        return found
    common = first.intersection(*rest)
    return sorted(common, key=int) if first.intset else list(common)


def _union_or_diff(sets, union):
    present = [s for s in sets if s is not None]
    if union:
        return set().union(*present)
    if sets[0] is None:
        return ()
    return sets[0].difference(*present[1:])


def _store(c, dst_key, members, event):
    db = c.db
    result = _build(c, members)
    if result:
        db.set(dst_key, result)
        db.notify("s", event, dst_key)
        return len(result)
    if db.lookup(dst_key) is not None and db.delete(dst_key):
        db.notify("g", "del", dst_key)
    return 0


@command("sinter", -2, "readonly", acl="set", keys=[ks("RO access", 1, last=-1)],
         tips=_ORDER,
         **SET)
def cmd_sinter(c, argv):
    return SetReply(_intersection(_sets(c, argv[1:])))


@command("sintercard", -3, "readonly", acl="set", keys=[ks("RO access", 1, keynum=(0, 1, 1))], **SET)
def cmd_sintercard(c, argv):
    numkeys = to_int_or_none(argv[1])
    if numkeys is None or numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 2 + numkeys
    while i < len(argv):
        if argv[i].lower() != b"limit" or i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        limit = to_int_or_none(argv[i + 1])
        if limit is None or limit < 0:
            raise CommandError(errors.CARD_LIMIT_NEGATIVE)
        i += 2
    return len(_intersection(_sets(c, argv[2:2 + numkeys]), limit))


@command("sinterstore", -3, "write denyoom", acl="set",
         keys=[ks("RW update", 1), ks("RO access", 2, last=-1)], **SET)
def cmd_sinterstore(c, argv):
    return _store(c, argv[1], _intersection(_sets(c, argv[2:])), "sinterstore")


def _union_diff_reply(c, keys, union):
    return SetReply(_build(c, _union_or_diff(_sets(c, keys), union)).ordered())


_STORE_KEYS = [ks("OW update", 1), ks("RO access", 2, last=-1)]


@command("sunion", -2, "readonly", acl="set", keys=[ks("RO access", 1, last=-1)],
         tips=_ORDER, **SET)
def cmd_sunion(c, argv):
    return _union_diff_reply(c, argv[1:], True)


@command("sunionstore", -3, "write denyoom", acl="set", keys=_STORE_KEYS,
         **SET)
def cmd_sunionstore(c, argv):
    return _store(c, argv[1], _union_or_diff(_sets(c, argv[2:]), True), "sunionstore")


@command("sdiff", -2, "readonly", acl="set", keys=[ks("RO access", 1, last=-1)],
         tips=_ORDER,
         **SET)
def cmd_sdiff(c, argv):
    return _union_diff_reply(c, argv[1:], False)


@command("sdiffstore", -3, "write denyoom", acl="set", keys=_STORE_KEYS, **SET)
def cmd_sdiffstore(c, argv):
    return _store(c, argv[1], _union_or_diff(_sets(c, argv[2:]), False), "sdiffstore")


@command("sscan", -3, "readonly", acl="set", keys=_RO_ACCESS, tips=_RANDOM, **SET)
def cmd_sscan(c, argv):
    return scan_command(c, argv, SetValue)
