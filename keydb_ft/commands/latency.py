"""LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HELP over the latency monitor,
and LATENCY HISTOGRAM over latency-tracking's per-command histograms (keydb_ft/latency.py)."""

import time

from ..errors import CommandError, c_string
from ..latency import cumulative_histogram, graph
from ..stats import merged_durations
from ..threadstate import peek
from .registry import COMMANDS
from ..resp.writer import Verbatim
from .registry import command, help_reply

_LAT = dict(group="server")
_ADMIN = "admin noscript loading stale"
_TIPS = ("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")


@command("latency|latest", 2, _ADMIN, tips=_TIPS, **_LAT)
def cmd_latency_latest(c, argv):
    return c.server.latency.latest()


@command("latency|history", 3, _ADMIN, tips=_TIPS, **_LAT)
def cmd_latency_history(c, argv):
    return c.server.latency.history(argv[2].decode("utf-8", "surrogateescape"))


@command("latency|reset", -2, _ADMIN, tips=("request_policy:all_nodes",
                                             "response_policy:all_succeeded"), **_LAT)
def cmd_latency_reset(c, argv):
    names = [a.decode("utf-8", "surrogateescape") for a in argv[2:]] or None
    return c.server.latency.reset(names)


@command("latency|graph", 3, _ADMIN, tips=_TIPS, **_LAT)
def cmd_latency_graph(c, argv):
    name = argv[2].decode("utf-8", "surrogateescape")
    found = c.server.latency.snapshot()
    if name not in found:
        raise CommandError("ERR No samples available for event "
                           f"'{c_string(argv[2]).decode('utf-8', 'replace')}'")
    samples, all_time_max = found[name]
    return Verbatim(graph(name, samples, all_time_max))


_DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
    "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
    "order to enable it. If we weren't in a deep space mission I'd suggest to take a look "
    "at https://redis.io/topics/latency-monitor.\n")
_QUIET = ("Dave, no latency spike was observed during the lifetime of this Redis instance, "
          "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
          "stress pill, and think things over.\n")


@command("latency|doctor", 2, _ADMIN, tips=_TIPS, **_LAT)
def cmd_latency_doctor(c, argv):
    return Verbatim(doctor(c.server))


def doctor(server):
    """Redis's report: each event's spikes (count, average, mean deviation, period, worst),
    then advice for the events it knows."""
    events = server.latency.snapshot()
    threshold = server.config.latency_monitor_threshold
    if not events:
        return _DISABLED if not threshold else _QUIET
    now = int(time.time())
    out = ["Dave, I have observed latency spikes in this Redis instance. You don't mind "
           "talking about it, do you Dave?\n\n"]
    commands = other = False
    for number, (name, (samples, worst)) in enumerate(events.items(), 1):
        count = len(samples)
        average = sum(ms for _, ms in samples) // count
        deviation = sum(abs(ms - average) for _, ms in samples) // count
        period = (now - min(t for t, _ in samples)) or 1
        out.append(f"{number}. {name}: {count} latency spikes (average {average}ms, mean "
                   f"deviation {deviation}ms, period {period / count:.2f} sec). Worst all "
                   f"time event {worst}ms.\n")
        if name in ("command", "fast-command"):
            commands = True
        else:
            other = True
    out.append("\nI have a few advices for you:\n\n")
    if commands:
        slowlog = server.config.slowlog_log_slower_than
        if slowlog < 0:
            out.append("- The Slow Log is disabled: 'CONFIG SET slowlog-log-slower-than "
                       f"{threshold * 1000}' makes it log the commands behind these "
                       "spikes.\n")
        elif slowlog // 1000 > threshold:
            out.append("- Your current Slow Log configuration only logs events that are "
                       "slower than your configured latency monitor threshold. Please use "
                       f"'CONFIG SET slowlog-log-slower-than {threshold * 1000}'.\n")
        out.append("- Check your Slow Log to understand what are the commands you are "
                   "running which are too slow to execute. Please check "
                   "https://redis.io/commands/slowlog for more information.\n")
        out.append("- Deleting, expiring or evicting (because of maxmemory policy) large "
                   "objects is a blocking operation. If you have very large objects that are "
                   "often deleted, expired, or evicted, try to fragment those objects into "
                   "multiple smaller objects.\n")
    if other:
        out.append("- Active expiry cycles took longer than the threshold: many keys "
                   "expiring at once (or large ones) cost the cron; spreading their TTLs "
                   "helps.\n")
    return "".join(out)


@command("latency|histogram", -2, _ADMIN, tips=_TIPS, **_LAT)
def cmd_latency_histogram(c, argv):
    """Each command's calls and cumulative latency histogram: all commands called so far,
    or the named ones (a container names its subcommands too; unknown names are
    skipped), as Redis answers."""
    durations = merged_durations(c.server.all_stats())
    if len(argv) == 2:
        chosen = sorted(durations, key=lambda cmd: cmd.fullname)
    else:
        chosen = []
        for raw in argv[2:]:
            name, _, sub = raw.lower().partition(b"|")
            cmd = peek(COMMANDS, name)
            if cmd is not None and sub:
                cmd = peek(cmd.subcommands, sub)
            if cmd is None:
                continue
            chosen.append(cmd)
            if not sub:
                chosen += sorted(cmd.subcommands.values(), key=lambda s: s.fullname)
    reply = {}
    for cmd in chosen:
        name = cmd.fullname.encode()
        if cmd in durations and name not in reply:
            counts = durations[cmd]
            reply[name] = {b"calls": sum(counts.values()),
                           b"histogram_usec": dict(cumulative_histogram(counts))}
    return reply


@command("latency|help", 2, "loading stale", **_LAT)
def cmd_latency_help(c, argv):
    return help_reply("LATENCY")
