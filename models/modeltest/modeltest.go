// Package modeltest is what the model packages share in their tests: the
// conformance suite every process model passes, and the one compute
// benchmark of every model.
//
// # The suite
//
// Results against the workload's reference, in task order, from distinct
// child processes; work confined to the cell's CPUs (Confined); a worker
// killed mid-compute (WorkerKilled, ProcessKilled); a worker that fails in
// setup (SetupFails); a context that ends compute or setup (Cancelled,
// SetupCancelled); setup and teardown without compute (SetupTeardown); a
// cell runner interrupted or killed mid-compute (CellInterrupted). After
// each, every child is reaped and nothing is left in /dev/shm or in the
// temporary folder (the suite points TMPDIR at a fresh folder per test).
//
// A process model's test binary plays its workers (and a confined cell
// runner): its TestMain calls Main, which serves the models' child roles,
// registers the cell role, and runs the tests under goleak. Conformance
// runs the whole suite:
//
//	func TestMain(m *testing.M) { modeltest.Main(m, shm.New(), shm.NewLock()) }
//
//	func TestConformance(t *testing.T) {
//		modeltest.Conformance(t, func(pids []int) int { return pids[1] }, shm.New(), shm.NewLock())
//	}
//
// # The benchmark
//
// Compute times the compute phase of models on workloads at core counts,
// as sub-benchmarks <model>/<workload>/c=N, so that `go test -bench=.
// ./models/...` and benchstat work on the models directly, without the
// harness:
//
//	func BenchmarkCompute(b *testing.B) {
//		modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, pipe.New())
//	}
//
// Unlike an mpbench cell, a benchmark runs in the test process, not in a
// fresh process confined to c CPUs: it is for quick comparisons of one
// model's versions with benchstat, not for the sweep's figures.
//
// # A slower model
//
// Slow wraps a model into a slower one, for tests that must see a model
// regress (the regression gates' own tests).
package modeltest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/leaks"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// PidSession is implemented by process-model sessions: Pids returns every
// process the session started.
type PidSession interface {
	models.Session
	Pids() []int
}

// cellRole runs one trial of a model in a child, so that the test can
// start it confined to a CPU set.
const cellRole = "modeltest-cell"

var registry models.Registry

// Main is a model package's TestMain: it registers the role that runs ms
// in a confined child, serves child roles, and otherwise runs the tests
// and fails them if goroutines leak. A package registers roles of its own
// tests before it calls Main.
func Main(m *testing.M, ms ...models.Model) {
	registry = ms
	worker.Register(cellRole, runCell)
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	// A race-enabled child sleeps a second at exit unless told not to.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	goleak.VerifyTestMain(m)
}

// Conformance runs the suite on each model, as subtests <model>/<test>:
// Results, Passes, Confined, WorkerKilled (of the process victim picks from a
// session's PIDs), Cancelled, SetupCancelled, SetupFails, SetupTeardown
// and CellInterrupted.
func Conformance(t *testing.T, victim func(pids []int) int, ms ...models.Model) {
	for _, m := range ms {
		t.Run(m.Name(), func(t *testing.T) {
			t.Run("Results", func(t *testing.T) { Results(t, m) })
			t.Run("Passes", func(t *testing.T) { Passes(t, m) })
			t.Run("Confined", func(t *testing.T) { Confined(t, m) })
			t.Run("WorkerKilled", func(t *testing.T) { WorkerKilled(t, m, victim) })
			t.Run("Cancelled", func(t *testing.T) { Cancelled(t, m) })
			t.Run("SetupCancelled", func(t *testing.T) { SetupCancelled(t, m) })
			t.Run("SetupFails", func(t *testing.T) { SetupFails(t, m) })
			t.Run("SetupTeardown", func(t *testing.T) { SetupTeardown(t, m) })
			t.Run("CellInterrupted", func(t *testing.T) { CellInterrupted(t, m) })
		})
	}
}

// Case is one workload instance of the results test.
type Case struct {
	Workload *workloads.Workload
	Params   map[string]int64
	Chunk    int
}

// SmallCases are cpu, square and pow with small parameters, some with
// chunk sizes that do not divide the task count.
var SmallCases = []Case{
	{workloads.CPU, map[string]int64{"tasks": 7, "n": 12345}, 0},
	{workloads.Square, map[string]int64{"tasks": 10007}, 0},
	{workloads.Square, map[string]int64{"tasks": 1001}, 333},
	{workloads.Pow, map[string]int64{"tasks": 10007}, 0},
	{workloads.Pow, map[string]int64{"tasks": 3}, 0},
}

func instance(t testing.TB, w *workloads.Workload, params map[string]int64) *workloads.Instance {
	t.Helper()
	in, err := w.New(params, 1)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// Isolate points TMPDIR at a fresh, short-named folder for the rest of t
// and returns a check to call at t's end: it fails t if a child of this
// process is left (running or zombie) after 2 s, if a file appeared in
// /dev/shm, or if the folder is not empty. Every test of the suite calls
// it.
func Isolate(t *testing.T) (check func()) {
	t.Helper()
	// Not t.TempDir: its name, the test's, can make a unix socket's path
	// in it longer than the kernel allows.
	tmp, err := os.MkdirTemp("", "modeltest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	shmBefore, err := leaks.Files("/dev/shm")
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := leaks.NoChildren(2 * time.Second); err != nil {
			t.Error(err)
		}
		shmAfter, err := leaks.Files("/dev/shm")
		if err != nil {
			t.Fatal(err)
		}
		if added := leaks.NewFiles(shmBefore, shmAfter); len(added) > 0 {
			t.Errorf("files left in /dev/shm: %v", added)
		}
		if names, err := leaks.Files(tmp); err != nil || len(names) > 0 {
			t.Errorf("left in the temporary folder: %v %v", names, err)
		}
	}
}

// Run runs one trial of m with cfg and checks it: Setup, Compute and
// Teardown succeed, and the results are one per task, in task order, equal
// to the sequential results, with the checksum of the workload's
// reference. It returns Compute's output, its results copied before
// Teardown, and the session's PIDs.
func Run(t testing.TB, m models.Model, cfg models.Config) (models.Output, []int) {
	t.Helper()
	sess, err := m.Setup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Compute(context.Background())
	pids := sess.(PidSession).Pids()
	if err == nil {
		// Results may point into memory that Teardown releases.
		out.Results = slices.Clone(out.Results)
		err = checkResults(out.Results, cfg.Workload)
	}
	if terr := sess.Teardown(); terr != nil && err == nil {
		err = fmt.Errorf("teardown: %w", terr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out, pids
}

func checkResults(results []uint64, in *workloads.Instance) error {
	want := in.Run()
	if len(results) != len(want) {
		return fmt.Errorf("%d results for %d tasks", len(results), len(want))
	}
	if got := workloads.Checksum(results); got != in.Reference {
		return fmt.Errorf("checksum %d, reference %d", got, in.Reference)
	}
	for i := range results {
		if results[i] != want[i] {
			return fmt.Errorf("result %d = %d, want %d (out of order?)", i, results[i], want[i])
		}
	}
	return nil
}

// CheckAccounts checks the worker accounts of a trial that keeps them: one
// per worker (cfg.Cores, or 1 for a single-core model's c = 1), tasks that
// sum to every task, busy time for every worker that ran tasks and none
// for one that did not, and a CPU that is a CPU or -1.
func CheckAccounts(out models.Output, cfg models.Config) error {
	if out.Accounts == nil {
		return errors.New("no worker accounts")
	}
	if len(out.Accounts) != cfg.Cores {
		return fmt.Errorf("%d accounts for %d workers", len(out.Accounts), cfg.Cores)
	}
	if n := models.AccountedTasks(out.Accounts); n != len(cfg.Workload.Tasks) {
		return fmt.Errorf("accounts sum to %d tasks, want %d: %+v", n, len(cfg.Workload.Tasks), out.Accounts)
	}
	for w, a := range out.Accounts {
		if a.Tasks < 0 || (a.Tasks > 0) != (a.Busy > 0) || (a.Tasks > 0) != (a.Chunks > 0) || a.Chunks > a.Tasks || a.CPU < -1 {
			return fmt.Errorf("worker %d: account %+v", w, a)
		}
	}
	return nil
}

// Accounted runs a square and a cpu case at c = 1 and 2 and wants worker
// accounts from each trial (CheckAccounts): for the models that keep them.
func Accounted(t *testing.T, m models.Model) {
	defer Isolate(t)()
	for _, c := range SmallCases[:min(2, len(SmallCases))] {
		in := instance(t, c.Workload, c.Params)
		for _, cores := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/c=%d", c.Workload.Name, cores), func(t *testing.T) {
				cfg := models.Config{Workload: in, Cores: cores, Chunk: c.Chunk}
				out, _ := Run(t, m, cfg)
				if err := CheckAccounts(out, cfg); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// PassCount is how many passes Passes runs on one session.
const PassCount = 3

// Passes runs PassCount passes on one session of m, at c = 1 and 2, and
// checks each on its own (CheckPasses): the contract of
// models.Session.Compute.
func Passes(t *testing.T, m models.Model) {
	defer Isolate(t)()
	c := SmallCases[2] // square, 1001 tasks in chunks of 333
	in := instance(t, c.Workload, c.Params)
	for _, cores := range []int{1, 2} {
		if cores > 1 && models.IsSingleCore(m) {
			continue
		}
		t.Run(fmt.Sprintf("c=%d", cores), func(t *testing.T) {
			if err := CheckPasses(m, models.Config{Workload: in, Cores: cores, Chunk: c.Chunk}, PassCount); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// CheckPasses sets m up once and runs n passes (Compute calls) on the
// session. Each pass must validate on its own as the cell runner validates
// it (models.Validate: the checksum, and accounts for every task of that
// pass), its results must be the tasks' in order, its accounts pass
// CheckAccounts, and its workers be the session's. After each pass its
// results are poisoned, as the cell runner does: a pass that hands back
// the previous pass's results, or leaves them as they were, fails.
func CheckPasses(m models.Model, cfg models.Config, n int) (err error) {
	sess, err := m.Setup(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer func() {
		if terr := sess.Teardown(); terr != nil && err == nil {
			err = fmt.Errorf("teardown: %w", terr)
		}
	}()
	var workers []int
	for k := 1; k <= n; k++ {
		out, err := sess.Compute(context.Background())
		if err != nil {
			return fmt.Errorf("pass %d: %w", k, err)
		}
		if err := models.Validate(out, cfg.Workload, m.Name()); err != nil {
			return fmt.Errorf("pass %d: %w", k, err)
		}
		if out.Results != nil {
			if err := checkResults(out.Results, cfg.Workload); err != nil {
				return fmt.Errorf("pass %d: %w", k, err)
			}
		}
		if out.Accounts != nil {
			if err := CheckAccounts(out, cfg); err != nil {
				return fmt.Errorf("pass %d: %w", k, err)
			}
		}
		// Every pass runs on the session's processes: those it started
		// (PidSession), or, for a model that does not list them, the
		// first pass's. A pass may leave one idle (Workers lists those
		// that ran tasks), but never start another.
		if k == 1 {
			workers = slices.Clone(out.Workers)
			if ps, ok := sess.(PidSession); ok {
				workers = slices.Clone(ps.Pids())
			}
		}
		for _, w := range out.Workers {
			if !slices.Contains(workers, w) {
				return fmt.Errorf("pass %d: worker %d is not one of the session's %v: one session keeps its workers", k, w, workers)
			}
		}
		for i := range out.Results {
			out.Results[i] = 0x5eed5eed5eed5eed
		}
	}
	return nil
}

// StartMetrics are the figures every process model reports about starting
// its processes (worker.Group.StartMetrics).
var StartMetrics = []string{"worker_start_ms", "worker_exec_ms", "worker_handshake_ms", "worker_warmup_ms"}

// Results runs every case at c = 1 and 2 (Run) and checks the reported
// workers too: distinct children of this process, started by the session,
// and reaped after Teardown; and that the output carries StartMetrics.
func Results(t *testing.T, m models.Model) {
	defer Isolate(t)()
	for _, c := range SmallCases {
		in := instance(t, c.Workload, c.Params)
		for _, cores := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%v/chunk=%d/c=%d", c.Workload.Name, c.Params["tasks"], c.Chunk, cores), func(t *testing.T) {
				out, pids := Run(t, m, models.Config{Workload: in, Cores: cores, Chunk: c.Chunk})
				if len(out.Workers) == 0 || len(out.Workers) > len(pids) {
					t.Fatalf("workers %v, started %v", out.Workers, pids)
				}
				for _, w := range out.Workers {
					if !slices.Contains(pids, w) || w == os.Getpid() {
						t.Fatalf("worker %d is not one of the started children %v", w, pids)
					}
				}
				if s := slices.Compact(slices.Sorted(slices.Values(out.Workers))); len(s) != len(out.Workers) {
					t.Fatalf("workers %v are not distinct", out.Workers)
				}
				for _, k := range StartMetrics {
					if _, ok := out.Metrics[k]; !ok {
						t.Errorf("no %s in the metrics %v", k, out.Metrics)
					}
				}
				if out.Metrics["worker_start_ms"] <= 0 || out.Metrics["worker_exec_ms"] <= 0 {
					t.Errorf("start metrics %v: want a start and an exec time", out.Metrics)
				}
				if out.Accounts != nil {
					if err := CheckAccounts(out, models.Config{Workload: in, Cores: cores, Chunk: c.Chunk}); err != nil {
						t.Error(err)
					}
				}
				AssertReaped(t, pids)
			})
		}
	}
}

// cellSpec and cellReport are the confined child's input and output.
type cellSpec struct {
	Model    string
	Workload string
	Params   map[string]int64
	Cores    int
}

type workerInfo struct {
	Pid  int
	PPid int
	CPUs string
}

type cellReport struct {
	// Announce is set on the line written after Setup, before Compute.
	Announce bool
	Pid      int
	CPUs     string
	Workers  []workerInfo
	Started  []int
	Err      string
}

func runCell(ctx context.Context, c *worker.Child) error {
	var spec cellSpec
	if err := json.NewDecoder(c.Data).Decode(&spec); err != nil {
		return err
	}
	rep := cellReport{Pid: os.Getpid()}
	rep.CPUs, _ = worker.StatusField(os.Getpid(), "Cpus_allowed_list")
	enc := json.NewEncoder(c.Data)
	err := func() error {
		m, err := registry.Lookup(spec.Model)
		if err != nil {
			return err
		}
		in, err := workloads.NewInstance(spec.Workload, spec.Params, 1)
		if err != nil {
			return err
		}
		sess, err := m.Setup(ctx, models.Config{Workload: in, Cores: spec.Cores})
		if err != nil {
			return err
		}
		if err := enc.Encode(cellReport{Announce: true, Pid: rep.Pid, Started: sess.(PidSession).Pids()}); err != nil {
			sess.Teardown()
			return err
		}
		out, err := sess.Compute(ctx)
		rep.Started = sess.(PidSession).Pids()
		if err == nil && workloads.Checksum(out.Results) != in.Reference {
			err = fmt.Errorf("checksum %d, reference %d", workloads.Checksum(out.Results), in.Reference)
		}
		// Read the workers' /proc entries while they are alive.
		for _, pid := range out.Workers {
			wi := workerInfo{Pid: pid}
			wi.CPUs, _ = worker.StatusField(pid, "Cpus_allowed_list")
			ppid, _ := worker.StatusField(pid, "PPid")
			wi.PPid, _ = strconv.Atoi(ppid)
			rep.Workers = append(rep.Workers, wi)
		}
		if terr := sess.Teardown(); err == nil {
			err = terr
		}
		return err
	}()
	if err != nil {
		rep.Err = err.Error()
	}
	return enc.Encode(rep)
}

// Confined runs a cpu trial at c = 2 in a child started on a strict subset
// of this process's CPUs, the way the cell runner is, and checks that the
// work ran in 2 distinct processes, children of that cell, each confined to
// exactly the cell's CPUs (read from /proc/<pid>/status while they ran).
// Because the subset differs from the test's own set, inheriting the test's
// set would fail the check.
func Confined(t *testing.T, m models.Model) {
	defer Isolate(t)()
	all, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2 {
		t.Skip("needs 2 CPUs to tell the cell's set from the test's")
	}
	cell := all[len(all)-min(2, len(all)-1):]
	const cores = 2
	p, err := worker.Start(context.Background(), worker.Spec{
		Role: cellRole, CPUs: cell, Env: []string{"GOMAXPROCS=" + strconv.Itoa(len(cell))},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 16 tasks of a few milliseconds each: every worker gets some.
	spec := cellSpec{Model: m.Name(), Workload: "cpu", Params: map[string]int64{"tasks": 16, "n": 3_000_000}, Cores: cores}
	if err := json.NewEncoder(p.Data).Encode(spec); err != nil {
		t.Fatal(err)
	}
	var rep, announce cellReport
	dec := json.NewDecoder(p.Data)
	derr := dec.Decode(&announce)
	if derr == nil {
		derr = dec.Decode(&rep)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("cell child: %v", err)
	}
	if derr != nil {
		t.Fatalf("cell report: %v", derr)
	}
	if rep.Err != "" {
		t.Fatalf("trial in the cell failed: %s", rep.Err)
	}
	want := worker.FormatCPUList(cell)
	if rep.CPUs != want {
		t.Fatalf("cell runs on %q, want %q", rep.CPUs, want)
	}
	if len(rep.Workers) != cores {
		t.Fatalf("work ran in %d processes %+v, want %d", len(rep.Workers), rep.Workers, cores)
	}
	seen := map[int]bool{}
	for _, w := range rep.Workers {
		if seen[w.Pid] || w.Pid == rep.Pid || w.Pid == os.Getpid() {
			t.Fatalf("worker %d repeats or is not a child process (cell %d, test %d)", w.Pid, rep.Pid, os.Getpid())
		}
		seen[w.Pid] = true
		if w.PPid != rep.Pid {
			t.Errorf("worker %d has parent %d, want the cell %d", w.Pid, w.PPid, rep.Pid)
		}
		if w.CPUs != want {
			t.Errorf("worker %d Cpus_allowed_list = %q, want the cell's %q (the test's is %q)", w.Pid, w.CPUs, want, worker.FormatCPUList(all))
		}
	}
	AssertReaped(t, rep.Started)
}

// CellInterrupted starts a trial in a child, the way the cell runner runs
// one, and interrupts that child mid-compute: with SIGINT (Ctrl-C; the
// child's context is cancelled, Compute returns, Teardown reaps) every
// process the session started must be gone and reaped within 2 s; with
// SIGKILL (the harness's timeout kills the cell runner) every one must be
// dead within 2 s (Pdeathsig), reaped by whoever inherits it. Either way
// nothing is left in /dev/shm or the temporary folder.
func CellInterrupted(t *testing.T, m models.Model) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			defer Isolate(t)()
			p, err := worker.Start(context.Background(), worker.Spec{Role: cellRole})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Wait()
			defer p.Kill()
			spec := cellSpec{Model: m.Name(), Workload: "cpu", Params: KillCase.Params, Cores: 2}
			if err := json.NewEncoder(p.Data).Encode(spec); err != nil {
				t.Fatal(err)
			}
			var announce cellReport
			if err := json.NewDecoder(p.Data).Decode(&announce); err != nil || !announce.Announce {
				t.Fatalf("announce: %+v, %v (stderr %s)", announce, err, p.Stderr())
			}
			time.Sleep(100 * time.Millisecond)
			syscall.Kill(p.Pid, sig)
			start := time.Now()
			p.Wait()
			deadline := start.Add(2 * time.Second)
			for _, pid := range announce.Started {
				for {
					st, err := worker.StatusField(pid, "State")
					gone := err != nil || (sig == syscall.SIGKILL && strings.HasPrefix(st, "Z"))
					if gone {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("worker %d still %s %v after %v", pid, st, err, time.Since(start))
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			t.Logf("%d processes gone %v after %v", len(announce.Started), time.Since(start), sig)
		})
	}
}

// KillCase is the workload of the tests that interrupt compute: long
// enough that a worker is killed while it computes.
var KillCase = Case{workloads.CPU, map[string]int64{"tasks": 400, "n": 10_000_000}, 0}

// WorkerKilled SIGKILLs one process 200 ms into compute (KillCase at
// c = 2) and checks that Compute fails within 5 s with that process's
// *worker.ExitError (its PID and "signal: killed"), wrapped with the
// model's name, and that Teardown then succeeds and reaps every process.
// victim picks the PID to kill from the session's PIDs.
func WorkerKilled(t *testing.T, m models.Model, victim func(pids []int) int) {
	killed(t, m, KillCase, victim, true)
}

// ProcessKilled is WorkerKilled on the case c, for a process whose death
// makes others of the session fail too (manager's server: workers that
// call it lose their connection and exit): the error may be any of
// theirs, so it must name the model and one of the session's PIDs.
func ProcessKilled(t *testing.T, m models.Model, c Case, victim func(pids []int) int) {
	killed(t, m, c, victim, false)
}

func killed(t *testing.T, m models.Model, c Case, victim func(pids []int) int, strict bool) {
	defer Isolate(t)()
	in := instance(t, c.Workload, c.Params)
	sess, err := m.Setup(context.Background(), models.Config{Workload: in, Cores: 2, Chunk: c.Chunk})
	if err != nil {
		t.Fatal(err)
	}
	pids := sess.(PidSession).Pids()
	pid := victim(pids)
	kill := make(chan time.Time, 1)
	timer := time.AfterFunc(200*time.Millisecond, func() {
		syscall.Kill(pid, syscall.SIGKILL)
		kill <- time.Now()
	})
	_, err = sess.Compute(context.Background())
	end := time.Now()
	timer.Stop()
	terr := sess.Teardown()
	var at time.Time
	select {
	case at = <-kill:
	default:
		t.Fatalf("Compute returned (err %v) before the kill: make the case longer", err)
	}
	if err == nil {
		t.Fatal("Compute succeeded with a killed process")
	}
	t.Logf("error after %v: %v", end.Sub(at), err)
	if d := end.Sub(at); d > 5*time.Second {
		t.Errorf("Compute returned %v after the kill, want ≤ 5 s", d)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, m.Name()+": ") {
		t.Errorf("error %q does not start with the model's name", msg)
	}
	var ee *worker.ExitError
	switch {
	case !errors.As(err, &ee):
		t.Errorf("error %q is no *worker.ExitError", msg)
	case strict && (ee.Pid != pid || ee.Status != "signal: killed"):
		t.Errorf("error %q is not the victim %d's death by SIGKILL", msg, pid)
	case !slices.Contains(pids, ee.Pid):
		t.Errorf("error %q names none of the session's processes %v", msg, pids)
	}
	if terr != nil {
		t.Errorf("Teardown after a reported failure: %v", terr)
	}
	AssertReaped(t, pids)
}

// Cancelled ends the context mid-compute, cancelled (the context Setup
// got, as the cell runner's on Ctrl-C) and by a deadline, and checks that
// Compute returns the context's error within 3 s, that Teardown then
// succeeds within 2 s, and that every process is reaped.
func Cancelled(t *testing.T, m models.Model) {
	in := instance(t, KillCase.Workload, KillCase.Params)
	for _, c := range []struct {
		name string
		want error
	}{{"cancel", context.Canceled}, {"deadline", context.DeadlineExceeded}} {
		t.Run(c.name, func(t *testing.T) {
			defer Isolate(t)()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sess, err := m.Setup(ctx, models.Config{Workload: in, Cores: 2})
			if err != nil {
				t.Fatal(err)
			}
			pids := sess.(PidSession).Pids()
			if c.want == context.Canceled {
				time.AfterFunc(200*time.Millisecond, cancel)
			} else {
				ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
			}
			start := time.Now()
			_, err = sess.Compute(ctx)
			end := time.Now()
			if !errors.Is(err, c.want) {
				t.Errorf("Compute = %v, want %v", err, c.want)
			}
			if d := end.Sub(start); d > 3*time.Second {
				t.Errorf("Compute took %v, its context ended after 200ms", d)
			}
			if err := sess.Teardown(); err != nil {
				t.Errorf("Teardown after the context ended: %v", err)
			}
			if d := time.Since(end); d > 2*time.Second {
				t.Errorf("teardown took %v", d)
			}
			AssertReaped(t, pids)
		})
	}
}

// SetupCancelled checks that Setup honours a context that is already done,
// with the context's error, and leaves nothing behind.
func SetupCancelled(t *testing.T, m models.Model) {
	defer Isolate(t)()
	in := instance(t, workloads.Square, map[string]int64{"tasks": 100})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sess, err := m.Setup(ctx, models.Config{Workload: in, Cores: 2})
	if err == nil {
		sess.Teardown()
		t.Fatal("Setup succeeded with a cancelled context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Setup = %v, want context.Canceled", err)
	}
}

// SetupFails gives the model a workload its workers cannot look up: each
// worker fails in its setup, and Setup's error names the model, a worker's
// PID, its exit status and the message it wrote to stderr. Nothing is
// left behind.
func SetupFails(t *testing.T, m models.Model) {
	defer Isolate(t)()
	in := instance(t, workloads.Square, map[string]int64{"tasks": 10})
	bogus := *in
	bogus.Workload = &workloads.Workload{Name: "bogus", Apply: in.Workload.Apply}
	sess, err := m.Setup(context.Background(), models.Config{Workload: &bogus, Cores: 2})
	if err == nil {
		sess.Teardown()
		t.Fatal("Setup succeeded with workers that cannot start")
	}
	t.Log(err)
	for _, want := range []string{m.Name() + ": ", "pid ", "exit status 1", `unknown workload "bogus"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// SetupTeardown sets a model up and tears it down without computing,
// three times: every process is reaped and Teardown reports no error.
func SetupTeardown(t *testing.T, m models.Model) {
	defer Isolate(t)()
	in := instance(t, workloads.Square, map[string]int64{"tasks": 1000})
	for range 3 {
		sess, err := m.Setup(context.Background(), models.Config{Workload: in, Cores: 2})
		if err != nil {
			t.Fatal(err)
		}
		pids := sess.(PidSession).Pids()
		if err := sess.Teardown(); err != nil {
			t.Fatalf("Teardown without Compute: %v", err)
		}
		AssertReaped(t, pids)
	}
}

// AssertReaped fails t if any pid still has a /proc entry (running or
// zombie).
func AssertReaped(t testing.TB, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if st, err := worker.StatusField(pid, "State"); err == nil {
			t.Errorf("child %d left behind: state %s", pid, st)
		}
	}
}

// BenchCase is a workload of the compute benchmark.
type BenchCase struct {
	Workload *workloads.Workload
	Params   map[string]int64
}

// DefaultBench are the default workloads: cpu, square and pow.
var DefaultBench = []BenchCase{{workloads.CPU, nil}, {workloads.Square, nil}, {workloads.Pow, nil}}

// Compute benchmarks the compute phase of each model on each case at each
// core count, as sub-benchmarks <model>/<workload>/c=N. With no core
// counts it uses GOMAXPROCS, so that `go test -bench . -cpu 1,2,4` sweeps
// it; a single-core model (models.SingleCore) runs at c = 1 only. Setup
// and teardown are outside the timer, and so is the check of the results
// against the workload's reference. It reports ns/task and the overhead
// per task against the sequential loop, (c·T(c) − T_seq) / tasks, with
// T_seq measured in the same run, the speedup T_seq / T(c), and the mean of
// every metric of the model's named *_per_s (lock_ops_per_s becomes the
// unit lock_ops/s).
//
// Note: the test process is not confined to c CPUs here (the cell runner
// is); the parent and workers use GOMAXPROCS = c.
func Compute(b *testing.B, cases []BenchCase, cores []int, ms ...models.Model) {
	for _, m := range ms {
		cs := cores
		switch {
		case models.IsSingleCore(m):
			cs = []int{1}
		case len(cs) == 0:
			cs = []int{runtime.GOMAXPROCS(0)}
		}
		for _, bc := range cases {
			in := instance(b, bc.Workload, bc.Params)
			seq := seqTime(in)
			for _, c := range cs {
				b.Run(fmt.Sprintf("%s/%s/c=%d", m.Name(), bc.Workload.Name, c), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c))
					b.Setenv("GOMAXPROCS", strconv.Itoa(c))
					cfg := models.Config{Workload: in, Cores: c}
					rates := map[string]float64{} // sums of the *_per_s metrics
					b.StopTimer()
					for range b.N {
						runtime.GC()
						sess, err := m.Setup(context.Background(), cfg)
						if err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						out, err := sess.Compute(context.Background())
						b.StopTimer()
						if err == nil && (len(out.Results) != len(in.Tasks) || workloads.Checksum(out.Results) != in.Reference) {
							err = fmt.Errorf("%s %s: checksum %d over %d results, want %d over %d", m.Name(), bc.Workload.Name,
								workloads.Checksum(out.Results), len(out.Results), in.Reference, len(in.Tasks))
						}
						for k, v := range out.Metrics {
							if strings.HasSuffix(k, "_per_s") {
								rates[k] += v
							}
						}
						if terr := sess.Teardown(); err == nil {
							err = terr
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					n := float64(len(in.Tasks))
					t := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					b.ReportMetric(t/n, "ns/task")
					b.ReportMetric((float64(c)*t-float64(seq.Nanoseconds()))/n, "overhead-ns/task")
					b.ReportMetric(float64(seq.Nanoseconds())/t, "speedup")
					// A model's own rates (lock_ops_per_s, results_stored_per_s)
					// as benchmark units: lock_ops/s, results_stored/s.
					for k, sum := range rates {
						b.ReportMetric(sum/float64(b.N), strings.TrimSuffix(k, "_per_s")+"/s")
					}
				})
			}
		}
	}
}

// seqTime is the best of a few sequential runs of in.
func seqTime(in *workloads.Instance) time.Duration {
	out := make([]uint64, len(in.Tasks))
	best := time.Duration(1 << 62)
	for range 5 {
		t0 := time.Now()
		in.Workload.Apply(in.Tasks, out)
		best = min(best, time.Since(t0))
	}
	return best
}
