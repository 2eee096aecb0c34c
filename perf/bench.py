"""redis-benchmark against keydb-ft (1 and 2 threads) and redis-server 7.0, in one run on
one machine: ops/s and ratios. Usage: python perf/bench.py [--quick] [--types] [--bare]
[--rounds N] [--out FILE]. --bare adds perf/bare_server.py (two threads, SET and GET only,
requests split by hiredis, and again split in Python): what a minimal free-threaded request
loop reaches in the same run.

--rounds N measures every server N times, in turn, the order reversed every other round,
each round on a freshly started server: load from outside the run that comes and goes
then falls on each server alike instead of on whichever ran during it. The table gives
each server's median and, per ratio to redis-server, the median of the N ratios of
one round with their range.

Writes a JSON record to perf/results/ and prints a Markdown table for perf/README.md."""

import argparse
import json
import os
import platform
import statistics
import time

from servers import Server, redis_benchmark

CORE = [("SET", "set", None), ("GET", "get", None)]
TYPES = [("LPUSH", "lpush", None), ("LPOP", "lpop", None), ("SADD", "sadd", None),
         ("HSET", "hset", None), ("ZADD", "zadd", None),
         ("XADD", None, ["XADD", "bench:stream", "MAXLEN", "~", "10000", "*", "f", "v"]),
         ("ZRANGE 0 9", None, ["ZRANGE", "myzset", "0", "9"])]


def run_suite(server, cases, requests, pipeline):
    results = {}
    for label, test, command in cases:
        if command and command[0] == "ZRANGE":
            redis_benchmark(server.port, command=["ZADD", "myzset", "__rand_int__", "m:__rand_int__"],
                            requests=2000, keyspace=1000)
        got = redis_benchmark(server.port, test=test, command=command, requests=requests,
                              pipeline=pipeline, keyspace=100000)
        results[label] = next(iter(got.values())) if got else 0.0
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer requests")
    ap.add_argument("--types", action="store_true", help="also the per-type commands")
    ap.add_argument("--bare", action="store_true", help="also the bare-bones yardstick")
    ap.add_argument("--rounds", type=int, default=1, help="measure each server N times")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    n = 30000 if args.quick else 200000
    cases = CORE + (TYPES if args.types else [])
    table = {}                         # (command, pipeline) -> server label -> [ops per round]
    kinds = [("keydb", 1), ("keydb", 2), ("redis", 1)]
    kinds += [("bare", 2), ("bare-py", 2)] if args.bare else []
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    for round_ in range(args.rounds):
        for kind, threads in (kinds if round_ % 2 == 0 else kinds[::-1]):
            server = Server(kind, threads)
            try:
                for pipeline in (1, 16):
                    reqs = n * (4 if pipeline > 1 else 1)
                    suite = CORE if kind.startswith("bare") else cases
                    for label, ops in run_suite(server, suite, reqs, pipeline).items():
                        table.setdefault((label, pipeline), {}).setdefault(
                            server.label, []).append(ops)
            finally:
                server.stop()
    print_table(table, args.rounds)
    record = {"when": started, "machine": platform.node(),
              "cpus": os.cpu_count(), "requests": n, "rounds": args.rounds,
              "results": [{"command": k[0], "pipeline": k[1], **v} for k, v in table.items()]}
    out = args.out or os.path.join(os.path.dirname(__file__), "results",
                                   time.strftime("bench-%Y%m%d-%H%M%S.json"))
    with open(out, "w") as fh:
        json.dump(record, fh, indent=1)
    print(f"\nsaved {out}")


def ratio(top, bottom):
    """The median of the per-round ratios top[r] / bottom[r], with their range when
    there are several: '0.72' or '0.72 (0.66-0.80)'."""
    ratios = [t / b for t, b in zip(top, bottom) if b]
    if not ratios:
        return ""
    mid = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{mid:.2f}"
    return f"{mid:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def print_table(table, rounds=1):
    """Markdown: each server's median ops/s over the rounds and the ratios."""
    bare = [k for k in ("bare x2", "bare-py x2") if any(k in row for row in table.values())]
    print(f"{rounds} round(s); ops/s are medians, ratios the median of one round's ratios"
          + (" (range)" if rounds > 1 else ""))
    print("| command | -P | keydb-ft x1 | keydb-ft x2 | redis-server | x2/x1 | x2/redis |"
          + "".join(f" {k} | {k.split()[0]}/redis |" for k in bare))
    print("|---|---|---|---|---|---|---|" + "---|---|" * len(bare))
    for (label, pipeline), row in table.items():
        one, two, red = (row.get("keydb-ft x1", []), row.get("keydb-ft x2", []),
                         row.get("redis-server", []))
        med = lambda ops: f"{statistics.median(ops):,.0f}" if ops else ""   # noqa: E731
        line = (f"| {label} | {pipeline} | {med(one)} | {med(two)} | {med(red)} | "
                f"{ratio(two, one)} | {ratio(two, red)} |")
        for k in bare:
            b = row.get(k, [])
            line += f" {med(b)} | {ratio(b, red)} |" if b else " | |"
        print(line)


if __name__ == "__main__":
    main()
