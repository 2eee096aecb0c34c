"""The latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR): with
latency-monitor-threshold N > 0, every command that took N ms or more (event "command",
or "fast-command" for commands flagged fast) and every active expiry cycle that did
("expire-cycle") is a sample. Each event keeps its last 160 seconds that had one (one
sample per second: the largest) and its all-time maximum, as Redis's latency.c does.
Samples come from every loop and the cron: the table is under a leaf lock.
"""

import time
from collections import deque

from .locks.striped import leaf_lock

SAMPLES_KEPT = 160
GRAPH_COLUMNS = 80
GRAPH_ROWS = 4


class Event:
    __slots__ = ("samples", "max")

    def __init__(self):
        self.samples = deque(maxlen=SAMPLES_KEPT)     # [unix seconds, ms], oldest first
        self.max = 0


class LatencyMonitor:
    def __init__(self):
        self.lock = leaf_lock(31, "latency")
        self.events = {}                # name -> Event, in the order they first happened

    def add(self, name, ms):
        now = int(time.time())
        with self.lock:
            event = self.events[name] if name in self.events else None
            if event is None:
                event = self.events[name] = Event()
            event.max = max(event.max, ms)
            samples = event.samples
            if samples and samples[-1][0] == now:        # one sample a second: the worst
                samples[-1][1] = max(samples[-1][1], ms)
            else:
                samples.append([now, ms])

    def latest(self):
        with self.lock:
            return [[name.encode(), ev.samples[-1][0], ev.samples[-1][1], ev.max]
                    for name, ev in self.events.items()]

    def history(self, name):
        with self.lock:
            event = self.events[name] if name in self.events else None
            return [] if event is None else [list(s) for s in event.samples]

    def reset(self, names=None):
        """Forget the named events (all without names); how many there were."""
        with self.lock:
            if names is None:
                count = len(self.events)
                self.events.clear()
                return count
            return sum(self.events.pop(name, None) is not None for name in names)

    def snapshot(self):
        with self.lock:
            return {name: ([list(s) for s in ev.samples], ev.max)
                    for name, ev in self.events.items()}


def graph(name, samples, all_time_max):
    """Redis's LATENCY GRAPH: a header, a rule, then the samples as a filled sparkline
    four rows high, 80 columns a block, each column labelled with how long ago."""
    now = int(time.time())
    values = [ms for _, ms in samples]
    labels = [_ago(now - t) for t, _ in samples]
    out = [f"{name} - high {max(values)} ms, low {min(values)} ms "
           f"(all time high {all_time_max} ms)\n", "-" * GRAPH_COLUMNS + "\n"]
    low, high = _sequence_range(values)
    for start in range(0, len(values), GRAPH_COLUMNS):
        if start:
            out.append("\n")
        out.append(_render(values[start:start + GRAPH_COLUMNS],
                           labels[start:start + GRAPH_COLUMNS], low, high))
    return "".join(out)


def _ago(seconds):
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _sequence_range(values):
    """The sequence's min and max as sparkline.c tracks them (a new value is compared
    with the max only when it is not below the min)."""
    low = high = values[0]
    for v in values[1:]:
        if v < low:
            low = v
        elif v > high:
            high = v
    return low, high


def _render(values, labels, low, high):
    charset = "_o#"
    steps = len(charset) * GRAPH_ROWS
    span = (high - low) or 1
    lines = []
    for row in range(GRAPH_ROWS):
        chars = []
        for v in values:
            step = int(int((v - low) * steps) / span)
            step = min(max(step, 0), steps - 1)
            index = step - (GRAPH_ROWS - row - 1) * len(charset)
            chars.append(charset[index] if 0 <= index < len(charset)
                         else "|" if index >= len(charset) else " ")
        lines.append("".join(chars))
    lines.append(" " * len(values))                 # the margin above the labels
    depth = 0
    while any(len(label) > depth for label in labels):
        lines.append("".join(label[depth] if len(label) > depth else " " for label in labels))
        depth += 1
    return "".join(line + "\n" for line in lines)


# -- latency-tracking: per-command duration histograms (LATENCY HISTOGRAM, INFO
# latencystats). Loops count each command's time in whole us (stats.new_row); these turn
# the counts into what Redis's HdrHistogram (1 ns unit, 2 significant figures, fed the
# time in ns) reports for the same durations.

def _highest_equivalent(ns):
    """The largest value HdrHistogram counts together with ns (2 significant figures)."""
    if ns < 256:
        return ns
    size = 1 << (ns.bit_length() - 8)
    return ns - ns % size + size - 1


def cumulative_histogram(durations):
    """{us: count} -> [(us, count of commands that took at most that long)] at Redis's
    steps (1024 ns doubling, each labelled with its highest equivalent value in us),
    only the steps where the count grew."""
    items = sorted(durations.items())
    total = sum(durations.values())
    out, seen, i, k = [], 0, 0, 10
    while seen < total:
        limit = _highest_equivalent(1 << k)
        before = seen
        while i < len(items) and items[i][0] * 1000 <= limit:
            seen += items[i][1]
            i += 1
        if seen > before:
            out.append((limit // 1000, seen))
        k += 1
    return out


def percentile_us(durations, percentile):
    """HdrHistogram's value at the percentile, in us (INFO latencystats)."""
    total = sum(durations.values())
    want = max(int(min(percentile, 100.0) / 100.0 * total + 0.5), 1)
    seen = 0
    for us, count in sorted(durations.items()):
        seen += count
        if seen >= want:
            return _highest_equivalent(us * 1000) / 1000.0
    return 0.0


def percentile_label(value):
    """p50, p99.9: Redis prints the configured percentiles in their shortest form."""
    return f"p{int(value)}" if value == int(value) else f"p{value!r}"
