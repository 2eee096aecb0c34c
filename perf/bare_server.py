"""The yardstick, not the product: a bare-bones free-threaded server that knows PING, SET
and GET and nothing else -- no command table, no arity or auth checks, no expiry, no
statistics, no limits, no check that a request is well formed, one dict under one lock.
bench.py --bare runs it beside keydb-ft and redis-server, so the README can say how far
the full server is from what a minimal Python request loop does on the same machine in
the same run.

Requests are split by a hiredis Reader per connection (what keydb-ft does for pipelined
reads, without its verification); --python-parser splits them in Python instead.

Usage: python perf/bare_server.py PORT [THREADS] [--python-parser]
(loopback only; stop it with SIGTERM)
"""

import select
import socket
import sys
import threading

import hiredis

STORE = {}
STORE_LOCK = threading.Lock()


class Loop:
    """One epoll loop; the accepting thread hands it sockets through a socketpair."""

    def __init__(self):
        self.epoll = select.epoll()
        self.incoming = []
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.epoll.register(self.wake_r.fileno(), select.EPOLLIN)

    def hand_over(self, sock):
        self.incoming.append(sock)
        self.wake_w.send(b"!")

    def run(self):
        socks, buffers, wake = {}, {}, self.wake_r.fileno()
        while True:
            for fd, _ in self.epoll.poll():
                if fd == wake:
                    self.wake_r.recv(4096)
                    while self.incoming:
                        sock = self.incoming.pop()
                        socks[sock.fileno()] = sock
                        buffers[sock.fileno()] = b""
                        self.epoll.register(sock.fileno(), select.EPOLLIN)
                    continue
                sock = socks[fd]
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.epoll.unregister(fd)
                    del socks[fd], buffers[fd]
                    sock.close()
                    continue
                if PYTHON_PARSER:
                    buf = buffers[fd] + data
                    replies, used = serve(buf)
                    buffers[fd] = buf[used:]
                else:
                    reader = buffers[fd]
                    if not reader:
                        reader = buffers[fd] = hiredis.Reader()   # made by this loop
                    reader.feed(data)
                    replies = serve_reader(reader)
                if replies:
                    sock.sendall(b"".join(replies))


def serve_reader(reader):
    """Run the whole requests the hiredis reader holds: the replies."""
    replies = []
    while (argv := reader.gets()) is not False:
        replies.append(run(argv))
    return replies


def serve(buf):
    """Run the whole multibulk requests at the front of buf: (replies, bytes used)."""
    replies, pos, end = [], 0, len(buf)
    while pos < end and buf[pos] == 42:                      # '*'
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            break
        p, argv = nl + 2, []
        for _ in range(int(buf[pos + 1:nl])):
            nl = buf.find(b"\r\n", p)
            if nl < 0:
                return replies, pos
            size = int(buf[p + 1:nl])
            p = nl + 2
            if p + size + 2 > end:
                return replies, pos
            argv.append(buf[p:p + size])
            p += size + 2
        pos = p
        replies.append(run(argv))
    return replies, pos


def run(argv):
    name = argv[0].upper()
    if name == b"SET":
        with STORE_LOCK:
            STORE[argv[1]] = argv[2]
        return b"+OK\r\n"
    if name == b"GET":
        value = STORE[argv[1]] if argv[1] in STORE else None
        return b"$-1\r\n" if value is None else b"$%d\r\n%s\r\n" % (len(value), value)
    if name == b"PING":
        return b"+PONG\r\n"
    if name == b"CONFIG":                                     # redis-benchmark's probe
        return b"*0\r\n"
    return b"-ERR unknown command\r\n"


PYTHON_PARSER = "--python-parser" in sys.argv


def main():
    args = [a for a in sys.argv[1:] if a != "--python-parser"]
    port = int(args[0])
    loops = [Loop() for _ in range(int(args[1]) if len(args) > 1 else 2)]
    for loop in loops:
        threading.Thread(target=loop.run, daemon=True).start()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(511)
    count = 0
    while True:
        sock, _ = listener.accept()
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loops[count % len(loops)].hand_over(sock)
        count += 1


if __name__ == "__main__":
    main()
