"""One event loop per server thread: its own epoll set, timers and a mailbox.

Loop-owned: the epoll set, the handlers and clients dicts, timers and stats. Other
threads talk to a loop only through post(), which appends to the mailbox deque and wakes
the loop through its socketpair (at most one wake byte in flight, guarded by
wake_pending). When its sockets go quiet a loop polls on for busy-poll-us before it
sleeps in epoll_wait (_idle). The loop uses select.epoll directly, with an fd -> handler
dict, instead of the selectors module's Python-level key objects per ready socket.
"""

import heapq
import itertools
import os
import select
import socket
import threading
import time
import traceback
from collections import deque

from .commands.dispatch import batch_context
from .db.keyspace import bind_thread_stats
from .log import log
from .process import pin_thread
from .stats import LoopStats

_READ = select.EPOLLIN
_WRITE = select.EPOLLOUT
_GONE = select.EPOLLHUP | select.EPOLLERR     # reported as readable: recv() finds out
_monotonic_ns = time.monotonic_ns
_yield = os.sched_yield


class EventLoop(threading.Thread):
    # Slots for what the loop and its clients read per pass or per request (durable,
    # stats, batch_context, mailbox, ...): a slot read skips the instance-dict lookup
    # (Thread's own attributes stay in its __dict__)
    __slots__ = ("server", "index", "cpu", "epoll", "handlers", "clients", "stats",
                 "mailbox", "wake_r", "wake_w", "wake_pending", "timers", "_seq", "running",
                 "thread_id", "durable", "held", "command_names", "unflushed",
                 "batch_context")

    def __init__(self, server, index, cpu=None):
        super().__init__(name=f"loop-{index}", daemon=True)
        self.server = server
        self.index = index
        self.cpu = cpu
        self.epoll = select.epoll()
        self.handlers = {}                # fd -> Client or _Callback: on_readable(), ...
        self.clients = {}                 # fd -> Client
        self.stats = LoopStats()
        self.mailbox = deque()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.wake_pending = False
        self.register(self.wake_r, self._on_wake)
        self.timers = []
        self._seq = itertools.count()
        self.running = True
        self.thread_id = None
        self.durable = None               # the AOF while appendfsync is always (sync())
        self.held = {}                    # clients whose replies wait for that sync
        self.command_names = {}           # loop-owned cache for dispatch.resolve
        self.unflushed = []               # clients read this pass whose replies wait (run)
        self.batch_context = batch_context(self)

    # -- cross-thread API ------------------------------------------------------------------
    def post(self, fn, *args):
        """Run fn(*args) on this loop's thread, soon."""
        self.mailbox.append((fn, args))
        if not self.wake_pending:
            self.wake_pending = True
            try:
                self.wake_w.send(b"!")
            except (BlockingIOError, OSError):
                pass

    def call_later(self, delay, fn, *args):
        """Loop thread only: run fn(*args) after delay seconds. Returns a cancel handle."""
        entry = [time.monotonic() + delay, next(self._seq), fn, args]
        heapq.heappush(self.timers, entry)
        return entry

    @staticmethod
    def cancel(entry):
        entry[2] = None

    # -- loop thread -----------------------------------------------------------------------
    def register(self, sock, callback):
        """Call callback() whenever sock is readable (listeners, the wake-up socket)."""
        self.handlers[sock.fileno()] = _Callback(callback)
        self.epoll.register(sock.fileno(), _READ)

    def unregister(self, sock):
        """Stop calling back for sock (a listener CONFIG SET bind / port replaced)."""
        fd = sock.fileno()
        self.handlers.pop(fd, None)
        try:
            self.epoll.unregister(fd)
        except (ValueError, OSError):
            pass

    def add_client(self, client):
        self.clients[client.fd] = client
        self.handlers[client.fd] = client
        self.epoll.register(client.fd, _READ)

    def want_write(self, client, on):
        try:
            self.epoll.modify(client.fd, _READ | _WRITE if on else _READ)
        except (ValueError, OSError):
            pass

    def forget(self, client):
        """Stop watching client (before its socket closes, so the fd is still ours)."""
        fd = client.fd
        self.clients.pop(fd, None)
        if fd in self.handlers and self.handlers[fd] is client:
            del self.handlers[fd]
            try:
                self.epoll.unregister(fd)
            except (ValueError, OSError):
                pass

    def _on_wake(self):
        try:
            while self.wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        self.wake_pending = False

    def run(self):
        self.thread_id = threading.get_native_id()
        if self.cpu is not None:
            try:
                os.sched_setaffinity(0, {self.cpu})
            except OSError as exc:
                log.warning(f"Could not pin loop {self.index} to CPU {self.cpu}: {exc}")
        else:
            pin_thread("server_cpulist", f"loop {self.index}", self.server.config.server_cpulist)
        # What only this loop uses is made again by this thread: in the free-threaded
        # interpreter an object's reference count is cheap (thread-local) only for the
        # thread that created it, and a dict read of a value another thread created, whose
        # shared count happens to be zero, falls back to locking the dict. The stats made
        # by the main thread, looked up per command through a dict both loops read, made
        # two loop threads serve GETs five times slower than one (measured).
        self.stats = LoopStats()
        self.command_names = {}
        self.unflushed = unflushed = []
        self.handlers = dict(self.handlers)
        self.batch_context = batch_context(self)
        bind_thread_stats(self.stats)
        poll = self.epoll.poll
        handlers = self.handlers
        mailbox = self.mailbox
        held = self.held
        readable = _READ | _GONE
        writable = _WRITE
        queue = unflushed.append
        lazyfree = self.server.keyspace.lazyfree
        garbage = lazyfree.batch()          # values UNLINK & co. freed after their replies
        # Per iteration the loop reads locals where it can. An attribute read looks the
        # name up in the class first, and a miss in the interpreter's type cache (two
        # names sharing a slot evict each other) takes a process-wide lock that the
        # loops then queue on: under redis-benchmark `self.running` and `self.held`
        # missed on every iteration, and that lock was where most of the process's
        # sched_yield calls came from (perf). stop() posts to the mailbox, so
        # `running` is read after the mailbox has run.
        stats = self.stats
        clock = _monotonic_ns
        credit = 0                          # ns of polling the work since the last sleep earned
        while True:
            try:
                events = poll(0)
                if not events and not mailbox:
                    events, credit = self._idle(poll, credit)
            except InterruptedError:
                continue
            started = clock()
            net_in = 0
            for fd, mask in events:
                if fd not in handlers:          # closed earlier in this batch
                    continue
                target = handlers[fd]
                try:
                    if mask & readable:
                        got = target.on_readable()
                        if got:                 # a client read got bytes: flushed below
                            net_in += got
                            queue(target)
                    if mask & writable and not target.closed:
                        target.on_writable()
                except Exception:  # a bug must not kill the loop
                    self._crashed(target)
            if unflushed:
                # The replies of this pass's reads go out after every ready socket has
                # been read, as Redis writes its replies before it sleeps: the client's
                # side is then woken once for several replies rather than between reads
                # (redis-benchmark -c 50, two loops: 88k to 100k GET/s unpipelined,
                # 480k to 560k pipelined, less kernel time on both sides; perf/README.md).
                # The pass's reads and writes are counted here, once, in locals.
                net_out = writes = 0
                for client in unflushed:
                    try:
                        sent = client.write_out()
                    except Exception:
                        self._crashed(client)
                        continue
                    if sent:
                        net_out += sent
                        writes += 1
                stats.net_in += net_in
                stats.reads += len(unflushed)
                if writes:
                    stats.net_out += net_out
                    stats.writes += writes
                unflushed.clear()
            if garbage:
                lazyfree.drain(garbage)
            if mailbox:
                while mailbox:
                    fn, args = mailbox.popleft()
                    try:
                        fn(*args)
                    except Exception:
                        self._crashed(fn)
                if not self.running:
                    break
            if self.timers:
                self._run_timers()
            if held:
                self._release_held()
            credit += (clock() - started) >> 1     # polls up to half the work

    def _idle(self, poll, credit):
        """Nothing is ready: poll on, yielding the core between polls, while credit (ns)
        lasts -- half the time the loop's passes took since it last slept, capped at
        busy-poll-us -- then sleep until an event or the next timer. Returns the events
        and what is left of the credit (none after a sleep).

        A loop that sleeps is woken by the kernel when a request arrives, and on a
        machine whose cores the loops share with their clients that wake-up and the idle
        gaps around it cost more than the polls: with redis-benchmark on the same two
        cores, 20 us of polling took two loops from 45-51k to 53-58k unpipelined
        requests a second (perf/README.md, 2026-11-22 21:39), and polling up to 200 us
        another 3-10% (2026-11-23 17:56). sched_yield() lets a runnable client or the
        other loop have the core, so the polling only uses time nothing else wants.
        Bounding it by the work done keeps a lightly loaded loop from spinning (its
        polls cost at most half the CPU its requests did), while under steady load
        polls that find work quickly leave their credit to the next ones and the loop
        stays awake."""
        timeout = self._next_timeout()
        # what is kept is capped too, so that credit earned under a long heavy load
        # cannot keep the loop polling through the gaps of a lighter one after it
        credit = min(credit, self.server.config.busy_poll_us * 1000)
        if credit > 0 and timeout:
            clock, pause, mailbox = _monotonic_ns, _yield, self.mailbox
            start = clock()
            deadline = start + min(credit, int(timeout * 1e9))    # timers on time
            while True:
                pause()
                events = poll(0)
                now = clock()
                if events or mailbox:
                    return events, credit - (now - start)
                if now >= deadline:
                    break
            timeout = self._next_timeout()
        return poll(timeout), 0

    def _release_held(self):
        """appendfsync always: one AOF sync covers every reply held this iteration.
        The dict is emptied in place (run() holds it)."""
        durable = self.durable
        if durable is not None:
            durable.sync()
        clients = list(self.held)
        self.held.clear()
        for client in clients:
            client.flush()

    def _crashed(self, target):
        log.warning(f"Unexpected error in loop {self.index} ({target!r}):\n"
                    + traceback.format_exc())
        close = getattr(target, "close", None)
        if close is not None and hasattr(target, "on_readable"):
            try:
                close()
            except Exception:
                pass

    def _next_timeout(self):
        timers = self.timers
        while timers and timers[0][2] is None:
            heapq.heappop(timers)
        if not timers:
            return 1.0
        return max(0.0, min(1.0, timers[0][0] - time.monotonic()))

    def _run_timers(self):
        now = time.monotonic()
        timers = self.timers
        while timers and timers[0][0] <= now:
            _, _, fn, args = heapq.heappop(timers)
            if fn is not None:
                try:
                    fn(*args)
                except Exception:
                    self._crashed(fn)

    def stop(self):
        self.running = False
        self.post(lambda: None)



class _Callback:
    """A non-client handler: shaped like a Client for the loop's dispatch (its
    on_readable returns None: no bytes for the loop to count, nothing to flush)."""
    __slots__ = ("fn",)
    closed = False

    def __init__(self, fn):
        self.fn = fn

    def on_readable(self):
        self.fn()

    def __repr__(self):
        return f"<callback {self.fn!r}>"
