// Package modeltest holds the tests every process model must pass, shared
// by the model packages' tests: results against the workload reference,
// work done in c distinct child processes confined to the cell's CPUs, a
// worker killed mid-compute, cancellation, no leaked goroutines or
// children, and the compute benchmark.
//
// A model package's TestMain calls Main, so that its test binary serves
// the models' child roles (the test binary plays the worker) and runs its
// tests under goleak.
package modeltest

import (
	"context"
	"encoding/json"
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
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// PidSession is implemented by process-model sessions: Pids returns every
// worker process the session started.
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
// and fails them if goroutines leak.
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

// Results runs every case at c = 1 and 2 and checks the results: one per
// task, in task order, equal to the sequential results, with the checksum
// of the workload's reference; the reported workers are distinct children.
func Results(t *testing.T, m models.Model) {
	for _, c := range SmallCases {
		in := instance(t, c.Workload, c.Params)
		want := in.Run()
		for _, cores := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%v/chunk=%d/c=%d", c.Workload.Name, c.Params["tasks"], c.Chunk, cores), func(t *testing.T) {
				cfg := models.Config{Workload: in, Cores: cores, Chunk: c.Chunk}
				sess, err := m.Setup(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				out, err := sess.Compute(context.Background())
				pids := sess.(PidSession).Pids()
				if terr := sess.Teardown(); terr != nil && err == nil {
					err = fmt.Errorf("teardown: %w", terr)
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Results) != len(want) {
					t.Fatalf("%d results for %d tasks", len(out.Results), len(want))
				}
				if got := workloads.Checksum(out.Results); got != in.Reference {
					t.Fatalf("checksum %d, reference %d", got, in.Reference)
				}
				if i := firstDiff(out.Results, want); i >= 0 {
					t.Fatalf("result %d = %d, want %d (out of order?)", i, out.Results[i], want[i])
				}
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
				AssertReaped(t, pids)
			})
		}
	}
}

func firstDiff(a, b []uint64) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
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
		w, err := workloads.Lookup(spec.Workload)
		if err != nil {
			return err
		}
		in, err := w.New(spec.Params, 1)
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
// worker must be gone and reaped within 2 s; with SIGKILL (the harness's
// timeout kills the cell runner) every worker must be dead within 2 s
// (Pdeathsig), reaped by whoever inherits it.
func CellInterrupted(t *testing.T, m models.Model) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			p, err := worker.Start(context.Background(), worker.Spec{Role: cellRole})
			if err != nil {
				t.Fatal(err)
			}
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
			t.Logf("%d workers gone %v after %v", len(announce.Started), time.Since(start), sig)
		})
	}
}

// KillCase is the workload of WorkerKilled: long enough that a worker is
// killed while it computes.
var KillCase = Case{workloads.CPU, map[string]int64{"tasks": 400, "n": 10_000_000}, 0}

// WorkerKilled SIGKILLs one worker mid-compute and checks that Compute
// fails within 5 s with an error naming the model, the PID and the signal,
// and that Teardown reaps every worker. victim picks the PID to kill from
// the session's PIDs.
func WorkerKilled(t *testing.T, m models.Model, victim func(pids []int) int) {
	in := instance(t, KillCase.Workload, KillCase.Params)
	sess, err := m.Setup(context.Background(), models.Config{Workload: in, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	pids := sess.(PidSession).Pids()
	pid := victim(pids)
	killed := make(chan time.Time, 1)
	timer := time.AfterFunc(200*time.Millisecond, func() {
		syscall.Kill(pid, syscall.SIGKILL)
		killed <- time.Now()
	})
	_, err = sess.Compute(context.Background())
	end := time.Now()
	timer.Stop()
	terr := sess.Teardown()
	var at time.Time
	select {
	case at = <-killed:
	default:
		t.Fatalf("Compute returned (err %v) before the kill: make KillCase longer", err)
	}
	if err == nil {
		t.Fatal("Compute succeeded with a killed worker")
	}
	if d := end.Sub(at); d > 5*time.Second {
		t.Errorf("Compute returned %v after the kill, want ≤ 5 s", d)
	}
	msg := err.Error()
	for _, want := range []string{m.Name(), fmt.Sprintf("pid %d", pid), "signal: killed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	t.Logf("error after %v: %v; teardown: %v", end.Sub(at), err, terr)
	AssertReaped(t, pids)
}

// Cancelled cancels the context mid-compute and checks that Compute
// returns the context's error within 2 s and Teardown reaps every worker.
func Cancelled(t *testing.T, m models.Model) {
	in := instance(t, KillCase.Workload, KillCase.Params)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := m.Setup(ctx, models.Config{Workload: in, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	pids := sess.(PidSession).Pids()
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err = sess.Compute(ctx)
	end := time.Now()
	sess.Teardown()
	if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Fatalf("Compute = %v, want cancelled", err)
	}
	if d := time.Since(end); d > 2*time.Second {
		t.Errorf("teardown took %v", d)
	}
	AssertReaped(t, pids)
}

// SetupCancelled checks that Setup honours a context that is already done
// and leaves no child behind.
func SetupCancelled(t *testing.T, m models.Model) {
	in := instance(t, workloads.Square, map[string]int64{"tasks": 100})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sess, err := m.Setup(ctx, models.Config{Workload: in, Cores: 2})
	if err == nil {
		sess.Teardown()
		t.Fatal("Setup succeeded with a cancelled context")
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
// core count, as sub-benchmarks <model>/<workload>/c=N. Setup and teardown
// are outside the timer. It reports ns/task and the overhead per task
// against the sequential loop, (c·T(c) − T_seq) / tasks, with T_seq
// measured in the same run, and the mean of every metric of the model's
// named *_per_s (lock_ops_per_s becomes the unit lock_ops/s).
//
// Note: the test process is not confined to c CPUs here (the cell runner
// is); the parent and workers use GOMAXPROCS = c.
func Compute(b *testing.B, cases []BenchCase, cores []int, ms ...models.Model) {
	for _, m := range ms {
		for _, bc := range cases {
			in := instance(b, bc.Workload, bc.Params)
			seq := seqTime(in)
			for _, c := range cores {
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
						if err == nil && workloads.Checksum(out.Results) != in.Reference {
							err = fmt.Errorf("checksum mismatch")
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

// SetupTeardown sets a model up and tears it down without computing: every
// worker is reaped and Teardown reports no error.
func SetupTeardown(t *testing.T, m models.Model) {
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
