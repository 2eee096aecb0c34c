"""pyperf scaling benchmark: the same SET workload (redis-benchmark, 50 clients, -P 16)
against keydb-ft at server-threads 1, 2, 4 ... up to the machine's cores (and one step
beyond), saved as pyperf JSON, drawn as ops/s against threads in a PNG.

    python perf/scaling.py -o perf/results/scaling.json    # pyperf options apply
    python perf/scaling.py --plot perf/results/scaling.json
"""

import json
import os
import subprocess
import sys
import time

import pyperf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import Server  # noqa: E402

REQUESTS_PER_LOOP = 20000


def thread_counts():
    cores = os.cpu_count() or 1
    counts, t = [], 1
    while t <= cores:
        counts.append(t)
        t *= 2
    counts.append(counts[-1] * 2)
    return counts


def bench(loops, port):
    cmd = ["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(loops * REQUESTS_PER_LOOP),
           "-c", "50", "-P", "16", "-d", "64", "-r", "100000", "-q"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def plot(path):
    from pngplot import line_chart
    with open(path) as fh:
        data = json.load(fh)
    points = []
    for b in data["benchmarks"]:
        name = b["metadata"]["name"]
        values = [v for run in b["runs"] for v in run.get("values", [])]
        mean = sum(values) / len(values)    # pyperf stores the time of one loop
        points.append((int(name.split("-")[-1]), REQUESTS_PER_LOOP / mean))
    out = os.path.splitext(path)[0] + ".png"
    line_chart(out, {"SET ops/s": points})
    for threads, ops in sorted(points):
        print(f"threads={threads} ops/s={ops:,.0f}")
    print(f"saved {out}")


def main():
    if "--plot" in sys.argv:
        plot(sys.argv[sys.argv.index("--plot") + 1])
        return
    runner = pyperf.Runner(processes=2, values=2, warmups=1,
                           add_cmdline_args=lambda cmd, a: cmd.extend(["--ports", a.ports]))
    runner.argparser.add_argument("--ports", default="")
    servers = {}
    try:        # pyperf may exit anywhere (e.g. in parse_args when -o exists): stop them all
        if "--worker" not in sys.argv:       # the parent starts one server per thread count
            servers = {t: Server("keydb", t) for t in thread_counts()}
            sys.argv += ["--ports", ",".join(f"{t}={s.port}" for t, s in servers.items())]
        args = runner.parse_args()
        for item in args.ports.split(","):
            threads, port = item.split("=")
            runner.bench_time_func(f"set-threads-{threads}", bench, int(port))
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
