"""Command-layer scaling without the network: N threads, each with its own Client (on a
socketpair) and its own keys, run SET through the real dispatcher and keyspace in one
process. Reports CPU per command and total commands/s for 1..N threads, so the cost of
sharing the keyspace between threads is measured apart from the load generator (which
on a 2-core machine competes with the server threads for the same cores).

    PYTHON_GIL=0 python perf/dispatch_scaling.py [max_threads]
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keydb_ft import commands  # noqa: E402
from keydb_ft.commands import dispatch  # noqa: E402
from keydb_ft.connection import Client  # noqa: E402
from keydb_ft.db.keyspace import bind_thread_stats  # noqa: E402
from keydb_ft.eventloop import EventLoop  # noqa: E402
from keydb_ft.server import Server, main_config  # noqa: E402

COMMANDS_PER_THREAD = 100_000


def measure(threads):
    server = Server(main_config(["--save", ""]))
    commands.install(server)
    server.loops = [EventLoop(server, i) for i in range(threads)]
    cpu = {}

    def work(i):
        loop = server.loops[i]
        bind_thread_stats(loop.stats)
        mine, _peer = socket.socketpair()
        client = Client(server, loop, mine, ("127.0.0.1", 1), i + 1)
        requests = [[b"SET", b"k%d:%d" % (i, j), b"v" * 64] for j in range(1000)]
        start = time.thread_time()
        for j in range(COMMANDS_PER_THREAD):
            dispatch.execute(client, requests[j % 1000])
            if j % 16 == 15:
                client.out.clear()
        cpu[i] = time.thread_time() - start

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    wall = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    wall = time.perf_counter() - wall
    total = COMMANDS_PER_THREAD * threads
    return sum(cpu.values()) / total * 1e6, total / wall


def main():
    top = int(sys.argv[1]) if len(sys.argv) > 1 else (os.cpu_count() or 1)
    base = None
    print("| threads | CPU us/command | commands/s | vs 1 thread |")
    print("|---|---|---|---|")
    for n in range(1, top + 1):
        us, rate = measure(n)
        base = base or rate
        print(f"| {n} | {us:.2f} | {rate:,.0f} | {rate / base:.2f} |")


if __name__ == "__main__":
    main()
