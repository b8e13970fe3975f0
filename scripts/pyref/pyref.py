#!/usr/bin/env python3
"""pyref: mpbench's workloads under the Python multiprocessing patterns.

The reference models of mpbench (py-sequential, py-pool, ...) run this script;
it also runs on its own:

    python3 pyref.py --pattern pool --workload cpu --params tasks=48,n=1000000 \\
        --cores 2 --trials 3

Standard library only, Python 3.8 or later. Every trial prints one JSON line:

    {"setup_ns": ..., "compute_ns": ..., "teardown_ns": ..., "checksum": ...,
     "python": "3.11.7", "pattern": "pool", ...}

setup    creating the pool / processes / manager and waiting until every
         worker process has started and warmed up (see warm_up),
compute  first task handed out -> last result back in this process,
teardown close / join / shutdown,
checksum sum((i + 1) * result_i) mod 2**64, every result weighted by its
         position, which mpbench compares with the Go workload's reference
         (workloads.Checksum).

Task lists are exactly mpbench's (workloads/defs.go):

    cpu     n_i = n + cpu_offset(n, i) for i = 0 .. tasks-1;
            result = sum(j*j for j < n_i) mod 2**64
    square  x = 0 .. tasks-1;  result = x*x
    pow     (a, b) = (2 + i % 8, i % 20) for i = 0 .. tasks-1; result = a**b

With --wait, before each trial the script writes {"ready": true, ...} and
reads one line from stdin; end of input ends the script. mpbench uses it so
that interpreter start-up and task generation stay outside every phase.
"""

import argparse
import ctypes
import json
import multiprocessing as mp
import os
import platform
import re
import resource
import signal
import sys
import time

MASK = (1 << 64) - 1
now = time.perf_counter_ns

# ------------------------------------------------------ nothing left behind
#
# Every process of a trial dies with the process that started it, however
# that one dies (SIGKILL included): on Linux the kernel sends SIGKILL to a
# process whose parent exits once it has asked for it with
# prctl(PR_SET_PDEATHSIG). mpbench starts this script with it set; the
# script sets it in every process it starts: a fork hook covers the fork
# start method (Pool workers, Process targets, the Manager's server
# process) and the forkserver's children, and the call at import covers
# spawn children and the forkserver itself, which import this module. The
# chain cell runner -> interpreter -> its children then dies as one.

PR_SET_PDEATHSIG = 1


def _load_prctl():
    # Loaded once, before any fork: a child must not dlopen.
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


_prctl = _load_prctl()


def die_with_parent(parent=None):
    """Have the kernel SIGKILL this process when its parent exits. When the
    parent (its PID) is known and has already gone, die now: no signal
    would come."""
    if _prctl is None or _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)


_fork_parent = [0]
os.register_at_fork(before=lambda: _fork_parent.__setitem__(0, os.getpid()),
                    after_in_child=lambda: die_with_parent(_fork_parent[0]))
die_with_parent()

# ---------------------------------------------------------------- workloads


def cpu_intensive_task(n):
    """The notes' cpu_intensive_task, wrapped to 64 bits like Go's uint64."""
    return sum(i * i for i in range(n)) & MASK


def square(x):
    # x < 50,000,000, so x*x < 2**64: no mask needed.
    return x * x


def power(a, b):
    # a <= 9 and b <= 19, so a**b < 2**64.
    return a ** b


def cpu_offset(n, i):
    """Steps task i runs beyond n: +d for even i, -d for the odd i after it,
    d = (i // 2 * 7919) % (n // 1000 + 1); workloads.CPUOffset in Go."""
    d = (i // 2 * 7919) % (n // 1000 + 1)
    return -d if i % 2 else d


class Workload:
    """A workload: its task function, whether tasks are argument tuples
    (starmap), default parameters and task list."""

    def __init__(self, name, func, star, defaults, gen):
        self.name, self.func, self.star = name, func, star
        self.defaults, self.gen = defaults, gen


WORKLOADS = {
    "cpu": Workload("cpu", cpu_intensive_task, False, {"tasks": 48, "n": 1_000_000},
                    lambda p: [p["n"] + cpu_offset(p["n"], i) for i in range(p["tasks"])]),
    "square": Workload("square", square, False, {"tasks": 100_000},
                       lambda p: list(range(p["tasks"]))),
    "pow": Workload("pow", power, True, {"tasks": 100_000},
                    lambda p: [(2 + i % 8, i % 20) for i in range(p["tasks"])]),
}


def apply_chunk(wl, chunk):
    """Results of one chunk of tasks, in order."""
    f = wl.func
    if wl.star:
        return [f(a, b) for a, b in chunk]
    return [f(x) for x in chunk]


def checksum(results):
    """sum((i + 1) * r_i) mod 2**64: workloads.Checksum in Go."""
    return sum(i * r for i, r in enumerate(results, 1)) & MASK


def auto_chunk(n, workers):
    """Pool.map's own choice: ceil(n / (4 * workers)), at least 1."""
    chunk, extra = divmod(n, 4 * max(workers, 1))
    return max(chunk + (1 if extra else 0), 1)


def split(n, parts):
    """Static split of range(n) into parts contiguous (lo, hi) ranges."""
    return [(w * n // parts, (w + 1) * n // parts) for w in range(parts)]


# ------------------------------------------------------------------ warm-up

DEFAULT_WARMUP = 0.010  # seconds, as worker.DefaultWarmup in Go
_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TERM = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def parse_go_duration(v):
    """Seconds in a Go duration such as "10ms" or "1.5s"; None if v is not one."""
    if v == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(v):
        m = _TERM.match(v, pos)
        if not m:
            return None
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return total if v else None


def warm_up():
    """Burn CPU until this process has used MPBENCH_WORKER_WARMUP of CPU time
    (a Go duration, default 10ms), counting its start, and return the
    seconds it burned: worker.Warmup of the Go workers. Every worker calls it
    before it says it is ready, so that a fresh process's slow start lands
    in setup, as it does for the Go models, not in the first tasks."""
    want = DEFAULT_WARMUP
    v = os.environ.get("MPBENCH_WORKER_WARMUP")
    if v is not None:
        d = parse_go_duration(v)
        if d is not None:
            want = d
    start = now()
    x = 0
    while time.process_time() < want:
        for i in range(20_000):
            x ^= i * 0x9E3779B97F4A7C15
    return (now() - start) / 1e9


class Pass:
    """What one pass produced: its results (read after the clock stopped),
    its compute time, and figures of its own."""

    def __init__(self, results, compute_ns, extra=None):
        self.results = results
        self.compute_ns = compute_ns
        self.extra = extra or {}


# ----------------------------------------------------------------- patterns
#
# Each pattern is a generator taking (ctx, wl, tasks, cores, chunk):
#
#   next(gen)          setup: start the pool / processes / manager; yields
#                      the worker PIDs (empty for the in-process loop)
#   gen.send(True)     one pass over every task with the same workers;
#                      yields a Pass, timed by the pattern itself from the
#                      first task handed out to the last result back
#   gen.send(False)    teardown: close / join / shutdown; StopIteration
#
# A later pass must not find the previous pass's results: each pass builds
# a fresh result list, or resets the shared state it reuses first (outside
# its clock).


def pattern_sequential(ctx, wl, tasks, cores, chunk):
    """The notes' plain loop: for x in data: f(x)."""
    more = yield []
    while more:
        t0 = now()
        if wl.star:
            results = [wl.func(a, b) for a, b in tasks]
        else:
            results = [wl.func(x) for x in tasks]
        t1 = now()
        more = yield Pass(results, t1 - t0)


def pool_worker_ready(sem):
    warm_up()
    sem.release()


def start_pool(ctx, cores):
    """Pool(cores), returned once every worker has started.

    Note: Pool() returns before its workers run; under spawn or forkserver
    (the default from Python 3.14) their start-up would otherwise land in
    the compute phase, where the Go models and the other patterns have none.
    """
    sem = ctx.Semaphore(0)
    pool = ctx.Pool(cores, initializer=pool_worker_ready, initargs=(sem,))
    for _ in range(cores):
        sem.acquire()
    return pool


def pattern_pool(ctx, wl, tasks, cores, chunk):
    """Pool.map (Pool.starmap for argument pairs)."""
    pool = start_pool(ctx, cores)
    more = yield [p.pid for p in pool._pool]
    while more:
        t0 = now()
        if wl.star:
            results = pool.starmap(wl.func, tasks, chunk)
        else:
            results = pool.map(wl.func, tasks, chunk)
        t1 = now()
        more = yield Pass(results, t1 - t0)
    pool.close()
    pool.join()


def pattern_pool_async(ctx, wl, tasks, cores, chunk):
    """apply_async once per task, then get() on every AsyncResult."""
    pool = start_pool(ctx, cores)
    more = yield [p.pid for p in pool._pool]
    while more:
        t0 = now()
        if wl.star:
            pending = [pool.apply_async(wl.func, t) for t in tasks]
        else:
            pending = [pool.apply_async(wl.func, (x,)) for x in tasks]
        results = [r.get() for r in pending]
        t1 = now()
        more = yield Pass(results, t1 - t0)
    pool.close()
    pool.join()


def pipe_worker(conn, name):
    """Per pass: receive chunks until None, then send the results back chunk
    by chunk and None ("done"). "stop" ends the worker (not the pipe's end:
    under fork, a later worker holds a copy of this one's parent end)."""
    wl = WORKLOADS[name]
    warm_up()
    conn.send("ready")
    while True:
        out = []
        while True:
            chunk = conn.recv()
            if chunk == "stop":
                conn.close()
                return
            if chunk is None:
                break
            out.append(apply_chunk(wl, chunk))
        # Note: results go back only after the last chunk came in, so that
        # the parent, which sends every worker its share before it reads,
        # never blocks on a full pipe while this worker blocks on the other
        # one.
        for r in out:
            conn.send(r)
        conn.send(None)


def pattern_pipe(ctx, wl, tasks, cores, chunk):
    """One Pipe per worker; a static split streamed in chunks; done messages."""
    conns, procs = [], []
    for _ in range(cores):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=pipe_worker, args=(child, wl.name), daemon=True)
        p.start()
        child.close()
        conns.append(parent)
        procs.append(p)
    for c in conns:
        if c.recv() != "ready":
            raise RuntimeError("pipe worker did not say ready")
    more = yield [p.pid for p in procs]
    while more:
        t0 = now()
        for (lo, hi), c in zip(split(len(tasks), cores), conns):
            for i in range(lo, hi, chunk):
                c.send(tasks[i:min(i + chunk, hi)])
            c.send(None)
        results = []
        for c in conns:
            while True:
                r = c.recv()
                if r is None:
                    break
                results.extend(r)
        t1 = now()
        more = yield Pass(results, t1 - t0)
    for c in conns:
        c.send("stop")
    for p in procs:
        p.join()
    for c in conns:
        c.close()


def queue_consumer(task_q, result_q, name):
    """Consume (index, task) items, putting one (index, result) item per
    task; a None sentinel ends a pass (answered with "done"), a "stop" item
    ends the consumer."""
    wl = WORKLOADS[name]
    f = wl.func
    warm_up()
    result_q.put("ready")
    while True:
        item = task_q.get()
        if item is None:
            result_q.put("done")
            continue
        if item == "stop":
            break
        i, t = item
        result_q.put((i, f(*t) if wl.star else f(t)))


def pattern_queue(ctx, wl, tasks, cores, chunk):
    """Producer-consumer: this process puts one item per task and one None
    per consumer on a Queue; consumers put one result per task on a result
    Queue. Like Go's queue model, it does not use chunk: every put and get
    is one task or one result."""
    task_q, result_q = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=queue_consumer, args=(task_q, result_q, wl.name), daemon=True)
             for _ in range(cores)]
    for p in procs:
        p.start()
    for _ in procs:
        if result_q.get() != "ready":
            raise RuntimeError("queue consumer did not say ready")
    n = len(tasks)
    more = yield [p.pid for p in procs]
    while more:
        t0 = now()
        for i, t in enumerate(tasks):
            task_q.put((i, t))
        for _ in procs:
            task_q.put(None)
        results = [None] * n
        done = 0
        # Every result and every consumer's "done": the rings are empty
        # before the next pass.
        for _ in range(n + len(procs)):
            item = result_q.get()
            if item == "done":
                done += 1
                continue
            i, r = item
            results[i] = r
        t1 = now()
        if done != len(procs):
            raise RuntimeError("queue: %d consumers done, want %d" % (done, len(procs)))
        more = yield Pass(results, t1 - t0, {"queue_items": n})
    for _ in procs:
        task_q.put("stop")
    for p in procs:
        p.join()
    for q in (task_q, result_q):
        q.close()
        q.join_thread()


def shm_worker(w, name, task_a, task_b, results, next_lo, chunk, value, array, lock, ready, go, done, stop):
    """Per pass (a release of its own go semaphore): claim chunks through a
    shared index; per task, write the result to shared memory and update the
    lock-guarded Value and Array. stop set ends it."""
    wl = WORKLOADS[name]
    f = wl.func
    n = len(results)
    warm_up()
    ready.release()
    while True:
        go.acquire()
        if stop.value:
            return
        while True:
            with next_lo.get_lock():
                lo = next_lo.value
                next_lo.value = lo + chunk
            if lo >= n:
                break
            for i in range(lo, min(lo + chunk, n)):
                results[i] = f(task_a[i], task_b[i]) if wl.star else f(task_a[i])
                with lock:
                    value.value += 1
                    array[w] = value.value
        done.release()


def pattern_shm_lock(ctx, wl, tasks, cores, chunk):
    """Value + Array guarded by a Lock: every task does
    `with lock: value.value += 1; array[w] = value.value`; tasks and results
    live in shared arrays."""
    n = len(tasks)
    if wl.star:
        task_a = ctx.RawArray("Q", [a for a, _ in tasks])
        task_b = ctx.RawArray("Q", [b for _, b in tasks])
    else:
        task_a = ctx.RawArray("Q", tasks)
        task_b = ctx.RawArray("Q", 1)
    results = ctx.RawArray("Q", n)
    next_lo = ctx.Value("q", 0)
    # The Lock guards value and array; they need no lock of their own.
    value = ctx.Value("Q", 0, lock=False)
    array = ctx.Array("Q", cores, lock=False)
    lock = ctx.Lock()
    stop = ctx.Value("b", 0, lock=False)
    # One go semaphore per worker, so that no worker starts a pass twice.
    ready, done = ctx.Semaphore(0), ctx.Semaphore(0)
    gos = [ctx.Semaphore(0) for _ in range(cores)]
    procs = [ctx.Process(target=shm_worker, daemon=True,
                         args=(w, wl.name, task_a, task_b, results, next_lo, chunk,
                               value, array, lock, ready, gos[w], done, stop))
             for w in range(cores)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    more = yield [p.pid for p in procs]
    while more:
        t0 = now()
        for go in gos:
            go.release()
        for _ in procs:
            done.acquire()
        t1 = now()
        if value.value != n or max(array) != n:
            raise RuntimeError("shm-lock: the locked counter reached %d (slots %s), want %d"
                               % (value.value, list(array), n))
        # Read after the clock stopped: it is shared memory.
        more = yield Pass(list(results), t1 - t0, {"lock_updates": value.value})
        # The next pass claims, counts and writes every slot afresh.
        next_lo.value = 0
        value.value = 0
        for w in range(cores):
            array[w] = 0
        ctypes.memset(results, 0, ctypes.sizeof(results))
    stop.value = 1
    for go in gos:
        go.release()
    for p in procs:
        p.join()


def manager_worker(w, name, lo, part, d, lst, ready, go, done, stop):
    """Per pass (a release of its own go semaphore): one d[i] = result call
    per task of a static share; then one append. stop set ends it."""
    wl = WORKLOADS[name]
    f = wl.func
    warm_up()
    ready.release()
    while True:
        go.acquire()
        if stop.value:
            return
        for i, t in enumerate(part, lo):
            d[i] = f(*t) if wl.star else f(t)
        lst.append(len(part))
        done.release()


def pattern_manager(ctx, wl, tasks, cores, chunk):
    """Manager().dict() and .list(): one proxy call per result."""
    mgr = ctx.Manager()
    d, lst = mgr.dict(), mgr.list()
    ready, done = ctx.Semaphore(0), ctx.Semaphore(0)
    gos = [ctx.Semaphore(0) for _ in range(cores)]
    stop = ctx.Value("b", 0, lock=False)
    procs = [ctx.Process(target=manager_worker, daemon=True,
                         args=(w, wl.name, lo, tasks[lo:hi], d, lst, ready, gos[w], done, stop))
             for w, (lo, hi) in enumerate(split(len(tasks), cores))]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    n = len(tasks)
    more = yield [p.pid for p in procs]
    while more:
        t0 = now()
        for go in gos:
            go.release()
        for _ in procs:
            done.acquire()
        got = d.copy()  # the results back in this process: one call
        t1 = now()
        counts = list(lst)
        if len(got) != n or sum(counts) != n:
            raise RuntimeError("manager: %d results in the dict, list says %d, want %d" % (len(got), sum(counts), n))
        more = yield Pass([got[i] for i in range(n)], t1 - t0)
        # The next pass starts from an empty dict and list.
        d.clear()
        del lst[:]
    stop.value = 1
    for go in gos:
        go.release()
    for p in procs:
        p.join()
    mgr.shutdown()


PATTERNS = {
    "sequential": pattern_sequential,
    "pool": pattern_pool,
    "pool-async": pattern_pool_async,
    "pipe": pattern_pipe,
    "queue": pattern_queue,
    "shm-lock": pattern_shm_lock,
    "manager": pattern_manager,
}

# --------------------------------------------------------------------- main


def parse_params(wl, spec):
    p = dict(wl.defaults)
    for kv in filter(None, (s.strip() for s in spec.split(","))):
        k, sep, v = kv.partition("=")
        if not sep or k not in wl.defaults:
            raise SystemExit("pyref: --params %r: want k=v with k in %s" % (kv, ", ".join(sorted(wl.defaults))))
        try:
            p[k] = int(v)
        except ValueError:
            raise SystemExit("pyref: --params %r: %r is not an integer" % (kv, v))
        if p[k] < 1:
            raise SystemExit("pyref: --params %r: must be at least 1" % kv)
    return p


def cpu_ns():
    """CPU time of this process and every child it has reaped."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime) * 1e9)


def main(argv=None):
    ap = argparse.ArgumentParser(description="mpbench workloads under Python multiprocessing patterns")
    ap.add_argument("--pattern", required=True, choices=sorted(PATTERNS))
    ap.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    ap.add_argument("--params", default="", help="k=v,... (cpu: tasks, n; square, pow: tasks)")
    ap.add_argument("--cores", type=int, default=1, help="worker processes")
    ap.add_argument("--chunk", type=int, default=0, help="tasks handed out at once; 0 = Pool.map's ceil(n/4c)")
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--passes", type=int, default=1, help="passes over the tasks per trial, with the same workers")
    ap.add_argument("--start-method", default=None, help="fork, spawn or forkserver (default: the platform's)")
    ap.add_argument("--out-fd", type=int, default=1, help="file descriptor for the JSON lines (default stdout)")
    ap.add_argument("--wait", action="store_true",
                    help='write {"ready": true} before each trial; then one line per pass: "go" runs a pass, end of input ends the trial')
    args = ap.parse_args(argv)
    if args.cores < 1 or args.trials < 1 or args.passes < 1 or args.chunk < 0:
        raise SystemExit("pyref: --cores, --trials and --passes must be at least 1, --chunk at least 0")

    wl = WORKLOADS[args.workload]
    params = parse_params(wl, args.params)
    tasks = wl.gen(params)
    chunk = args.chunk or auto_chunk(len(tasks), args.cores)
    ctx = mp.get_context(args.start_method)
    out = sys.stdout if args.out_fd == 1 else os.fdopen(args.out_fd, "w")
    info = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "start_method": ctx.get_start_method(),
    }
    run = PATTERNS[args.pattern]

    def say(line):
        out.write(json.dumps(line) + "\n")
        out.flush()

    def one_pass(gen, k):
        c0 = cpu_ns()
        p = gen.send(True)
        c1 = cpu_ns()
        if len(p.results) != len(tasks):
            raise RuntimeError("%s: %d results for %d tasks" % (args.pattern, len(p.results), len(tasks)))
        return dict(info, compute_ns=p.compute_ns, checksum=checksum(p.results), pattern=args.pattern,
                    workload=wl.name, params=params, cores=args.cores, chunk=chunk, tasks=len(tasks),
                    cpu_ns=c1 - c0, passes=k, **p.extra)

    def teardown(gen):
        t0 = now()
        try:
            gen.send(False)
        except StopIteration:
            return now() - t0
        raise RuntimeError("%s: the pattern did not end on teardown" % args.pattern)

    for _ in range(args.trials):
        if args.wait:
            say(dict(info, ready=True))
            if not sys.stdin.readline():
                return 0
        t0 = now()
        gen = run(ctx, wl, tasks, args.cores, chunk)
        workers = next(gen)
        setup_ns = now() - t0
        if args.wait:
            # Protocol: the go just read runs the first pass; its line
            # carries the setup time. Each further "go" line runs one more
            # pass with the same workers; end of input (or "end") tears
            # down and sends {"teardown_ns": ...}.
            k = 1
            say(dict(one_pass(gen, k), setup_ns=setup_ns, workers=workers))
            while sys.stdin.readline().strip() == "go":
                k += 1
                say(one_pass(gen, k))
            say(dict(teardown_ns=teardown(gen), passes=k))
            continue
        # On its own: one line per trial, every pass's compute time and
        # checksum in it; compute_ns and checksum are the first (cold)
        # pass's.
        lines = [one_pass(gen, k + 1) for k in range(args.passes)]
        line = dict(lines[0], setup_ns=setup_ns, teardown_ns=teardown(gen), workers=workers, passes=args.passes,
                    pass_compute_ns=[x["compute_ns"] for x in lines], pass_checksums=[x["checksum"] for x in lines],
                    cpu_ns=sum(x["cpu_ns"] for x in lines))
        say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
