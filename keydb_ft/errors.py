"""Every error text the server sends, in one place, spelled as redis-server 7.0 spells it.

Handlers raise CommandError (or one of the ready-made instances' texts); the dispatcher
turns it into a RESP error reply. The first word of the text is the error code used by
INFO errorstats.
"""


class CommandError(Exception):
    """A command failed with a Redis error reply; str(self) is the reply text."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


class ArityError(CommandError):
    """A known command (or subcommand) with the wrong number of arguments: Redis counts
    it as a rejected call of that command (commandstats rejected_calls)."""

    def __init__(self, text, command):
        super().__init__(text)
        self.command = command


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT_OF_RANGE = "ERR index out of range"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
INVALID_DB_INDEX = "ERR invalid DB index"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = ("ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?")
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
NOT_IN_MULTI_EXEC = "ERR EXEC without MULTI"
NOT_IN_MULTI_DISCARD = "ERR DISCARD without MULTI"
NESTED_MULTI = "ERR MULTI calls can not be nested"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
SAME_OBJECT = "ERR source and destination objects are the same"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
NEGATIVE_TIMEOUT = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
DEBUG_DISABLED = ("ERR DEBUG command not allowed. If the enable-debug-command option is set to "
                  "\"local\", you can run it from a local connection, otherwise you need to set "
                  "this option in the configuration file, and then restart the server.")
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
# keydb-ft's own: a reload saves (a snapshot's epoch takes every stripe) and empties the
# keyspace under every stripe, so inside EXEC, which holds them all, it would wait on
# itself (redis-server runs it there)
DEBUG_NOT_IN_EXEC = "ERR DEBUG {} is not supported inside MULTI"
DEBUG_PROTOCOL_TYPES = ("ERR Wrong protocol type name. Please use one of the following: "
                        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|"
                        "true|false")
PACKED_THRESHOLD = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
RESP2_UNSUPPORTED = "ERR RESP2 is not supported by this command"
NOPROTO = "NOPROTO unsupported protocol version"
READONLY = "READONLY You can't write against a read only replica."
NOREPLICAS = "NOREPLICAS Not enough good replicas to write."
# SYNC / PSYNC to a replica whose own link is not up (Redis's syncCommand)
NOMASTERLINK = "NOMASTERLINK Can't SYNC while not connected with my master"
MASTERDOWN = ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to "
              "'no'.")
# EXEC refused by a gate check after its commands were queued (Redis's execCommandAbort)
EXECABORT_BECAUSE = "EXECABORT Transaction discarded because of: {}"
REPLICAOF_FROM_REPLICA = "ERR Command is not valid when client is a replica."
INVALID_MASTER_PORT = "ERR Invalid master port"
UNKNOWN_REPLCONF = "ERR Unrecognized REPLCONF option: {}"
WAIT_ON_REPLICA = ("ERR WAIT cannot be used with replica instances. Please also note that since "
                   "Redis 4.0 if a replica is configured to be writable (which is not the "
                   "default) writes to replicas are just local and are not propagated.")
OOM = "OOM command not allowed when used memory > 'maxmemory'."
LOADING = "LOADING Redis is loading the dataset in memory"
NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."


def wrong_arity(name):
    return f"ERR wrong number of arguments for '{name}' command"


def unknown_command(argv):
    """Redis lists the arguments until their text reaches 128 bytes."""
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'" + c_string(arg)[:128 - len(args)] + b"' "
    return (f"ERR unknown command '{_sanitize(argv[0])}', "
            f"with args beginning with: {_sanitize(args, 1 << 30)}")


def unknown_subcommand(sub, container):
    return (f"ERR unknown subcommand '{_sanitize(sub)}'. Try {container.upper()} HELP.")


def c_string(raw):
    """What C string functions (and so Redis's %s) see of an argument: the bytes before
    its first NUL."""
    end = raw.find(b"\0")
    return raw if end < 0 else raw[:end]


def _sanitize(raw, limit=128):
    """Redis shows at most 128 bytes of an argument, up to its first NUL (a C string),
    and replaces line breaks by spaces."""
    if isinstance(raw, (bytes, bytearray)):
        text = c_string(raw)[:limit].decode("utf-8", "replace")
    else:
        text = str(raw)
    return text.replace("\r", " ").replace("\n", " ")


def error_code(text):
    """The word INFO errorstats files an error under ('ERR', 'WRONGTYPE', ...)."""
    head = text.split(" ", 1)[0]
    return head if head.isupper() or head.isalpha() else "ERR"


# -- streams --------------------------------------------------------------------------------
INVALID_STREAM_ID = "ERR Invalid stream ID specified as stream command argument"
XADD_ID_SMALL = ("ERR The ID specified in XADD is equal or smaller than the target stream "
                 "top item")
XADD_ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
XADD_EXHAUSTED = ("ERR The stream has exhausted the last possible ID, unable to add more "
                  "items")
XADD_TOO_LARGE = "ERR Elements are too large to be stored"
TRIM_BOTH = ("ERR syntax error, MAXLEN and MINID options at the same time are not "
             "compatible")
MAXLEN_NEGATIVE = "ERR The MAXLEN argument must be >= 0."
LIMIT_NEGATIVE = "ERR The LIMIT argument must be >= 0."
LIMIT_NO_STRATEGY = ("ERR syntax error, LIMIT cannot be used without specifying a trimming "
                     "strategy")
LIMIT_NO_APPROX = "ERR syntax error, LIMIT cannot be used without the special ~ option"
XTRIM_NO_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy"
INVALID_START_ID = "ERR invalid start ID for the interval"
INVALID_END_ID = "ERR invalid end ID for the interval"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"
XREAD_UNBALANCED = ("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' "
                    "must be specified.")
XREAD_GROUP_OPTION = ("ERR The GROUP option is only supported by XREADGROUP. You called "
                      "XREAD instead.")
XREAD_NOACK_OPTION = ("ERR The NOACK option is only supported by XREADGROUP. You called "
                      "XREAD instead.")
XREADGROUP_NO_GROUP = "ERR Missing GROUP option for XREADGROUP"
XREADGROUP_NOGROUP = ("NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with "
                      "GROUP option")
XREADGROUP_DOLLAR = ("ERR The $ ID is meaningless in the context of XREADGROUP: you want to "
                     "read the history of this consumer by specifying a proper ID, or use "
                     "the > ID to get new messages. The $ ID would just return an empty "
                     "result set.")
XREAD_GT_ID = ("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
               "<group> <consumer> option.")
XREADGROUP_KEY_GONE = "UNBLOCKED the stream key no longer exists"
XREADGROUP_GROUP_GONE = ("NOGROUP the consumer group this client was blocked on no longer "
                         "exists")
XREADGROUP_KEY_GONE = "UNBLOCKED the stream key no longer exists"
ENTRIESREAD_NEGATIVE = "ERR value for ENTRIESREAD must be positive or -1"
XGROUP_NEEDS_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for "
                    "CREATE you may want to use the MKSTREAM option to create an empty "
                    "stream automatically.")
NOGROUP_FOR_KEY = "NOGROUP No such consumer group '{}' for key name '{}'"
NOGROUP_KEY_OR_GROUP = "NOGROUP No such key '{}' or consumer group '{}'"
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
XSETID_ADDED_NEGATIVE = "ERR entries_added must be positive"
XSETID_BELOW_MAXDELETED = ("ERR The ID specified in XSETID is smaller than the provided "
                           "max_deleted_entry_id")
XSETID_SMALL = "ERR The ID specified in XSETID is smaller than the target stream top item"
XSETID_ADDED_SMALL = ("ERR The entries_added specified in XSETID is smaller than the target "
                      "stream length")
XCLAIM_OPTION = "ERR Unrecognized XCLAIM option '{}'"
CLAIM_ARGUMENT = "ERR Invalid {} argument for {}"
XAUTOCLAIM_COUNT = "ERR COUNT must be > 0"


def subcommand_syntax(sub, container):
    """addReplySubcommandSyntaxError."""
    return (f"ERR unknown subcommand or wrong number of arguments for '{_sanitize(sub)}'. "
            f"Try {container.upper()} HELP.")


# -- sorted sets and geo --------------------------------------------------------------------
ZSET_NAN_SCORE = "ERR resulting score is not a number (NaN)"
ZSET_NOT_FLOAT_RANGE = "ERR min or max is not a float"
ZSET_NOT_LEX_RANGE = "ERR min or max not valid string range item"
ZADD_XX_AND_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIRS = "ERR INCR option supports a single increment-element pair"
VALUE_OUT_OF_RANGE = "ERR value is out of range"
LONG_OUT_OF_RANGE = "ERR value is out of range, value must between {} and {}"
INVALID_CURSOR = "ERR invalid cursor"
ZRANGE_LIMIT_NEEDS_BY = ("ERR syntax error, LIMIT is only supported in combination with either "
                         "BYSCORE or BYLEX")
ZRANGE_WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
NEED_INPUT_KEY = "ERR at least 1 input key is needed for '{}' command"
NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_POSITIVE = "ERR count should be greater than 0"
CARD_LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
GEO_UNSUPPORTED_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
GEO_NO_MEMBER = "ERR could not decode requested zset member"
GEO_NEED_RADIUS = "ERR need numeric radius"
GEO_NEGATIVE_RADIUS = "ERR radius cannot be negative"
GEO_NEED_WIDTH = "ERR need numeric width"
GEO_NEED_HEIGHT = "ERR need numeric height"
GEO_NEGATIVE_BOX = "ERR height or width cannot be negative"
GEO_COUNT_POSITIVE = "ERR COUNT must be > 0"
GEO_STORE_WITH = "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
GEO_FROM = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}"
GEO_BY = "ERR exactly one of BYRADIUS and BYBOX can be specified for {}"
GEO_ANY_NEEDS_COUNT = "ERR the ANY argument requires COUNT argument"
