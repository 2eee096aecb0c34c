"""List commands: thin handlers over types.list.ListValue.

The pop / move helpers here (pop_list, move_element, parse_mpop) are shared with the
blocking variants in commands/blocking.py; a list that gets its first element signals
blocked clients through the keyspace (Database.add), so nothing here knows about them.
"""

from .. import errors
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY, OK
from ..types.list import ListValue
from .args import INT64_MAX, to_int
from .registry import command, ks
from ..threadstate import peek

LIST = dict(group="list")
RW_INSERT = ks("RW insert", 1)
RW_ACCESS_DELETE = ks("RW access delete", 1)
MOVE_KEYS = [ks("RW access delete", 1), ks("RW insert", 2)]
SIDES = {b"left": True, b"right": False}


def get_list(c, key, read=False):
    """The list at key, None if missing; WRONGTYPE for another type."""
    value = c.db.lookup_read(key) if read else c.db.lookup(key)
    if value is None or type(value) is ListValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def range_int(raw, low, message):
    """Redis's getRangeLongFromObjectOrReply with a message: the same text for a
    non-integer and for a value below low."""
    value = to_int(raw, message)
    if value < low:
        raise CommandError(message)
    return value


def side(raw):
    """LEFT / RIGHT -> True for the head; ERR syntax error otherwise."""
    where = peek(SIDES, raw.lower())
    if where is None:
        raise CommandError(errors.SYNTAX)
    return where


def _event(left, head, tail):
    return head if left else tail


# -- push -----------------------------------------------------------------------------------
def _push(c, argv, left, existing_only):
    key = argv[1]
    db = c.db
    value = get_list(c, key)
    if value is None:
        if existing_only:
            return 0
        value = ListValue()
        value.push(argv[2:], left)
        db.add(key, value)
    else:
        value.push(argv[2:], left)
        db.changed(key, value)
    db.notify("l", _event(left, "lpush", "rpush"), key)
    c.dirty_as = len(argv) - 2           # Redis counts each element pushed
    return len(value)


def _push_command(name, left, existing_only):
    @command(name, -3, "write denyoom fast", acl="list", keys=[RW_INSERT], **LIST)
    def handler(c, argv):
        return _push(c, argv, left, existing_only)
    handler.__name__ = f"cmd_{name}"
    return handler


cmd_lpush = _push_command("lpush", True, False)
cmd_rpush = _push_command("rpush", False, False)
cmd_lpushx = _push_command("lpushx", True, True)
cmd_rpushx = _push_command("rpushx", False, True)


# -- pop ------------------------------------------------------------------------------------
def pop_list(c, key, value, left, count):
    """Pop up to count elements of the list value at key, with the events and the
    deletion of an emptied list. Returns the popped elements."""
    db = c.db
    items = value.pop_many(count, left)
    db.notify("l", _event(left, "lpop", "rpop"), key)
    db.changed(key, value)
    c.dirty_as = len(items)             # Redis counts each element popped
    if not value:
        db.notify("g", "del", key)
    return items


def _pop(c, argv, left):
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    count = range_int(argv[2], 0, errors.MUST_BE_POSITIVE) if len(argv) == 3 else None
    key = argv[1]
    value = get_list(c, key)
    if value is None:
        return None if count is None else NULL_ARRAY
    if count is None:
        return pop_list(c, key, value, left, 1)[0]
    if not count:
        return []
    return pop_list(c, key, value, left, count)


@command("lpop", -2, "write fast", acl="list", keys=[RW_ACCESS_DELETE], **LIST)
def cmd_lpop(c, argv):
    return _pop(c, argv, True)


@command("rpop", -2, "write fast", acl="list", keys=[RW_ACCESS_DELETE], **LIST)
def cmd_rpop(c, argv):
    return _pop(c, argv, False)


def parse_mpop(argv, numkeys_at):
    """[B]LMPOP's numkeys key... LEFT|RIGHT [COUNT n] -> (keys, left, count)."""
    numkeys = range_int(argv[numkeys_at], 1, "ERR numkeys should be greater than 0")
    where_at = numkeys_at + numkeys + 1
    if where_at >= len(argv):
        raise CommandError(errors.SYNTAX)
    left = side(argv[where_at])
    count = None
    i = where_at + 1
    while i < len(argv):
        if count is None and argv[i].lower() == b"count" and i + 1 < len(argv):
            count = range_int(argv[i + 1], 1, "ERR count should be greater than 0")
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    return argv[numkeys_at + 1:where_at], left, count or 1


def mpop_from(c, key, left, count):
    """LMPOP's pop from one key: [key, elements] (propagated as [LR]POP key n), or None
    when the key holds no list elements; WRONGTYPE for another type."""
    value = get_list(c, key)
    if not value:
        return None
    n = min(count, len(value))
    c.propagate_as = [[b"LPOP" if left else b"RPOP", key, b"%d" % n]]
    return [key, pop_list(c, key, value, left, count)]


@command("lmpop", -4, "write", acl="list", keys=[ks("RW access delete", 1, keynum=(0, 1, 1))], **LIST)
def cmd_lmpop(c, argv):
    keys, left, count = parse_mpop(argv, 1)
    for key in keys:
        reply = mpop_from(c, key, left, count)
        if reply is not None:
            return reply
    return NULL_ARRAY


# -- reads ----------------------------------------------------------------------------------
@command("llen", 2, "readonly fast", acl="list", keys=[ks("RO", 1)], **LIST)
def cmd_llen(c, argv):
    value = get_list(c, argv[1], read=True)
    return 0 if value is None else len(value)


@command("lrange", 4, "readonly", acl="list", keys=[ks("RO access", 1)], **LIST)
def cmd_lrange(c, argv):
    start, stop = to_int(argv[2]), to_int(argv[3])
    value = get_list(c, argv[1], read=True)
    return [] if value is None else value.range(start, stop)


@command("lindex", 3, "readonly", acl="list", keys=[ks("RO access", 1)],
         **LIST)
def cmd_lindex(c, argv):
    value = get_list(c, argv[1], read=True)
    if value is None:
        return None
    return value.get(to_int(argv[2]))


@command("lpos", -3, "readonly", acl="list", keys=[ks("RO access", 1)], **LIST)
def cmd_lpos(c, argv):
    rank, count, maxlen = _lpos_options(argv)
    value = get_list(c, argv[1], read=True)
    if value is None:
        return None if count is None else []
    found = value.positions(argv[2], rank, 1 if count is None else count, maxlen)
    if count is None:
        return found[0] if found else None
    return found


def _lpos_options(argv):
    rank, count, maxlen = 1, None, 0
    i = 3
    while i < len(argv):
        word = argv[i].lower()
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        raw = argv[i + 1]
        if word == b"rank":
            rank = to_int(raw)
            if rank == 0:
                raise CommandError("ERR RANK can't be zero: use 1 to start from the first "
                                   "match, 2 from the second ... or use negative to start "
                                   "from the end of the list")
        elif word == b"count":
            count = range_int(raw, 0, "ERR COUNT can't be negative")
        elif word == b"maxlen":
            maxlen = range_int(raw, 0, "ERR MAXLEN can't be negative")
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    if rank < -INT64_MAX:       # Redis negates the rank: LONG_MIN acts as -1
        rank = -1
    return rank, count, maxlen


# -- in-place writes ------------------------------------------------------------------------
@command("lset", 4, "write denyoom", acl="list", keys=[ks("RW update", 1)], **LIST)
def cmd_lset(c, argv):
    key = argv[1]
    value = get_list(c, key)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if not value.replace(to_int(argv[2]), argv[3]):
        raise CommandError(errors.INDEX_OUT_OF_RANGE)
    c.db.changed(key, value)
    c.db.notify("l", "lset", key)
    return OK


@command("linsert", 5, "write denyoom", acl="list", keys=[RW_INSERT],
         **LIST)
def cmd_linsert(c, argv):
    where = argv[2].lower()
    if where not in (b"before", b"after"):
        raise CommandError(errors.SYNTAX)
    key = argv[1]
    value = get_list(c, key)
    if value is None:
        return 0
    length = value.insert_at(argv[3], argv[4], where == b"after")
    if length > 0:
        c.db.changed(key, value)
        c.db.notify("l", "linsert", key)
    return length


@command("lrem", 4, "write", acl="list", keys=[ks("RW delete", 1)], **LIST)
def cmd_lrem(c, argv):
    count = to_int(argv[2])
    key = argv[1]
    value = get_list(c, key)
    if value is None:
        return 0
    removed = value.remove_value(argv[3], count)
    if removed:
        c.db.changed(key, value)
        c.db.notify("l", "lrem", key)
        if not value:
            c.db.notify("g", "del", key)
    return removed


@command("ltrim", 4, "write", acl="list", keys=[ks("RW delete", 1)],
         **LIST)
def cmd_ltrim(c, argv):
    start, stop = to_int(argv[2]), to_int(argv[3])
    key = argv[1]
    value = get_list(c, key)
    if value is None:
        return OK
    value.trim(start, stop)
    c.db.changed(key, value)
    c.db.notify("l", "ltrim", key)
    if not value:
        c.db.notify("g", "del", key)
    return OK


# -- move -----------------------------------------------------------------------------------
def move_element(c, src, dst, from_left, to_left):
    """LMOVE's work once src is known to hold a non-empty list: WRONGTYPE for a
    destination of another type; returns the moved element."""
    db = c.db
    source = db.lookup(src)
    target = get_list(c, dst)
    element = source.popleft() if from_left else source.pop()
    if target is None:
        target = ListValue((element,))
        db.add(dst, target)
    else:
        target.push((element,), to_left)
        db.changed(dst, target)
    db.notify("l", _event(to_left, "lpush", "rpush"), dst)
    db.notify("l", _event(from_left, "lpop", "rpop"), src)
    db.changed(src, source)
    if not source:
        db.notify("g", "del", src)
    c.dirty_as = 1                      # one change for Redis (lmoveGenericCommand)
    return element


def lmove(c, src, dst, from_left, to_left):
    source = get_list(c, src)
    if not source:
        return None
    return move_element(c, src, dst, from_left, to_left)


@command("lmove", 5, "write denyoom", acl="list", keys=MOVE_KEYS, **LIST)
def cmd_lmove(c, argv):
    from_left, to_left = side(argv[3]), side(argv[4])
    return lmove(c, argv[1], argv[2], from_left, to_left)


@command("rpoplpush", 3, "write denyoom", acl="list", keys=MOVE_KEYS, **LIST)
def cmd_rpoplpush(c, argv):
    return lmove(c, argv[1], argv[2], False, True)
