"""Per-thread counters (loop-owned, no locks) and their merge for INFO."""

from .db.keyspace import ThreadCounters


class LoopStats(ThreadCounters):
    """Counters one loop thread owns; other threads only read them (INFO)."""
    __slots__ = ("commands", "errors", "total_commands", "connections", "net_in", "net_out",
                 "rejected_connections", "ops_samples", "error_replies", "unexpected_errors",
                 "sync_full", "evicted_keys", "total_blocking_keys")

    def __init__(self):
        super().__init__()
        self.commands = {}        # Command -> [calls, usec, rejected, failed]
        self.errors = {}          # error code -> count
        self.total_commands = 0
        self.connections = 0
        self.net_in = 0
        self.net_out = 0
        self.rejected_connections = 0
        self.error_replies = 0
        self.unexpected_errors = 0
        self.evicted_keys = 0

    def reset(self):
        self.commands = {}
        self.errors = {}
        for name in ("total_commands", "connections", "net_in", "net_out", "rejected_connections",
                     "error_replies", "expired_keys", "keyspace_hits", "keyspace_misses",
                     "evicted_keys"):
            setattr(self, name, 0)


def merged(all_stats, field):
    return sum(getattr(s, field) for s in all_stats)


def merged_commands(all_stats):
    total = {}
    for s in all_stats:
        for cmd, row in list(s.commands.items()):
            acc = total.setdefault(cmd, [0, 0, 0, 0])
            for i in range(4):
                acc[i] += row[i]
    return total


def merged_errors(all_stats):
    total = {}
    for s in all_stats:
        for code, n in list(s.errors.items()):
            total[code] = total.get(code, 0) + n
    return total
