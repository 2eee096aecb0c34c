"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
Thin handlers over types.bitmap; a value being changed becomes a bytearray once and is
then changed in place (SETBIT on a big bitmap never copies it again)."""

from .. import errors
from ..errors import CommandError
from ..types import bitmap
from .args import to_int
from .registry import command, ks
from .strings import get_string, get_string_for_write
from ..threadstate import peek

BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range"
BIT_VALUE_ERR = "ERR bit is not an integer or out of range"
BIT_ARG_ERR = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ERR = "ERR BITOP NOT must be called with a single source key."
FIELD_TYPE_ERR = ("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is "
                  "not supported but i64 is.")
OVERFLOW_TYPE_ERR = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_ERR = "ERR BITFIELD_RO only supports the GET subcommand"

BITMAP = dict(group="bitmap")
RO_ACCESS = ks("RO access", 1)
_U64 = (1 << 64) - 1


def _wrap64(value):
    """A C int64 multiplication result (two's complement wrap-around)."""
    value &= _U64
    return value - (1 << 64) if value >> 63 else value


def bit_offset(c, raw, bits=0):
    """getBitOffsetFromArgument: "#n" means n * bits when bits is given."""
    use_hash = bits and raw[:1] == b"#"
    offset = to_int(raw[1:] if use_hash else raw, BIT_OFFSET_ERR)
    if use_hash:
        offset = _wrap64(offset * bits)
    if offset < 0 or (offset >> 3) >= c.server.config.proto_max_bulk_len:
        raise CommandError(BIT_OFFSET_ERR)
    return offset


def _writable(c, key, value, nbytes):
    """(bytearray covering nbytes to change in place, already stored?): a missing key is
    created; a bytes value is copied once and the caller stores the copy."""
    if value is None:
        buf = bytearray(nbytes)
        c.db.add(key, buf)
        return buf, True
    buf = value if type(value) is bytearray else bytearray(value)
    bitmap.grow(buf, nbytes)
    return buf, buf is value


def _store_change(c, key, buf, in_place):
    if in_place:
        c.db.changed(key, True)
    else:
        c.db.set(key, buf, keep_ttl=True)
    c.db.notify("$", "setbit", key)


@command("setbit", 4, "write denyoom", acl="bitmap", keys=[ks("RW access update", 1)], **BITMAP)
def cmd_setbit(c, argv):
    key = argv[1]
    offset = bit_offset(c, argv[2])
    on = to_int(argv[3], BIT_VALUE_ERR)
    if on not in (0, 1):
        raise CommandError(BIT_VALUE_ERR)
    value = get_string_for_write(c, key)
    nbytes = (offset >> 3) + 1
    if value is not None and len(value) >= nbytes and bitmap.get_bit(value, offset) == on:
        return on
    buf, in_place = _writable(c, key, value, nbytes)
    old = bitmap.set_bit(buf, offset, on)
    _store_change(c, key, buf, in_place)
    c.dirty_as = 1
    return old


@command("getbit", 3, "readonly fast", acl="bitmap", keys=[RO_ACCESS], **BITMAP)
def cmd_getbit(c, argv):
    offset = bit_offset(c, argv[2])
    value = get_string(c, argv[1])
    return 0 if value is None else bitmap.get_bit(value, offset)


def _unit_is_bit(raw):
    word = raw.lower()
    if word == b"bit":
        return True
    if word == b"byte":
        return False
    raise CommandError(errors.SYNTAX)


def _bit_range(start, end, size, is_bit):
    """Redis's clamping of a start / end pair to bit positions [first, last]."""
    total = size * 8 if is_bit else size
    if start < 0:
        start += total
    if end < 0:
        end += total
    start, end = max(start, 0), min(max(end, 0), total - 1)
    if is_bit:
        return start, end
    return start * 8, end * 8 + 7


@command("bitcount", -2, "readonly", acl="bitmap", keys=[RO_ACCESS], **BITMAP)
def cmd_bitcount(c, argv):
    value = get_string(c, argv[1])
    if value is None:
        return 0
    n = len(argv)
    if n == 2:
        return bitmap.count_bits(value, 0, len(value) * 8 - 1)
    if n not in (4, 5):
        raise CommandError(errors.SYNTAX)
    start, end = to_int(argv[2]), to_int(argv[3])
    if start < 0 and end < 0 and start > end:
        return 0
    is_bit = n == 5 and _unit_is_bit(argv[4])
    first, last = _bit_range(start, end, len(value), is_bit)
    return bitmap.count_bits(value, first, last)


@command("bitpos", -3, "readonly", acl="bitmap", keys=[RO_ACCESS], **BITMAP)
def cmd_bitpos(c, argv):
    bit = to_int(argv[2])
    if bit not in (0, 1):
        raise CommandError(BIT_ARG_ERR)
    value = get_string(c, argv[1])
    if value is None:
        return -1 if bit else 0
    n, size = len(argv), len(value)
    end_given = n >= 5
    if n == 3:
        first, last = 0, size * 8 - 1
    elif n <= 6:
        start = to_int(argv[3])
        is_bit = n == 6 and _unit_is_bit(argv[5])
        end = to_int(argv[4]) if end_given else (size * 8 if is_bit else size) - 1
        first, last = _bit_range(start, end, size, is_bit)
    else:
        raise CommandError(errors.SYNTAX)
    if first > last:
        return -1
    pos = bitmap.first_bit(value, bit, first, last)
    if pos < 0 and not bit and not end_given:
        return ((last >> 3) + 1) * 8   # the bytes after the string count as zeros
    return pos


_BITOPS = {b"and": "and", b"or": "or", b"xor": "xor", b"not": "not"}


@command("bitop", -4, "write denyoom", acl="bitmap",
         keys=[ks("OW update", 2), ks("RO access", 3, last=-1)], **BITMAP)
def cmd_bitop(c, argv):
    op = peek(_BITOPS, argv[1].lower())
    if op is None:
        raise CommandError(errors.SYNTAX)
    if op == "not" and len(argv) != 4:
        raise CommandError(BITOP_NOT_ERR)
    sources = [get_string(c, key) or b"" for key in argv[3:]]
    result = bitmap.bitop(op, sources)
    db, dest = c.db, argv[2]
    if result:
        db.set(dest, result)
        db.notify("$", "set", dest)
    elif db.lookup(dest) is not None and db.delete(dest):
        db.notify("g", "del", dest)
    return len(result)


# -- BITFIELD ---------------------------------------------------------------------------
_OVERFLOW = {b"wrap": "wrap", b"sat": "sat", b"fail": "fail"}


def _field_type(raw):
    """iN (1..64) or uN (1..63) -> (signed, bits)."""
    kind = raw[:1]
    digits = errors.c_string(raw[1:])
    if kind not in (b"i", b"u"):
        raise CommandError(FIELD_TYPE_ERR)
    bits = to_int(digits, FIELD_TYPE_ERR)
    signed = kind == b"i"
    if bits < 1 or bits > (64 if signed else 63):
        raise CommandError(FIELD_TYPE_ERR)
    return signed, bits


def _parse_bitfield(c, argv):
    """The operations: (op, signed, bits, offset, value, overflow mode)."""
    ops = []
    mode = "wrap"
    i, n = 2, len(argv)
    while i < n:
        word, left = argv[i].lower(), n - i - 1
        if word == b"overflow" and left >= 1:
            mode = peek(_OVERFLOW, argv[i + 1].lower())
            if mode is None:
                raise CommandError(OVERFLOW_TYPE_ERR)
            i += 2
            continue
        if not ((word == b"get" and left >= 2) or (word in (b"set", b"incrby") and left >= 3)):
            raise CommandError(errors.SYNTAX)
        signed, bits = _field_type(argv[i + 1])
        offset = bit_offset(c, argv[i + 2], bits)
        if word == b"get":
            ops.append(("get", signed, bits, offset, 0, mode))
            i += 3
        else:
            ops.append((word.decode(), signed, bits, offset, to_int(argv[i + 3]), mode))
            i += 4
    return ops


def _bitfield(c, argv, readonly_command):
    ops = _parse_bitfield(c, argv)
    key = argv[1]
    writes = [op for op in ops if op[0] != "get"]
    if not writes:
        value = get_string(c, key) or b""
        return [bitmap.get_field(value, offset, bits, signed)
                for _, signed, bits, offset, _, _ in ops]
    if readonly_command:
        raise CommandError(BITFIELD_RO_ERR)
    value = get_string_for_write(c, key)
    old_size = -1 if value is None else len(value)
    highest = max(offset + bits - 1 for _, _, bits, offset, _, _ in writes)
    buf, in_place = _writable(c, key, value, (highest >> 3) + 1)
    grown = len(buf) != old_size
    out, changes = [], 0
    for op in ops:
        reply, wrote = _run_field_op(buf, op)
        out.append(reply)
        if wrote is True or (grown and wrote is not None):
            changes += 1
    if changes:
        _store_change(c, key, buf, in_place)
    elif not in_place and grown:
        c.db.set(key, buf, keep_ttl=True)
    c.dirty_as = changes          # Redis counts the writes that changed or grew the value
    return out


def _run_field_op(buf, op):
    """One BITFIELD operation on buf -> (reply, None if nothing was written, else
    whether the written field differs from the old one)."""
    name, signed, bits, offset, arg, mode = op
    old = bitmap.get_field(buf, offset, bits, signed)
    if name == "get":
        return old, None
    if name == "incrby":
        new = bitmap.overflow(old + arg, bits, signed, mode)
        reply = new
    else:
        new = bitmap.overflow(arg if signed else arg & _U64, bits, signed, mode)
        reply = old
    if new is None:
        return None, None
    bitmap.set_field(buf, offset, bits, new)
    return reply, new != old


@command("bitfield", -2, "write denyoom", acl="bitmap",
         keys=[ks("RW access update variable_flags", 1,
                  notes="This command allows both access and modification of the key")],
         **BITMAP)
def cmd_bitfield(c, argv):
    return _bitfield(c, argv, False)


@command("bitfield_ro", -2, "readonly fast", acl="bitmap", keys=[RO_ACCESS], **BITMAP)
def cmd_bitfield_ro(c, argv):
    return _bitfield(c, argv, True)
