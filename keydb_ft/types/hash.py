"""The hash type: a dict of bytes fields to bytes values. Insertion order is kept, which is
exactly the order of a Redis listpack (an update keeps the field's place, a new field goes
to the end), so small hashes reply in the same order as Redis 7.0. The value remembers the
encoding Redis would use: listpack until it holds more than hash-max-listpack-entries
fields or a field or value longer than hash-max-listpack-value; then hashtable for good.
"""

from . import register_encoding, register_type
from .member_expiry import copy_expires, register_member_expiry
from .set import note_added, picker_for, random_members

_MISSING = object()


class HashValue(dict):
    __slots__ = ("listpack", "member_expires", "picker", "scan_cache")

    def __init__(self, pairs=()):
        dict.__init__(self, pairs)
        self.listpack = True
        self.member_expires = None
        self.picker = None
        self.scan_cache = None

    def copy(self):
        new = HashValue(self)
        new.listpack = self.listpack
        new.member_expires = copy_expires(self.member_expires)
        return new

    def fit(self, max_entries, max_value, texts=()):
        """After a write: leave the listpack encoding when Redis would (too many fields, or
        one of the written fields / values is too long)."""
        if self.listpack and (len(self) > max_entries
                              or any(len(t) > max_value for t in texts)):
            self.listpack = False

    def is_compact(self):
        return self.listpack

    def ordered(self):
        """Fields in reply order (insertion order, as a listpack keeps them)."""
        return list(self)

    # -- fields ------------------------------------------------------------------------
    def set_field(self, field, value, keep_ttl=False):
        """Store a field; True when it is new. HSET forgets the field's TTL (Redis 7.4),
        HINCRBY* keep it (keep_ttl)."""
        created = field not in self
        self[field] = value
        if created:
            note_added(self, (field,))
        elif not keep_ttl and self.member_expires is not None:
            self.member_expires.discard(field)
        return created

    def has_member(self, field):
        return field in self

    def remove_member(self, field):
        if dict.pop(self, field, _MISSING) is _MISSING:
            return False
        expires = self.member_expires
        if expires is not None:
            expires.discard(field)
        return True

    def random_field(self):
        return picker_for(self).pick(self)[1]

    def random_fields(self, count, unique):
        return random_members(self, count, unique)


def _hash_encoding(value, config):
    return "listpack" if value.listpack else "hashtable"


register_type(HashValue, "hash")
register_encoding(HashValue, _hash_encoding)
register_member_expiry(HashValue, b"HDEL", "h", "hexpired")
