"""Persistence numbers, keydb-ft next to redis-server 7.0 in one run (ratios, not
assertions; house rule 10):

  * SAVE of N keys (default 1,000,000 strings) and start-up load of that file;
  * BGSAVE of the same data while redis-benchmark writes: the longest client stall (max
    SET latency during the BGSAVE vs. without one), the time every stripe was held at the
    epoch, the longest stripe capture, and the extra memory (peak RSS during the BGSAVE
    minus RSS before);
  * appendfsync always: SET throughput of C concurrent clients, as a ratio to redis.

    PYTHON_GIL=0 ~/.cache/keydb-ft/venv/bin/python perf/persistence_bench.py [--keys N]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import psutil
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            c = redis.Redis(port=port, socket_timeout=5)
            if c.info("persistence")["loading"] == 0:
                return c
        except (redis.ConnectionError, redis.BusyLoadingError):
            pass
        time.sleep(0.02)
    raise RuntimeError("server did not start")


def start(kind, directory, *args, threads=2):
    port = free_port()
    if kind == "redis":
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--dir", directory, "--logfile", os.path.join(directory, "log")]
    else:
        cmd = [sys.executable, "-m", "keydb_ft", "--port", str(port), "--bind", "127.0.0.1",
               "--dir", directory, "--save", "", "--server-threads", str(threads),
               "--logfile", os.path.join(directory, "log")]
    env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=ROOT)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd + list(args), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    c = wait_ready(port, proc)
    return proc, port, c, time.monotonic() - t0


def stop(proc):
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()


def fill(port, n):
    """N string keys through redis-cli --pipe (fast on both servers)."""
    lines = []
    for i in range(n):
        key, value = b"key:%08d" % i, b"value-%d" % i
        lines.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key,
                                                                       len(value), value))
    data = b"".join(lines)
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data, check=True,
                   stdout=subprocess.DEVNULL)


def timed_save(c):
    t0 = time.monotonic()
    c.save()
    return time.monotonic() - t0


def load_time(kind, directory, *args):
    proc, _port, _c, took = start(kind, directory, *args)
    stop(proc)
    return took


def baseline_start(kind, directory):
    empty = tempfile.mkdtemp(dir=directory)
    proc, _p, _c, took = start(kind, empty)
    stop(proc)
    return took


class Probe(threading.Thread):
    """A client issuing SETs back to back (the appendfsync always throughput)."""

    def __init__(self, port, stop_event, n):
        super().__init__(daemon=True)
        self.port, self.stop_event, self.n = port, stop_event, n
        self.count = 0

    def run(self):
        c = redis.Redis(port=self.port, socket_timeout=60)
        i = 0
        while not self.stop_event.is_set():
            c.set(b"key:%08d" % ((i * 7919 + self.n * 104729) % 1_000_000), b"new")
            self.count += 1
            i += 1


def benchmark_max_latency(port, clients, requests):
    """redis-benchmark SETs on random existing keys: (max latency ms, p99 ms, seconds)."""
    t0 = time.monotonic()
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-c", str(clients),
                          "-n", str(requests), "-r", "1000000"], capture_output=True, text=True,
                         errors="replace").stdout
    took = time.monotonic() - t0
    lines = out.splitlines()
    for n, line in enumerate(lines):
        if "latency summary" in line:
            avg, _min, _p50, _p95, p99, mx = map(float, lines[n + 2].split())
            return mx, p99, took
    raise RuntimeError("no latency summary from redis-benchmark:\n" + out[-2000:])


def bgsave_stall(port, proc, clients):
    """Max SET latency without and during a BGSAVE, and the extra RSS it costs."""
    c = redis.Redis(port=port)
    base_max, base_p99, took = benchmark_max_latency(port, clients, 20000)
    rate = 20000 / took
    rss = psutil.Process(proc.pid)
    before = rss.memory_info().rss
    peak = [before]
    done = [None]

    def save():
        time.sleep(0.5)
        t0 = time.monotonic()
        c.bgsave()
        while c.info("persistence")["rdb_bgsave_in_progress"]:
            peak[0] = max(peak[0], rss.memory_info().rss)
            time.sleep(0.05)
        done[0] = time.monotonic() - t0
    t = threading.Thread(target=save)
    t.start()
    requests = int(rate * 30)
    mx, p99, _took = benchmark_max_latency(port, clients, requests)
    t.join()
    return base_max, base_p99, mx, p99, done[0], peak[0] - before


def fsync_throughput(kind, directory, clients, seconds):
    proc, port, _c, _t = start(kind, directory, "--appendonly", "yes", "--appendfsync", "always")
    try:
        stop_event = threading.Event()
        probes = [Probe(port, stop_event, n) for n in range(clients)]
        for p in probes:
            p.start()
        time.sleep(seconds)
        stop_event.set()
        for p in probes:
            p.join()
        return sum(p.count for p in probes) / seconds
    finally:
        stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5.0)
    opts = ap.parse_args()
    work = tempfile.mkdtemp(prefix="persist-bench-")
    rows = []
    try:
        dirs = {k: os.path.join(work, k) for k in ("redis", "keydb")}
        for d in dirs.values():
            os.makedirs(d)
        saves, loads = {}, {}
        for kind in ("redis", "keydb"):
            proc, port, c, _ = start(kind, dirs[kind])
            fill(port, opts.keys)
            assert c.dbsize() == opts.keys
            saves[kind] = timed_save(c)
            if kind == "keydb":
                stall = bgsave_stall(port, proc, opts.clients)
                info = c.info("persistence")
                assert info["rdb_last_bgsave_status"] == "ok"
                server_side = (info["rdb_last_bgsave_epoch_usec"],
                               info["rdb_last_bgsave_max_capture_usec"])
            stop(proc)
            loads[kind] = load_time(kind, dirs[kind]) - baseline_start(kind, work)
        rows.append(("SAVE of %d keys (s)" % opts.keys, saves["redis"], saves["keydb"]))
        rows.append(("load of that file at start-up (s)", loads["redis"], loads["keydb"]))
        base_max, base_p99, mx, p99, took, extra = stall
        print(f"BGSAVE of {opts.keys} keys while redis-benchmark runs SETs ({opts.clients} "
              f"clients): took {took:.2f}s; SET latency max {mx:.1f} ms, p99 {p99:.2f} ms "
              f"(without BGSAVE: max {base_max:.1f} ms, p99 {base_p99:.2f} ms); "
              f"extra RSS {extra / 2**20:.1f} MiB")
        print(f"  server side: every stripe held {server_side[0] / 1000:.2f} ms at the epoch; "
              f"longest stripe capture by a writer or the walker {server_side[1] / 1000:.2f} ms")
        thr = {}
        for kind in ("redis", "keydb"):
            d = os.path.join(work, kind + "-aof")
            os.makedirs(d)
            thr[kind] = fsync_throughput(kind, d, opts.clients, opts.seconds)
        rows.append((f"appendfsync always, {opts.clients} clients (SET/s)", thr["redis"],
                     thr["keydb"]))
        print(f"{'measure':48} {'redis':>12} {'keydb-ft':>12} {'ratio':>8}")
        for name, a, b in rows:
            ratio = b / a if "SET/s" in name else a / b
            print(f"{name:48} {a:12.2f} {b:12.2f} {ratio:8.3f}")
        print("(ratio: keydb-ft / redis for throughput, redis / keydb-ft for times)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
