"""The master side of replication: a client that sends SYNC or PSYNC becomes a replica.

It gets a full resynchronization, as redis-server gives one: PSYNC is answered
`+FULLRESYNC <replid> <offset>` at once, then `$<length>` and an RDB of the dataset,
then, as a stream of RESP commands, every effect written since that RDB's epoch -- what
the AOF gets, without its timestamps -- and a PING every repl-ping-replica-period
seconds. Its replies to anything else are not sent; REPLCONF ACK reports its offset.

Each stream has its own replication ID, as its offsets count its own bytes. When an
online replica goes, its stream is kept for repl-backlog-ttl seconds, still fed, the
cron framing what it gathers into a history of the last repl-backlog-size bytes sent;
a PSYNC naming that ID at an offset the history still holds gets `+CONTINUE <replid>`
and the bytes from there (a partial resynchronization), anything else a full one.

The stream is a propagation sink (ReplicaStream, replication/propagate.py) that goes
live inside the snapshot's epoch, with every stripe held, so each write is either in
the RDB or in the stream, never in neither nor in both. Until the RDB has gone out,
effects wait in the stream's buffer; afterwards each batch is posted to the replica's
own loop, which alone writes to its socket. A replica whose unsent stream passes
client-output-buffer-limit's hard replica limit is disconnected, as Redis does; a
replica reconnects and syncs again.
"""

import os
import time
from collections import deque

from ..config import parse_memory
from ..db.blocking import block, can_block, end_wait
from ..commands.dispatch import gate_needs
from ..errors import NOREPLICAS, WAIT_ON_REPLICA, CommandError
from ..locks.striped import leaf_lock
from ..log import log
from ..persistence import snapshot as snap_mod
from ..persistence.rdb_save import SaveOptions
from .propagate import EXEC, MULTI, EffectFeed, encode_command, select_command

PING = encode_command([b"PING"])
GETACK = encode_command([b"REPLCONF", b"GETACK", b"*"])
_DEFAULT_HARD_LIMIT = 256 << 20        # client-output-buffer-limit replica 256mb 64mb 60


class ReplicaStream(EffectFeed):
    """One replica's stream. Any loop appends its effects to `queue` with the effects'
    stripes held: a deque's append is atomic, so the stream keeps each key's order
    without a lock of its own (one shared lock here had the two loops queue on each
    other: a fifth of their samples, half in the kernel, measured). The replica's loop
    frames what it drains (SELECT where the database changes, MULTI / EXEC around a
    group) and alone writes to the socket; `lock` (a leaf) only keeps that drain and
    WAIT's offset reading apart."""

    feeds_replica = True

    def __init__(self, master, client):
        super().__init__()
        self.master = master
        self.client = client
        self.lock = leaf_lock(62, "replica-stream")
        self.queue = deque()          # groups of (db id or None, encoded command)
        self.last_db = -1             # a new stream starts with SELECT, as Redis's does
        self.online = False           # the RDB is out: groups go straight to the loop
        self.posted = False           # a delivery is in the replica loop's mailbox
        self.closed = False
        self.state = "wait_bgsave"    # INFO's slaveN state
        self.start_offset = master.offset
        self.sent = 0                 # stream bytes handed to the client
        self.acked = 0                # the offset the replica last reported
        self.rdb_size = 0             # the RDB's bytes do not count against the limit
        self.ack_time = time.time()
        self.listening_port = 0
        self.ip = ""                  # INFO's and ROLE's: REPLCONF ip-address, else the peer's
        # a stream's own replication ID: offsets count its own bytes (its SELECTs fall
        # where its deliveries put them), so a partial resync must resume this stream
        master.streams_made += 1
        self.replid = (master.server.run_id[:24].encode()
                       + b"%016x" % master.streams_made)
        self.history = deque()        # the last repl-backlog-size bytes sent, in chunks
        self.history_bytes = 0
        self.detached_at = None       # when its replica went: kept for a partial resync

    # -- the sink protocol (stripes held) -----------------------------------------------
    def live(self):
        return not self.closed

    def _emit(self, items, tls):
        self.queue.append(items)
        if self.online and not self.posted:     # deliver() clears `posted` before it
            self.posted = True                  # drains, so nothing is left behind
            self.client.loop.post(self.deliver)

    def ping(self):
        """The master's keepalive (cron thread): a PING in the stream, as Redis sends."""
        self._control(PING)

    def request_ack(self):
        """REPLCONF GETACK * in the stream: the replica answers with its offset (WAIT)."""
        self._control(GETACK)

    def _control(self, data):
        if self.online:
            self._emit(((None, data),), None)   # no database: no SELECT before it

    @staticmethod
    def _frame(groups, last_db):
        out = []
        for items in groups:
            wrap = len(items) > 1
            if wrap:
                if items[0][0] != last_db:
                    out.append(select_command(items[0][0]))
                    last_db = items[0][0]
                out.append(MULTI)
            for dbid, data in items:
                if dbid is not None and dbid != last_db:
                    out.append(select_command(dbid))
                    last_db = dbid
                out.append(data)
            if wrap:
                out.append(EXEC)
        return out, last_db

    def offset_now(self):
        """The offset a replica reaches once it has applied everything streamed so far."""
        with self.lock:
            chunks, _ = self._frame(list(self.queue), self.last_db)
            return self.start_offset + self.sent + sum(map(len, chunks))

    # -- the replica's loop ----------------------------------------------------------------
    def _take_queue(self):
        """Frame what is queued and count it as sent (lock held); the bytes."""
        queue = self.queue
        groups = [queue.popleft() for _ in range(len(queue))]
        chunks, self.last_db = self._frame(groups, self.last_db)
        data = b"".join(chunks)
        if data:
            self.sent += len(data)
            history = self.history
            history.append(data)
            self.history_bytes += len(data)
            limit = self.master.server.config.repl_backlog_size
            while self.history_bytes - len(history[0]) >= limit:
                self.history_bytes -= len(history.popleft())
        return data

    def deliver(self):
        self.posted = False
        with self.lock:
            data = self._take_queue()
        client = self.client
        if client.closed:
            return
        if data:
            self.master.advance(self.start_offset + self.sent)
            client.write_raw(data)
        client.flush()
        if client.output_size() > self.master.hard_limit() + self.rdb_size:
            log.warning(f"Client {client.info_line()} scheduled to be closed ASAP for "
                        "overcoming of output buffer limits.")
            client.close()

    # -- after its replica went (detached: `online` false, nothing posted) ---------------
    def drain_detached(self):
        """Cron: keep what a gone replica missed in its history, within the backlog."""
        with self.lock:
            if self.detached_at is not None:
                self._take_queue()

    def resume(self, offset):
        """PSYNC <replid> <offset>: the bytes from offset on, or None when the history no
        longer holds them. The stream is attached again if it does."""
        with self.lock:
            if self.detached_at is None:
                return None
            self._take_queue()
            index = offset - 1 - self.start_offset      # the first byte the replica lacks
            first = self.sent - self.history_bytes
            if not first <= index <= self.sent:
                return None
            data = b"".join(self.history)[index - first:]
            self.detached_at = None
            return data

    def send_rdb(self, payload):
        """The RDB is ready: send it, then what the stream gathered meanwhile."""
        client = self.client
        if client.closed:
            return
        client.write_raw(b"$%d\r\n" % len(payload))
        client.write_raw(payload)
        self.rdb_size = len(payload)
        self.online = True
        self.state = "online"
        self.deliver()                  # the RDB and what gathered meanwhile
        log.notice(f"Synchronization with replica {client.addr} succeeded")


class _Wait:
    __slots__ = ("waiter", "targets", "wanted")

    def __init__(self, waiter, targets, wanted):
        self.waiter, self.targets, self.wanted = waiter, targets, wanted


def _acked(targets):
    return sum(1 for stream, offset in targets
               if stream.state == "online" and not stream.closed and stream.acked >= offset)


class Master:
    """The replicas of this server and the stream offset (INFO replication, ROLE)."""

    def __init__(self, server):
        self.server = server
        self.replicas = []            # ReplicaStreams; replaced whole under sinks_lock
        self.sinks_lock = leaf_lock(13, "replication-sinks")
        self.offset = 0               # master_repl_offset: the furthest stream byte sent
        self.last_ping = self.last_ack = time.monotonic()
        self.waits = []               # WAITs blocked for acknowledgements; under sinks_lock
        self.backlogs = []            # streams whose replica went, kept for PSYNC (cron)
        self.streams_made = 0
        self.sync_full = self.sync_partial_ok = self.sync_partial_err = 0

    def advance(self, offset):
        if offset > self.offset:
            self.offset = offset

    def hard_limit(self):
        """client-output-buffer-limit's hard limit for replicas (0: none)."""
        words = self.server.config.client_output_buffer_limit.split()
        for i in range(0, len(words) - 3, 4):
            if words[i].lower() in ("replica", "slave"):
                return parse_memory(words[i + 1]) or float("inf")
        return _DEFAULT_HARD_LIMIT

    # -- SYNC / PSYNC (on the replica's loop) --------------------------------------------
    @staticmethod
    def _make_replica(client, stream):
        client.replica = stream
        stream.client = client
        stream.listening_port = getattr(client, "replica_port", 0)
        stream.ip = (getattr(client, "replica_ip", None)
                     or client.addr.rsplit(":", 1)[0].strip("[]"))
        client.flags_extra += "S"
        client.reply_mode = "off"     # a replica gets the stream, not replies
        client.mute = True
        client.replain()

    def partial_sync(self, client, replid, offset):
        """PSYNC replid offset from a replica that was here: +CONTINUE and what it missed,
        when its stream's history still holds that; else False (a full resync)."""
        for stream in self.backlogs:
            if stream.replid != replid:
                continue
            data = stream.resume(offset)
            if data is None:
                break
            with self.sinks_lock:
                self.backlogs = [s for s in self.backlogs if s is not stream]
                self.replicas = self.replicas + [stream]
            self._make_replica(client, stream)
            client.write_raw(b"+CONTINUE %s\r\n" % replid)
            client.write_raw(data)
            stream.online = True
            stream.state = "online"
            stream.deliver()
            self.sync_partial_ok += 1
            log.notice(f"Partial resynchronization request from {client.addr} accepted. "
                       f"Sending {len(data)} bytes of backlog starting from offset {offset}.")
            return True
        self.sync_partial_err += 1
        return False

    def full_sync(self, client, psync):
        stream = ReplicaStream(self, client)
        self._make_replica(client, stream)
        self.sync_full += 1
        for old in self.backlogs:          # the same replica back: its old stream goes
            if old.listening_port == stream.listening_port and old.ip == stream.ip:
                self._drop(old)
        if psync:
            client.write_raw(b"+FULLRESYNC %s %d\r\n" % (stream.replid, stream.start_offset))
            client.flush()
        log.notice(f"Replica {client.addr} asks for synchronization")
        self._start_snapshot(stream)

    def _start_snapshot(self, stream):
        """Snapshot for stream now, or retry shortly while another snapshot (BGSAVE,
        AOF rewrite, another replica's) runs."""
        client = stream.client
        if client.closed:
            return
        rdb = self.server.rdb
        if not rdb.reserve("replication"):
            client.loop.call_later(0.05, self._start_snapshot, stream)
            return

        def at_epoch(_snap):           # every stripe held: the stream starts here
            with self.sinks_lock:
                self.replicas = self.replicas + [stream]
                ks = self.server.keyspace
                ks.sinks = ks.sinks + (stream,)
                ks.sinks_changed()
            stream.state = "send_bulk"

        try:
            snap = snap_mod.begin(self.server, at_epoch)
        except BaseException:
            rdb.release()
            raise
        rdb.snapshot = snap
        log.notice("Starting BGSAVE for SYNC with target: replicas sockets (snapshot thread)")
        snap_mod.run_in_thread("replica-sync", self._write_rdb, stream, snap)

    def _write_rdb(self, stream, snap):
        server = self.server
        cfg = server.config
        path = os.path.join(cfg.dir, f"temp-replica-{os.getpid()}-{stream.client.id}.rdb")
        payload = None
        try:
            sink = snap_mod.FileSink(path, cfg.rdbchecksum, incremental_fsync=False)
            try:
                ok = snap_mod.write_rdb(snap, sink, SaveOptions(cfg), server.rdb.aux(),
                                        server.rdb_functions)
            finally:
                sink.close(sync=False)
            if ok:
                with open(path, "rb") as fh:
                    payload = fh.read()
        except Exception as exc:
            log.warning(f"Snapshot for replica {stream.client.addr} failed: {exc}")
        finally:
            snap_mod.finish(server, snap)
            server.rdb.release()
            try:
                os.unlink(path)
            except OSError:
                pass
        loop = stream.client.loop
        if payload is None:               # aborted (FLUSHALL) or failed: it syncs again
            loop.post(stream.client.close)
        else:
            loop.post(stream.send_rdb, payload)

    # -- WAIT (on the waiting client's loop) ------------------------------------------------
    def wait(self, client, wanted, timeout_ms):
        """WAIT numreplicas timeout: the number of online replicas that have acknowledged
        everything streamed before it (stricter than Redis, which counts from the
        client's own last write). At once when enough have, or inside EXEC; else the
        client blocks until they do or the timeout passes, and every replica is asked
        for an acknowledgement."""
        if self.server.link is not None:
            raise CommandError(WAIT_ON_REPLICA)
        targets = [(s, s.offset_now()) for s in self.replicas if s.state == "online"]
        done = _acked(targets)
        if done >= wanted or not can_block(client):
            return done
        reply = block(client, (), 0, lambda c, key: None, timeout_reply=done)  # CLIENT UNBLOCK
        entry = _Wait(client.blocked, targets, wanted)
        with self.sinks_lock:
            self.waits = self.waits + [entry]
        if timeout_ms:
            client.loop.call_later(timeout_ms / 1000.0, self._check_wait, entry, True)
        for stream, _ in targets:
            stream.request_ack()
        return reply

    def acked(self, stream):
        """A replica reported its offset (its loop): recheck the WAITs, each on its loop."""
        for entry in self.waits:
            entry.waiter.client.loop.post(self._check_wait, entry, False)

    def _check_wait(self, entry, timed_out):
        done = _acked(entry.targets)
        if done >= entry.wanted or timed_out or not entry.waiter.active:
            with self.sinks_lock:
                self.waits = [e for e in self.waits if e is not entry]
            end_wait(entry.waiter, done)

    # -- leaving ---------------------------------------------------------------------------
    def client_closed(self, client):
        """A replica went. One that was online keeps its stream, fed and drained into its
        history by the cron, for repl-backlog-ttl seconds: a PSYNC may resume it."""
        stream = client.replica
        if stream is None:
            return
        with stream.lock:
            keep = stream.online and self.server.config.repl_backlog_ttl > 0
            stream.online = False             # nothing is posted to the gone client
            stream.state = "detached"         # not counted by WAIT or INFO
            if keep:
                stream.detached_at = time.monotonic()
        with self.sinks_lock:
            self.replicas = [s for s in self.replicas if s is not stream]
            if keep:
                self.backlogs = self.backlogs + [stream]
        if not keep:
            self._drop(stream)
        log.notice(f"Connection with replica {client.addr} lost.")

    def forget_replicas(self):
        """The dataset is being replaced (this server resyncs from its own master): every
        replica must sync in full again, so none of their streams is kept for PSYNC."""
        for stream in list(self.backlogs):
            self._drop(stream)
        for stream in list(self.replicas):
            with stream.lock:
                stream.online = False         # not kept when its connection closes
            stream.client.loop.post(stream.client.close)

    def _drop(self, stream):
        if stream.detached_at is not None:
            log.notice(f"Backlog of replica {stream.client.addr} "
                       f"(port {stream.listening_port}) freed.")
        stream.closed = True
        with self.sinks_lock:
            self.backlogs = [s for s in self.backlogs if s is not stream]
            ks = self.server.keyspace
            ks.sinks = tuple(s for s in ks.sinks if s is not stream)
            ks.sinks_changed()

    # -- the server's extension hooks, INFO, ROLE ----------------------------------------
    def start(self, server):
        words = server.config.replicaof          # `replicaof host port` in the config
        if len(words) == 2:
            from .replica import follow
            follow(server, words[0], int(words[1]))

    def stop(self, server, save=None):
        if server.link is not None:
            server.link.stop()
        return True

    def cron(self, server):
        now = time.monotonic()
        ttl = server.config.repl_backlog_ttl
        for stream in self.backlogs:
            stream.drain_detached()
            at = stream.detached_at
            if at is not None and now - at > ttl:
                self._drop(stream)
        link = server.link
        if link is not None and now - self.last_ack >= 1.0:
            self.last_ack = now
            link.ack()
        if now - self.last_ping >= server.config.repl_ping_replica_period:
            self.last_ping = now
            for stream in self.replicas:
                stream.ping()

    # -- min-replicas-to-write ---------------------------------------------------------------
    def good_replicas(self):
        """Online replicas whose last acknowledgement is at most min-replicas-max-lag
        seconds old (whole seconds, as Redis counts them)."""
        now = int(time.time())
        max_lag = self.server.config.min_replicas_max_lag
        return sum(1 for s in self.replicas
                   if s.state == "online" and not s.closed and now - int(s.ack_time) <= max_lag)

    def guard_writes(self):
        """min-replicas-to-write or -max-lag changed: writes are refused (NOREPLICAS) while
        this server, as a master, has fewer good replicas than asked for -- a gate check
        only while both are set, so the fast lanes stay open otherwise."""
        config = self.server.config
        on = config.min_replicas_to_write and config.min_replicas_max_lag
        self.server.set_gate("noreplicas", self._noreplicas if on else None)

    def _noreplicas(self, c, cmd, argv):
        server = self.server
        if server.link is not None or not gate_needs(c, cmd)[0]:
            return None
        config = server.config
        if (config.min_replicas_to_write and config.min_replicas_max_lag
                and self.good_replicas() < config.min_replicas_to_write):
            return NOREPLICAS
        return None

    def info(self):
        online = [s for s in self.replicas if s.state == "online"]
        fields = [("connected_slaves", len(online))]
        config = self.server.config
        if config.min_replicas_to_write and config.min_replicas_max_lag:
            fields.append(("min_slaves_good_slaves", self.good_replicas()))
        now = time.time()
        for n, s in enumerate(online):
            fields.append((f"slave{n}", f"ip={s.ip},port={s.listening_port},state={s.state},"
                                        f"offset={s.acked},lag={int(now - s.ack_time)}"))
        return fields

    def role_replicas(self):
        return [[s.ip.encode(),
                 b"%d" % s.listening_port, b"%d" % s.acked]
                for s in self.replicas if s.state == "online"]
