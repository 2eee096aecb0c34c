"""Where a running server's loop threads spend their CPU, by Python function, from `perf`.

CPython 3.13 can name Python functions to Linux perf (-X perf); py-spy cannot read the
free-threaded build and cProfile inside a loop thread slows the server a thousandfold.
Start the server under perf support, load it, record with DWARF unwinding, then:

    PYTHON_GIL=0 python -X perf -m keydb_ft --port 7000 --server-threads 2 &
    redis-benchmark -p 7000 -c 50 -d 64 -r 100000 -n 300000 -t set &
    perf record -F 499 --call-graph dwarf,16384 -p $(pgrep -f "port 7000") -o perf.data -- sleep 4
    perf script -i perf.data -F tid,ip,sym > perf.txt
    python perf/perf_by_function.py perf.txt

Each sample is charged to its innermost Python function (kernel time of a syscall to the
function that made it), split into user and kernel, with the C functions it sat in; the
threads with the most samples are taken as the loops.
"""

import collections
import sys


def samples(path):
    with open(path) as fh:
        for block in fh.read().split("\n\n"):
            lines = [line.strip() for line in block.strip().splitlines()]
            if len(lines) < 2:
                continue
            frames = [line.split(None, 1)[1] if " " in line else "?" for line in lines[1:]]
            yield lines[0].split()[0], frames


def main():
    path = sys.argv[1]
    loops = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    per_thread = collections.Counter(tid for tid, _ in samples(path))
    tids = {tid for tid, _ in per_thread.most_common(loops)}
    total = 0
    where, kernel = collections.Counter(), collections.Counter()
    leaves = collections.defaultdict(collections.Counter)
    for tid, frames in samples(path):
        if tid not in tids:
            continue
        total += 1
        py = next((f.split("py::", 1)[1].split(":")[0] for f in frames if "py::" in f), "?")
        where[py] += 1
        if any("entry_SYSCALL" in f or "irqentry" in f or "asm_" in f for f in frames):
            kernel[py] += 1
        leaves[py][next((f for f in frames if "(inlined)" not in f), "?")] += 1
    print(f"{total} samples in threads {sorted(tids)}")
    for name, count in where.most_common(20):
        top = ", ".join(f"{leaf} {100 * n / total:.1f}" for leaf, n in leaves[name].most_common(4))
        print(f"{100 * count / total:5.1f}%  (kernel {100 * kernel[name] / total:4.1f}%)  "
              f"{name}: {top}")


if __name__ == "__main__":
    main()
