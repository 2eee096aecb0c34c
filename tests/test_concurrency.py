"""Many client threads, spread over the server's loop threads, on shared keys: exact
totals and invariants at the end (no lost updates, no torn multi-key writes)."""

import threading

THREADS = 12


def run_threads(target, n=THREADS):
    errors = []

    def wrap(i):
        try:
            target(i)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors[:3]


def test_incr_from_many_threads_is_exact(server, r):
    per_thread = 500

    def work(i):
        c = server.client()
        pipe = c.pipeline(transaction=False)
        for j in range(per_thread):
            pipe.incr("counter")
            pipe.incrby("counter:by", 3)
            pipe.incrbyfloat("counter:float", "0.5")
            if j % 50 == 49:
                pipe.execute()
        pipe.execute()

    run_threads(work)
    assert int(r.get("counter")) == THREADS * per_thread
    assert int(r.get("counter:by")) == 3 * THREADS * per_thread
    assert float(r.get("counter:float")) == 0.5 * THREADS * per_thread


def test_mset_is_atomic_across_keys(server, r):
    """Writers MSET the same value into 5 keys; readers MGET them: every read sees one
    writer's complete set, never a mix."""
    keys = [f"mk:{i}" for i in range(5)]
    r.mset({k: "init" for k in keys})
    stop = threading.Event()
    torn = []

    def writer(i):
        c = server.client()
        for j in range(300):
            c.mset({k: f"{i}:{j}" for k in keys})

    def reader():
        c = server.client()
        while not stop.is_set():
            vals = c.mget(keys)
            if len(set(vals)) != 1:
                torn.append(vals)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        run_threads(writer, n=6)
    finally:
        stop.set()
        for t in readers:
            t.join(30)
    assert not torn, torn[:3]


def test_setnx_lock_has_one_winner_per_round(server, r):
    winners = []
    lock = threading.Lock()

    def contender(i):
        c = server.client()
        for round_ in range(50):
            if c.set(f"lock:{round_}", i, nx=True):
                with lock:
                    winners.append(round_)

    run_threads(contender)
    assert sorted(winners) == list(range(50))


def test_append_and_getrange_consistent(server, r):
    def appender(i):
        c = server.client()
        for _ in range(200):
            c.append("log", f"[{i:02d}]")

    run_threads(appender)
    value = r.get("log")
    assert len(value) == THREADS * 200 * 4
    chunks = [value[i:i + 4] for i in range(0, len(value), 4)]
    for i in range(THREADS):
        assert chunks.count(f"[{i:02d}]".encode()) == 200


def test_rename_under_contention_keeps_one_copy(server, r):
    """Keys bounce between names; at every moment exactly one of the two names holds
    each value, and nothing is lost."""
    for i in range(20):
        r.set(f"a:{i}", i)

    def mover(t):
        c = server.client()
        for _ in range(100):
            for i in range(t % 4, 20, 4):
                try:
                    c.rename(f"a:{i}", f"b:{i}")
                except Exception:
                    pass
                try:
                    c.rename(f"b:{i}", f"a:{i}")
                except Exception:
                    pass

    run_threads(mover, n=8)
    for i in range(20):
        values = [r.get(f"a:{i}"), r.get(f"b:{i}")]
        assert sorted(v for v in values if v is not None) == [str(i).encode()]
