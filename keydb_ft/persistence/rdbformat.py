"""RDB primitives: constants, length/string/number encodings, Reader and Writer.

Pure codec layer (no server state, sockets or locks). We write RDB version 10 as
redis-server 7.0 does, and read versions 1..12 (Redis up to 7.4, Valkey 8 writes 11).

Length encoding (first byte, two top bits):
    00xxxxxx              6-bit length
    01xxxxxx yyyyyyyy     14-bit length, big endian
    10000000 <u32 BE>     32-bit length
    10000001 <u64 BE>     64-bit length
    11xxxxxx              special string encoding xxxxxx: 0 int8, 1 int16, 2 int32
                          (little endian, signed), 3 LZF: <clen> <len> <clen bytes>
Saving a string (rdbSaveRawString): at most 11 bytes and the canonical decimal form of
an integer in int32 range -> int encoding; else, with rdbcompression on and more than
20 bytes, LZF when it saves at least 4 bytes; else length + raw bytes.
Doubles: binary (8 bytes LE IEEE, ZSET_2 and later), or the old string form: a length
byte (253 nan, 254 +inf, 255 -inf) then "%.17g" text. Expiry: EXPIRETIME_MS + u64 LE
ms, or the old EXPIRETIME + u32 LE seconds.
"""

import math
import struct

from . import lzf
from .crc64 import crc64
from .formaterror import RDBFormatError
from .listpack import strict_int64

from .rdbconst import *  # noqa: F401,F403  (the constants are re-exported from here)
from .rdbconst import (RDB_ENC_INT8, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_LZF, RDB_ENCVAL,
                       RDB_14BITLEN, RDB_32BITLEN, RDB_64BITLEN, RDB_MAGIC, RDB_OPCODE_AUX,
                       RDB_OPCODE_EOF, RDB_OPCODE_EXPIRETIME_MS, RDB_OPCODE_FREQ,
                       RDB_OPCODE_FUNCTION2, RDB_OPCODE_IDLE, RDB_OPCODE_RESIZEDB,
                       RDB_OPCODE_SELECTDB, RDB_VERSION, RDB_VERSION_MAX_READ)

_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")


def double_to_rdb_text(value: float) -> bytes:
    """Decimal text Redis 7.0 writes for a double (rdbSaveDoubleValue, d2string):
    integral values within +-2^62 as integers, otherwise "%.17g"."""
    if value != value:
        return b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if -4611686018427387903.0 <= value <= 4611686018427387903.0 and value == int(value):
        return str(int(value)).encode()
    return (b"%.17g" % value)


def int_encoding(data) -> bytes | None:
    """The integer encoding (tag byte + LE int) Redis uses for `data`, if any."""
    if len(data) > 11:
        return None
    value = strict_int64(bytes(data))
    if value is None:
        return None
    return encode_int_string(value)


def encode_int_string(value: int) -> bytes | None:
    """rdbEncodeInteger: INT8/16/32 form of `value`, None outside int32."""
    for enc, width in ((RDB_ENC_INT8, 1), (RDB_ENC_INT16, 2), (RDB_ENC_INT32, 4)):
        bound = 1 << (8 * width - 1)
        if -bound <= value < bound:
            return bytes(((RDB_ENCVAL << 6) | enc,)) + value.to_bytes(width, "little", signed=True)
    return None


def encode_length(n: int) -> bytes:
    if n < 0:
        raise ValueError("negative length")
    if n < 1 << 6:
        return bytes((n,))
    if n < 1 << 14:
        return bytes(((RDB_14BITLEN << 6) | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    if n < 1 << 64:
        return b"\x81" + n.to_bytes(8, "big")
    raise ValueError("length does not fit in 64 bits")


def encode_string(data, compress: bool = True) -> bytes:
    """rdbSaveRawString: the bytes Redis writes for string `data`."""
    data = bytes(data)
    encoded = int_encoding(data)
    if encoded is not None:
        return encoded
    if compress and len(data) > 20:
        packed = lzf.compress(data, len(data) - 4)
        if packed is not None:
            return (bytes(((RDB_ENCVAL << 6) | RDB_ENC_LZF,)) + encode_length(len(packed))
                    + encode_length(len(data)) + packed)
    return encode_length(len(data)) + data


# ---- DUMP payloads ------------------------------------------------------------

def build_dump_payload(body, rdb_version: int = RDB_VERSION) -> bytes:
    """DUMP payload: type byte + object (`body`), RDB version u16 LE, CRC64 LE."""
    head = bytes(body) + rdb_version.to_bytes(2, "little")
    return head + crc64(head).to_bytes(8, "little")


def parse_dump_payload(payload, max_version: int = RDB_VERSION,
                       verify_checksum: bool = True) -> tuple[memoryview, int]:
    """(body, rdb_version) of a DUMP payload, checked like Redis verifyDumpPayload.

    A checksum of 0 is not special for DUMP (unlike RDB files).
    """
    view = memoryview(payload).cast("B")
    if len(view) < 10:
        raise RDBFormatError("DUMP payload shorter than its 10-byte footer", len(view))
    version = int.from_bytes(view[-10:-8], "little")
    if version > max_version:
        raise RDBFormatError(f"DUMP payload RDB version {version} is too new", len(view) - 10)
    if verify_checksum and crc64(view[:-8]).to_bytes(8, "little") != view[-8:]:
        raise RDBFormatError("DUMP payload checksum mismatch", len(view) - 8)
    return view[:-10], version


# ---- Reader -------------------------------------------------------------------

class Reader:
    """Sequential decoder over a bytes-like buffer.

    `pos` is the index of the next byte; errors carry `base + pos`-style absolute
    offsets (pass `base` when the buffer is a slice of something larger). Every
    read either returns a value or raises RDBFormatError; it never lets
    IndexError or struct.error escape.
    """

    __slots__ = ("_buf", "pos", "end", "base")

    def __init__(self, data, pos: int = 0, end: int | None = None, base: int = 0) -> None:
        self._buf = data if isinstance(data, bytes) else memoryview(data).cast("B")
        self.pos = pos
        self.end = len(self._buf) if end is None else end
        self.base = base

    @property
    def offset(self) -> int:
        """Absolute offset of the next byte."""
        return self.base + self.pos

    def error(self, reason: str, at: int | None = None) -> RDBFormatError:
        return RDBFormatError(reason, self.base + (self.pos if at is None else at))

    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def _take(self, n: int, what: str) -> int:
        start = self.pos
        if n < 0 or start + n > self.end:
            raise self.error(f"truncated input reading {what} "
                             f"({n} bytes needed, {self.end - start} left)")
        self.pos = start + n
        return start

    def read_bytes(self, n: int, what: str = "bytes") -> bytes:
        start = self._take(n, what)
        return bytes(self._buf[start:start + n])

    def read_view(self, n: int, what: str = "bytes") -> memoryview:
        start = self._take(n, what)
        return memoryview(self._buf)[start:start + n]

    def read_u8(self, what: str = "byte") -> int:
        return self._buf[self._take(1, what)]

    def peek_u8(self) -> int | None:
        return self._buf[self.pos] if self.pos < self.end else None

    def read_type(self) -> int:
        """An object type or opcode byte."""
        return self.read_u8("type/opcode")

    def read_uint_le(self, width: int, what: str = "integer") -> int:
        start = self._take(width, what)
        return int.from_bytes(self._buf[start:start + width], "little")

    def read_int_le(self, width: int, what: str = "integer") -> int:
        start = self._take(width, what)
        return int.from_bytes(self._buf[start:start + width], "little", signed=True)

    def read_uint_be(self, width: int, what: str = "integer") -> int:
        start = self._take(width, what)
        return int.from_bytes(self._buf[start:start + width], "big")

    def read_length_or_encoding(self) -> tuple[int, bool]:
        """(value, is_encoded): a length, or with is_encoded the RDB_ENC_* kind."""
        first = self.read_u8("length")
        kind = first >> 6
        if kind == RDB_ENCVAL:
            return first & 0x3F, True
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.read_u8("14-bit length"), False
        if first == RDB_32BITLEN:
            return self.read_uint_be(4, "32-bit length"), False
        if first == RDB_64BITLEN:
            return self.read_uint_be(8, "64-bit length"), False
        raise self.error(f"unknown length encoding 0x{first:02x}", self.pos - 1)

    def read_length(self, what: str = "length") -> int:
        value, encoded = self.read_length_or_encoding()
        if encoded:
            raise self.error(f"{what}: got a string encoding where a length belongs",
                             self.pos - 1)
        return value

    def read_string_value(self) -> bytes | int:
        """A string; integer-encoded strings come back as int."""
        start = self.pos
        value, encoded = self.read_length_or_encoding()
        if not encoded:
            return self.read_bytes(value, "string")
        if value == RDB_ENC_INT8:
            return self.read_int_le(1, "int8 string")
        if value == RDB_ENC_INT16:
            return self.read_int_le(2, "int16 string")
        if value == RDB_ENC_INT32:
            return self.read_int_le(4, "int32 string")
        if value == RDB_ENC_LZF:
            return self._read_lzf()
        raise self.error(f"unknown string encoding {value}", start)

    def _read_lzf(self) -> bytes:
        clen = self.read_length("LZF compressed length")
        length = self.read_length("LZF uncompressed length")
        at = self.pos
        packed = self.read_view(clen, "LZF data")
        return lzf.decompress(packed, length, base=self.base + at)

    def read_string(self) -> bytes:
        value = self.read_string_value()
        return value if isinstance(value, bytes) else str(value).encode()

    def read_double(self) -> float:
        """Binary double (8 bytes little endian)."""
        start = self._take(8, "binary double")
        return _DOUBLE.unpack_from(self._buf, start)[0]

    def read_float(self) -> float:
        start = self._take(4, "binary float")
        return _FLOAT.unpack_from(self._buf, start)[0]

    def read_old_double(self) -> float:
        """The pre-RDB-8 string double: length byte (253 nan, 254 inf, 255 -inf) + text."""
        at = self.pos
        n = self.read_u8("string double length")
        if n >= 253:
            return (math.nan, math.inf, -math.inf)[n - 253]
        text = self.read_bytes(n, "string double")
        try:
            return float(text)
        except ValueError:
            raise self.error("string double is not a number", at) from None

    def read_ms_time(self) -> int:
        """Millisecond timestamp: signed 64-bit little endian."""
        return self.read_int_le(8, "millisecond time")

    def read_seconds_time(self) -> int:
        """Old second-resolution expire: signed 32-bit little endian."""
        return self.read_int_le(4, "second time")

    def read_stream_id(self) -> tuple[int, int]:
        """A 16-byte big-endian stream ID (node keys, PEL entries)."""
        return self.read_uint_be(8, "stream ID ms"), self.read_uint_be(8, "stream ID seq")

    def read_header(self, max_version: int = RDB_VERSION_MAX_READ) -> int:
        """'REDIS' + 4 ASCII digits; returns the RDB version."""
        at = self.pos
        magic = self.read_bytes(9, "RDB header")
        if magic[:5] != RDB_MAGIC or not magic[5:].isdigit():
            raise self.error("not an RDB file (bad magic)", at)
        version = int(magic[5:])
        if not 1 <= version <= max_version:
            raise self.error(f"can't handle RDB format version {version}", at + 5)
        return version

    def read_checksum(self, start: int = 0) -> bool:
        """Read the 8-byte footer after EOF and check it against bytes [start, here).

        Returns False when the stored checksum is 0 (saved with rdbchecksum no).
        """
        covered_end = self.pos
        stored = self.read_uint_le(8, "checksum")
        if stored == 0:
            return False
        actual = crc64(memoryview(self._buf)[start:covered_end])
        if actual != stored:
            raise self.error(f"wrong RDB checksum {stored:016x}, computed {actual:016x}",
                             covered_end)
        return True


# ---- Writer -------------------------------------------------------------------

class Writer:
    """Builds RDB bytes into a bytearray, choosing encodings like Redis 7.0.

    `compress` is the rdbcompression setting (LZF for strings over 20 bytes).
    """

    __slots__ = ("buf", "compress")

    def __init__(self, compress: bool = True) -> None:
        self.buf = bytearray()
        self.compress = compress

    def __len__(self) -> int:
        return len(self.buf)

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def write_bytes(self, data) -> None:
        self.buf += data

    def write_u8(self, value: int) -> None:
        self.buf.append(value)

    write_type = write_u8

    def write_length(self, n: int) -> None:
        self.buf += encode_length(n)

    def write_string(self, data) -> None:
        """rdbSaveRawString: int encoding, else LZF (if enabled), else raw."""
        self.buf += encode_string(data, self.compress)

    def write_raw_string(self, data) -> None:
        """Length + bytes, never int-encoded or compressed."""
        self.buf += encode_length(len(data))
        self.buf += data

    def write_int_string(self, value: int) -> None:
        """rdbSaveLongLongAsStringObject: INT8/16/32, else decimal text (no LZF)."""
        encoded = encode_int_string(value)
        if encoded is None:
            text = str(value).encode()
            encoded = encode_length(len(text)) + text
        self.buf += encoded

    def write_lzf_blob(self, packed, original_len: int) -> None:
        """An already LZF-compressed string (e.g. a compressed quicklist node)."""
        self.buf.append((RDB_ENCVAL << 6) | RDB_ENC_LZF)
        self.buf += encode_length(len(packed)) + encode_length(original_len)
        self.buf += packed

    def write_double(self, value: float) -> None:
        self.buf += _DOUBLE.pack(value)

    def write_float(self, value: float) -> None:
        self.buf += _FLOAT.pack(value)

    def write_old_double(self, value: float) -> None:
        if value != value:
            self.buf.append(253)
        elif math.isinf(value):
            self.buf.append(254 if value > 0 else 255)
        else:
            text = double_to_rdb_text(value)
            self.buf.append(len(text))
            self.buf += text

    def write_ms_time(self, ms: int) -> None:
        self.buf += ms.to_bytes(8, "little", signed=True)

    def write_seconds_time(self, seconds: int) -> None:
        self.buf += seconds.to_bytes(4, "little", signed=True)

    def write_stream_id(self, ms: int, seq: int) -> None:
        self.buf += ms.to_bytes(8, "big") + seq.to_bytes(8, "big")

    def write_header(self, version: int = RDB_VERSION) -> None:
        self.buf += RDB_MAGIC + b"%04d" % version

    def write_aux(self, key, value) -> None:
        """AUX field; an int value is written like rdbSaveAuxFieldStrInt."""
        self.buf.append(RDB_OPCODE_AUX)
        self.write_string(key)
        self.write_string(str(value).encode() if isinstance(value, int) else value)

    def write_selectdb(self, db: int) -> None:
        self.buf.append(RDB_OPCODE_SELECTDB)
        self.write_length(db)

    def write_resizedb(self, db_size: int, expires_size: int) -> None:
        self.buf.append(RDB_OPCODE_RESIZEDB)
        self.write_length(db_size)
        self.write_length(expires_size)

    def write_expire_ms(self, ms: int) -> None:
        self.buf.append(RDB_OPCODE_EXPIRETIME_MS)
        self.write_ms_time(ms)

    def write_idle(self, seconds: int) -> None:
        self.buf.append(RDB_OPCODE_IDLE)
        self.write_length(seconds)

    def write_freq(self, freq: int) -> None:
        self.buf.append(RDB_OPCODE_FREQ)
        self.buf.append(freq)

    def write_function(self, code) -> None:
        self.buf.append(RDB_OPCODE_FUNCTION2)
        self.write_string(code)

    def write_eof(self, checksum: bool = True, start: int = 0) -> None:
        """EOF opcode and the CRC64 of everything from `start` (8 zero bytes if off)."""
        self.buf.append(RDB_OPCODE_EOF)
        crc = crc64(memoryview(self.buf)[start:]) if checksum else 0
        self.buf += crc.to_bytes(8, "little")
