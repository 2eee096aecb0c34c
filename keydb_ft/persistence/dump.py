"""DUMP / RESTORE payloads: the value's RDB type and body, the RDB version (2 bytes, little
endian) and a CRC64 of both (little endian), as Redis 7.0 builds them.

We write version 10 (redis-server 7.0 restores our payloads) and accept up to 12 (Redis
7.4, Valkey 8). A hash with field TTLs is dumped the way Redis 7.4 does it
(RDB_TYPE_HASH_METADATA, version 12), so the TTLs survive a DUMP / RESTORE here and
in 7.4; member TTLs of sets and sorted sets (KeyDB) are not carried by DUMP.
"""

import time

from . import rdbconst as C
from .formaterror import RDBFormatError
from .rdb_load import Limits, to_value
from .rdb_save import SaveOptions, save_hash_metadata, save_value
from .rdbformat import Reader, Writer, build_dump_payload, parse_dump_payload
from .rdbvalue import read_object

BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_FORMAT = "ERR Bad data format"


class PayloadError(Exception):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


def dump_payload(value, config):
    opts = SaveOptions(config)
    w = Writer(opts.compress)
    expires = getattr(value, "member_expires", None)
    if expires and type(value).__name__ == "HashValue":
        save_hash_metadata(w, None, value, opts)
        return build_dump_payload(w.buf, 12)
    save_value(w, None, value, opts)
    return build_dump_payload(w.buf, C.RDB_VERSION)


def restore_value(payload, config, check_sum=True):
    """The value a payload holds; raises PayloadError with Redis's reply text."""
    try:
        body, _version = parse_dump_payload(payload, C.RDB_VERSION_MAX_READ, check_sum)
    except RDBFormatError:
        raise PayloadError(BAD_PAYLOAD) from None
    r = Reader(body)
    try:
        rdbtype = r.read_type()
        if rdbtype not in C.OBJECT_KIND:
            raise PayloadError(BAD_FORMAT)
        obj = read_object(r, rdbtype)
        if not r.at_end():
            raise PayloadError(BAD_FORMAT)
        value = to_value(rdbtype, obj, Limits(config), time.time_ns() // 1_000_000)
    except (RDBFormatError, ValueError):
        raise PayloadError(BAD_FORMAT) from None
    if value is None or _empty(value):
        raise PayloadError(BAD_FORMAT)
    return value


def _empty(value):
    if isinstance(value, (bytes, bytearray)):
        return False
    if type(value).__name__ == "StreamValue":
        return False
    return len(value) == 0
