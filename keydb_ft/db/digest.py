"""DEBUG DIGEST / DIGEST-VALUE: the dataset's digest, the same 40 hex digits redis-server
7.0 computes for the same data, so test suites compare a dataset before and after a
reload, a COPY or a replica's sync by it.

Two SHA1 operations build it on a 20-byte value: xor adds SHA1(data) by XOR (order does
not matter: set members, hash fields, keys), mix does that and then replaces the value
by its own SHA1 (order matters: list elements, a stream's entries). A key's digest mixes
the key, the type's code as 4 big-endian bytes, then the value; a key with a TTL adds
"!!expire!!". The dataset's digest mixes each non-empty database's number, then xors
in its keys' digests. Keys are read as stored: expired keys not yet deleted count, as
in Redis. Stream consumer groups and KeyDB's member TTLs are not part of it (Redis 7.0
has no member TTLs)."""

from hashlib import sha1

from ..persistence.rdb_save import entry_fields
from ..types.hash import HashValue
from ..types.list import ListValue
from ..types.set import SetValue
from ..types.stream import StreamValue
from ..types.zset import ZSetValue

_U64 = (1 << 64) - 1
_CODES = {bytes: 0, bytearray: 0, ListValue: 1, SetValue: 2, ZSetValue: 3, HashValue: 4,
          StreamValue: 6}
_EXPIRE = int.from_bytes(sha1(b"!!expire!!").digest(), "big")


def _h(data):
    return int.from_bytes(sha1(data).digest(), "big")


def _mix(d, data):
    return _h((d ^ _h(data)).to_bytes(20, "big"))


def _add(d, part):
    """xor a 20-byte digest of its own into d (by its SHA1, as all data)."""
    return d ^ _h(part.to_bytes(20, "big"))


def _pair(first, second):
    """An element of two parts, as one of an unordered collection: both mixed into
    zero."""
    return _mix(_mix(0, first), second)


def value_digest(value, has_expire, d=0):
    """Mix value (its type code first) into the 20-byte int d; the TTL marker last."""
    kind = type(value)
    d = _mix(d, _CODES[kind].to_bytes(4, "big"))
    if kind is bytes or kind is bytearray:
        d = _mix(d, bytes(value))
    elif kind is ListValue:
        for element in value:
            d = _mix(d, element)
    elif kind is SetValue:
        for member in value:
            d ^= _h(member)
    elif kind is ZSetValue:
        for member, score in value.pairs():
            d = _add(d, _pair(member, b"%.17g" % score))
    elif kind is HashValue:
        for field, val in value.items():
            d = _add(d, _pair(field, val))
    else:                                             # StreamValue
        for sid in value.ids:
            d = _mix(d, b"%d.%d" % (sid >> 64, sid & _U64))
            for part in entry_fields(value.entries[sid]):
                d = _mix(d, part)
    if has_expire:
        d ^= _EXPIRE
    return d


def key_digest(db, key, value):
    return value_digest(value, db.get_expire(key) is not None, _mix(0, key))


def dataset_digest(dbs):
    """The digest of every database (the caller holds every stripe)."""
    final = 0
    for db in dbs:
        keys = [(key, value) for stripe in db.data for key, value in stripe.items()]
        if not keys:
            continue
        final = _mix(final, db.id.to_bytes(4, "big"))
        for key, value in keys:
            final = _add(final, key_digest(db, key, value))
    return final


def hex40(d):
    return "%040x" % d
