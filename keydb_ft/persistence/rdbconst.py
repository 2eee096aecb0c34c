"""RDB format constants (rdb.h of Redis 7.4 / Valkey 8) and module type IDs."""

RDB_VERSION = 10                  # what we write (redis-server 7.0)
RDB_VERSION_MAX_READ = 12         # newest we read (Redis 7.4)
RDB_MAGIC = b"REDIS"

# Length encoding
RDB_6BITLEN = 0
RDB_14BITLEN = 1
RDB_32BITLEN = 0x80
RDB_64BITLEN = 0x81
RDB_ENCVAL = 3
RDB_ENC_INT8 = 0
RDB_ENC_INT16 = 1
RDB_ENC_INT32 = 2
RDB_ENC_LZF = 3

# Object types
RDB_TYPE_STRING = 0
RDB_TYPE_LIST = 1
RDB_TYPE_SET = 2
RDB_TYPE_ZSET = 3
RDB_TYPE_HASH = 4
RDB_TYPE_ZSET_2 = 5
RDB_TYPE_MODULE_PRE_GA = 6
RDB_TYPE_MODULE_2 = 7
RDB_TYPE_HASH_ZIPMAP = 9
RDB_TYPE_LIST_ZIPLIST = 10
RDB_TYPE_SET_INTSET = 11
RDB_TYPE_ZSET_ZIPLIST = 12
RDB_TYPE_HASH_ZIPLIST = 13
RDB_TYPE_LIST_QUICKLIST = 14
RDB_TYPE_STREAM_LISTPACKS = 15
RDB_TYPE_HASH_LISTPACK = 16
RDB_TYPE_ZSET_LISTPACK = 17
RDB_TYPE_LIST_QUICKLIST_2 = 18
RDB_TYPE_STREAM_LISTPACKS_2 = 19
RDB_TYPE_SET_LISTPACK = 20
RDB_TYPE_STREAM_LISTPACKS_3 = 21
RDB_TYPE_HASH_METADATA_PRE_GA = 22
RDB_TYPE_HASH_LISTPACK_EX_PRE_GA = 23
RDB_TYPE_HASH_METADATA = 24
RDB_TYPE_HASH_LISTPACK_EX = 25

# Opcodes
RDB_OPCODE_SLOT_INFO = 244
RDB_OPCODE_FUNCTION2 = 245
RDB_OPCODE_FUNCTION_PRE_GA = 246
RDB_OPCODE_MODULE_AUX = 247
RDB_OPCODE_IDLE = 248
RDB_OPCODE_FREQ = 249
RDB_OPCODE_AUX = 250
RDB_OPCODE_RESIZEDB = 251
RDB_OPCODE_EXPIRETIME_MS = 252
RDB_OPCODE_EXPIRETIME = 253
RDB_OPCODE_SELECTDB = 254
RDB_OPCODE_EOF = 255

# Module value sub-opcodes
RDB_MODULE_OPCODE_EOF = 0
RDB_MODULE_OPCODE_SINT = 1
RDB_MODULE_OPCODE_UINT = 2
RDB_MODULE_OPCODE_FLOAT = 3
RDB_MODULE_OPCODE_DOUBLE = 4
RDB_MODULE_OPCODE_STRING = 5

# Quicklist v2 node containers
QUICKLIST_NODE_CONTAINER_PLAIN = 1
QUICKLIST_NODE_CONTAINER_PACKED = 2

OBJECT_KIND = {
    RDB_TYPE_STRING: "string",
    RDB_TYPE_LIST: "list", RDB_TYPE_LIST_ZIPLIST: "list",
    RDB_TYPE_LIST_QUICKLIST: "list", RDB_TYPE_LIST_QUICKLIST_2: "list",
    RDB_TYPE_SET: "set", RDB_TYPE_SET_INTSET: "set", RDB_TYPE_SET_LISTPACK: "set",
    RDB_TYPE_ZSET: "zset", RDB_TYPE_ZSET_2: "zset", RDB_TYPE_ZSET_ZIPLIST: "zset",
    RDB_TYPE_ZSET_LISTPACK: "zset",
    RDB_TYPE_HASH: "hash", RDB_TYPE_HASH_ZIPMAP: "hash", RDB_TYPE_HASH_ZIPLIST: "hash",
    RDB_TYPE_HASH_LISTPACK: "hash", RDB_TYPE_HASH_METADATA_PRE_GA: "hash",
    RDB_TYPE_HASH_LISTPACK_EX_PRE_GA: "hash", RDB_TYPE_HASH_METADATA: "hash",
    RDB_TYPE_HASH_LISTPACK_EX: "hash",
    RDB_TYPE_STREAM_LISTPACKS: "stream", RDB_TYPE_STREAM_LISTPACKS_2: "stream",
    RDB_TYPE_STREAM_LISTPACKS_3: "stream",
    RDB_TYPE_MODULE_PRE_GA: "module", RDB_TYPE_MODULE_2: "module",
}

_MODULE_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def is_object_type(t: int) -> bool:
    return t in OBJECT_KIND


def module_type_name(module_id: int) -> tuple[str, int]:
    """(9-character type name, 10-bit encoding version) packed in a module ID."""
    chars = [_MODULE_CHARSET[(module_id >> (10 + 6 * i)) & 63] for i in range(9)]
    return "".join(reversed(chars)), module_id & 1023


def module_type_id(name: str, encver: int) -> int:
    if len(name) != 9 or any(c not in _MODULE_CHARSET for c in name) or not 0 <= encver < 1024:
        raise ValueError("module type names are 9 chars of A-Z a-z 0-9 - _")
    value = 0
    for c in name:
        value = (value << 6) | _MODULE_CHARSET.index(c)
    return (value << 10) | encver
