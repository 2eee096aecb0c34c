"""Per-thread counters (loop-owned, no locks) and their merge for INFO."""

from .db.keyspace import ThreadCounters


class LoopStats(ThreadCounters):
    """Counters one loop thread owns; other threads only read them (INFO)."""
    __slots__ = ("commands", "errors", "connections", "net_in", "net_out",
                 "rejected_connections", "ops_samples", "error_replies", "unexpected_errors",
                 "sync_full", "evicted_keys", "total_blocking_keys", "reads", "writes")

    def __init__(self):
        super().__init__()
        # Command -> [calls, usec, rejected, failed, durations under 64 us (a list by
        # us), longer ones (a dict us -> count)]: see new_row(); the last two are
        # latency-tracking's histogram
        self.commands = {}
        self.errors = {}          # error code -> count
        self.connections = 0
        self.net_in = 0
        self.net_out = 0
        self.rejected_connections = 0
        self.error_replies = 0
        self.unexpected_errors = 0
        self.evicted_keys = 0
        self.reads = 0            # reads that brought data (total_reads_processed)
        self.writes = 0           # socket writes (total_writes_processed)

    def reset(self):
        """CONFIG RESETSTAT, from whichever loop runs it. The tables are emptied in place:
        a loop holds its own in run_batch for a whole read, and a dict made by another
        thread would be slow for this loop to use (docs/architecture.md)."""
        self.commands.clear()
        self.errors.clear()
        for name in ("connections", "net_in", "net_out", "rejected_connections",
                     "error_replies", "expired_keys", "keyspace_hits", "keyspace_misses",
                     "evicted_keys", "reads", "writes"):
            setattr(self, name, 0)

    @property
    def total_commands(self):
        """Commands run (total_commands_processed): the sum of the commands' calls, as
        every place that counts a call counts it there, so the dispatcher keeps one
        counter per command instead of two."""
        return sum(row[0] for row in list(self.commands.values()))


def merged(all_stats, field):
    return sum(getattr(s, field) for s in all_stats)


SHORT_US = 64


def new_row():
    return [0, 0, 0, 0, [0] * SHORT_US, {}]


def merged_durations(all_stats):
    """Command -> {us: count} over every loop (latency-tracking)."""
    total = {}
    for s in all_stats:
        for cmd, row in list(s.commands.items()):
            acc = total.setdefault(cmd, {})
            for us, n in enumerate(list(row[4])):
                if n:
                    acc[us] = acc.get(us, 0) + n
            for us, n in list(row[5].items()):
                acc[us] = acc.get(us, 0) + n
    return {cmd: acc for cmd, acc in total.items() if acc}


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
