"""CPU a running server uses under one light client, from /proc.

    python perf/light_load.py PID PORT RATE [--seconds 4]

One connection sends a GET, reads the reply and sleeps until its next slot, RATE times a
second, for the given seconds; prints the rate reached and the server's user and system
CPU over that time as a share of one core. What polling after a quiet moment
(busy-poll-us) costs a lightly loaded server shows here.
"""

import argparse
import socket
import time

from cpu_per_request import process_cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pid", type=int)
    ap.add_argument("port", type=int)
    ap.add_argument("rate", type=int)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    sock = socket.create_connection(("127.0.0.1", args.port))
    request = b"*2\r\n$3\r\nGET\r\n$10\r\nlight:load\r\n"
    gap = 1.0 / args.rate
    user0, system0 = process_cpu(args.pid)
    start = slot = time.monotonic()
    sent = 0
    while time.monotonic() - start < args.seconds:
        sock.sendall(request)
        if not sock.recv(64):
            raise SystemExit("connection closed")
        sent += 1
        slot += gap
        pause = slot - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    elapsed = time.monotonic() - start
    user1, system1 = process_cpu(args.pid)
    print(f"{sent / elapsed:,.0f} GET/s: server user {100 * (user1 - user0) / elapsed:.1f}%, "
          f"system {100 * (system1 - system0) / elapsed:.1f}% of a core")


if __name__ == "__main__":
    main()
