"""The replica side: REPLICAOF host port (or `replicaof` in the config) makes this server
follow a master -- redis-server 7.0 or another keydb-ft -- as a Redis replica does.

A link thread connects and does Redis's handshake (PING, AUTH with masterauth /
masteruser when set, REPLCONF listening-port, ip-address and capa psync2, then PSYNC
? -1: a full resync),
reads the RDB and loads it in place of the dataset, clients getting LOADING meanwhile.
After a drop it asks PSYNC <the master's ID> <one past the offset it applied> first,
and on +CONTINUE keeps its data and goes on with the stream (a partial resync).
The socket then goes to a loop as the master's client (MasterClient, flag M): the loop
runs the stream's commands as any client's, without replies, and they reach this
server's own AOF and replicas. The master's REPLCONF GETACK is answered, and an ACK
goes every second, with the offset of the stream applied (bytes read past the RDB,
less what waits in the parser). When the link drops, the thread connects again after
a second and resyncs in full.

While this is a replica with replica-read-only yes, other clients' write commands get
READONLY (a gate check, so plain commands leave the loops' fast lanes), and keys
expire only when the master's DEL comes (Keyspace.is_replica). REPLICAOF NO ONE
closes the link and keeps the data.
"""

import socket
import threading
import time

from .. import errors
from ..commands.dispatch import gate_needs
from ..connection import READ_SIZE, Client
from ..db.keyspace import MASTER_STREAM
from ..log import log
from .propagate import encode_command


class MasterClient(Client):
    """The master's connection: every read counts toward the replication offset."""

    def on_readable(self):
        try:
            data = self.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        self.take(data)

    def take(self, data):
        link = self.link
        link.received += len(data)
        link.last_io = time.time()
        stats = self.loop.stats
        stats.net_in += len(data)
        stats.reads += 1
        if self.parser.feed(data):
            MASTER_STREAM.on = True
            try:
                self.process_input()
            finally:
                MASTER_STREAM.on = False

    def send_ack(self):
        if not self.closed:
            self.write_raw(encode_command([b"REPLCONF", b"ACK", b"%d" % self.link.offset()]))
            self.flush()


class ReplicaLink:
    """This server's link to its master (Server.link while it is a replica)."""

    def __init__(self, server, host, port):
        self.server = server
        self.host, self.port = host, port
        self.state = "connect"        # connect / sync / connected (ROLE's words)
        self.client = None            # the MasterClient once synced
        self.base = 0                 # the master's offset at the last (re)sync
        self.received = 0             # stream bytes read since then
        self.replid = None            # the master's replication ID, for a PSYNC to resume
        self.applied = None           # the offset applied when the link last dropped
        self.last_io = time.time()
        self.stopped = threading.Event()
        self.down = threading.Event()  # set when the master's connection closes
        self.thread = threading.Thread(target=self._run, name="replica-link", daemon=True)

    def start(self):
        self.thread.start()

    def offset(self):
        client = self.client
        pending = client.parser.pending if client is not None else 0
        return self.base + self.received - pending

    # -- the link thread -----------------------------------------------------------------
    def _run(self):
        while not self.stopped.is_set():
            self.down.clear()
            try:
                self._sync()
            except _Refused:
                self.state = "connect"
            except (OSError, ValueError) as exc:
                log.warning(f"Error condition on socket for SYNC: {exc}")
                self.state = "connect"
            except Exception as exc:          # a load that failed: try again later
                log.warning(f"Replication with {self.host}:{self.port} failed: {exc}")
                self.state = "connect"
            else:
                self.down.wait()              # until the master's connection closes
            self.stopped.wait(1.0)

    def _sync(self):
        server = self.server
        cfg = server.config
        log.notice(f"Connecting to MASTER {self.host}:{self.port}")
        source = (cfg.bind_source_addr, 0) if cfg.bind_source_addr else None
        sock = socket.create_connection((self.host, self.port), timeout=cfg.repl_timeout,
                                        source_address=source)
        try:
            reader = _Lines(sock)
            self.state = "sync"
            log.notice("MASTER <-> REPLICA sync started")
            self._handshake(reader, cfg)
            resume = self.replid is not None and self.applied is not None
            if resume:                        # what we lack starts one past what we applied
                sock.sendall(encode_command([b"PSYNC", self.replid, b"%d" % (self.applied + 1)]))
            else:
                sock.sendall(encode_command([b"PSYNC", b"?", b"-1"]))
            line = reader.line()
            if resume and line.startswith(b"+CONTINUE"):
                words = line.split()
                if len(words) > 1:
                    self.replid = words[1]    # a new ID after a failover (PSYNC2)
                log.notice("Successful partial resynchronization with master.")
                self._hand_over(sock, reader, self.applied)
                sock = None
                return
            if line.startswith((b"-NOMASTERLINK", b"-LOADING")):
                log.notice(f"Master is currently unable to PSYNC but should be in the "
                           f"future: {_text(line)}")
                raise _Refused(line)
            if not line.startswith(b"+FULLRESYNC"):
                _refused(f"Unexpected reply to PSYNC from master: {_text(line)}")
            self.replid = line.split()[1]
            self.applied = None               # the data is being replaced: no resuming
            base = int(line.split()[2])
            log.notice(f"Full resync from master: {line[12:].decode('utf-8', 'replace')}")
            header = reader.line()
            if not header.startswith(b"$") or header.startswith(b"$EOF:"):
                raise ValueError(f"unexpected bulk header: {header[:80]!r}")
            payload = reader.exactly(int(header[1:]))
            log.notice(f"MASTER <-> REPLICA sync: receiving {len(payload)} bytes from master "
                       "to disk")
            self._load(payload)
            if self.stopped.is_set():
                return
            self._hand_over(sock, reader, base)
            sock = None                       # the loop owns it now
        finally:
            if sock is not None:
                sock.close()

    def _handshake(self, reader, cfg):
        """Redis's replica handshake and its log lines: PING (an authentication error
        is fine: AUTH follows), AUTH with masterauth, then REPLCONF listening-port,
        ip-address (replica-announce-ip) and capa, whose errors the master may give
        without the sync failing. _Refused (already logged) when it cannot go on."""
        line = _ask(reader, [b"PING"])
        if line.startswith(b"-") and not line.startswith(
                (b"-NOAUTH", b"-NOPERM", b"-ERR operation not permitted")):
            _refused(f"Error reply to PING from master: '{_text(line)}'")
        log.notice("Master replied to PING, replication can continue...")
        if cfg.masterauth:
            auth = [b"AUTH"] + ([cfg.masteruser.encode()] if cfg.masteruser else [])
            line = _ask(reader, auth + [cfg.masterauth.encode()])
            if line.startswith(b"-"):
                _refused(f"Unable to AUTH to MASTER: {_text(line)}")
        port = cfg.replica_announce_port or cfg.port
        replconf = [(b"listening-port", b"%d" % port)]
        if cfg.replica_announce_ip:
            replconf.append((b"ip-address", cfg.replica_announce_ip.encode()))
        replconf.append((b"capa", b"psync2"))
        for option, value in replconf:
            line = _ask(reader, [b"REPLCONF", option, value])
            if line.startswith(b"-"):
                log.notice(f"(Non critical) Master does not understand REPLCONF "
                           f"{_text(option)}: {_text(line)}")

    def _hand_over(self, sock, reader, base):
        """The stream starts at offset base: the socket goes to a loop."""
        self.base, self.received, self.applied = base, 0, None
        sock.settimeout(None)
        sock.setblocking(False)
        loop = self.server.loops[0]
        loop.post(self._attach, loop, sock, reader.rest())

    def _load(self, payload):
        from ..commands.persistence import _empty_keyspace, _loading
        server = self.server
        with _loading(server):                # LOADING for a replica that asks meanwhile
            server.master.forget_replicas()   # the data set is replaced: they sync again
            log.notice("MASTER <-> REPLICA sync: Flushing old data")
            _empty_keyspace(server)
            log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
            server.rdb.load_bytes(payload)
        log.notice("MASTER <-> REPLICA sync: Finished with success")

    # -- the loop that serves the master's connection ---------------------------------------
    def _attach(self, loop, sock, leftover):
        if self.stopped.is_set():
            sock.close()
            return
        # made again by the loop thread, which then owns what it touches per read
        sock = socket.socket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        sock.setblocking(False)
        client = self.server.adopt(loop, sock, (self.host, self.port), cls=MasterClient)
        client.link = self
        client.flags_extra = "M"
        client.reply_mode = "off"             # the master gets no replies, only ACKs
        client.mute = True
        client.replain()
        self.client = client
        self.state = "connected"
        if leftover:
            client.take(leftover)
        client.send_ack()

    def client_closed(self, client):
        if client is self.client:
            self.applied = self.offset()      # a partial command read is not applied
            self.client = None
            self.state = "connect"
            log.notice("Connection with master lost.")
            self.down.set()

    def stop(self):
        """REPLICAOF NO ONE / another master: close the link (any thread)."""
        self.stopped.set()
        self.down.set()
        client = self.client
        if client is not None:
            client.loop.post(client.close)

    def ack(self):
        """Cron: the once-a-second ACK."""
        client = self.client
        if client is not None:
            client.loop.post(client.send_ack)


class _Lines:
    """Blocking reads of the handshake's lines and the RDB from the master's socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError("connection closed by the master")
        self.buf += chunk

    def line(self):
        """The next line that is not a keepalive newline."""
        while True:
            while b"\n" not in self.buf:
                self._more()
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            if line:
                return line

    def exactly(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def rest(self):
        return self.buf


class _Refused(Exception):
    """The master refused the handshake; the reason is logged already."""


def _refused(text):
    log.warning(text)
    raise _Refused(text)


def _ask(reader, argv):
    """Send a handshake command and return its reply line."""
    reader.sock.sendall(encode_command(argv))
    return reader.line()


def _text(line):
    return line.decode("utf-8", "replace")


def replica_gate(c, cmd, argv):
    """The gate check of a replica (installed while it follows a master): other clients'
    writes get READONLY under replica-read-only, and while the link is not up, under
    replica-serve-stale-data no, commands without the `stale` flag get MASTERDOWN."""
    server = c.server
    link = server.link
    if link is None or "M" in c.flags_extra:
        return None
    writes, fresh, _ = gate_needs(c, cmd)
    config = server.config
    if writes and config.replica_read_only:
        return errors.READONLY
    if fresh and link.state != "connected" and not config.replica_serve_stale_data:
        return errors.MASTERDOWN
    return None


def follow(server, host, port):
    """Become a replica of host:port (any thread but the link's)."""
    unfollow(server)
    link = server.link = ReplicaLink(server, host, port)
    server.keyspace.is_replica = True
    server.set_gate("replica", replica_gate)
    link.start()
    server.oom.apply(server.config)          # the replica's oom-score-adj-values
    log.notice(f"REPLICAOF {host}:{port} enabled")


def unfollow(server):
    """Stop being a replica; the data stays (REPLICAOF NO ONE)."""
    link = server.link
    if link is None:
        return False
    link.stop()
    server.link = None
    server.keyspace.is_replica = False
    server.set_gate("replica", None)
    server.oom.apply(server.config)
    return True
