"""CPU per request of a running server's threads and of redis-benchmark, from /proc.

    python perf/cpu_per_request.py PID PORT [-P 16] [-n 200000] [-t set]

Runs one redis-benchmark (-c 50 -d 64 -r 100000) against PORT and prints its rate with the
user and system CPU the server process (all its threads) and redis-benchmark spent per
request. On a 2-core machine the load generator shares the cores, so these are the
numbers that say where a rate comes from: rate ~ busy cores / (server + benchmark CPU).
"""

import argparse
import os
import resource
import subprocess

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    """(user, system) seconds of every thread of pid so far."""
    user = system = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        user += int(fields[11])
        system += int(fields[12])
    return user / TICK, system / TICK


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pid", type=int)
    ap.add_argument("port", type=int)
    ap.add_argument("-P", "--pipeline", type=int, default=1)
    ap.add_argument("-n", "--requests", type=int, default=200000)
    ap.add_argument("-t", "--test", default="set")
    args = ap.parse_args()
    before = process_cpu(args.pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["redis-benchmark", "-p", str(args.port), "-c", "50", "-d", "64",
                          "-r", "100000", "-n", str(args.requests), "-P", str(args.pipeline),
                          "-t", args.test, "--csv"], capture_output=True, text=True).stdout
    after = process_cpu(args.pid)
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    rate = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
    bench = (done.ru_utime - children.ru_utime) + (done.ru_stime - children.ru_stime)
    per = 1e6 / args.requests
    print(f"{args.test.upper()} -P {args.pipeline}: {rate:,.0f}/s; server user "
          f"{(after[0] - before[0]) * per:.1f} us, system {(after[1] - before[1]) * per:.1f} us "
          f"per request; redis-benchmark {bench * per:.1f} us per request")


if __name__ == "__main__":
    main()
