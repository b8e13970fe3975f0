package shm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/leaks"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	worker.Register(benchLockRole, runBenchLock)
	worker.Register(runnerRole, runRunner)
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	// Race-built children otherwise sleep a second at exit.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	goleak.VerifyTestMain(m)
}

func newInstance(t testing.TB, w *workloads.Workload, p map[string]int64) *workloads.Instance {
	t.Helper()
	in, err := w.New(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// clean checks that nothing the test started is left: no child process and
// no new file in /dev/shm.
func clean(t *testing.T, shmBefore []string) {
	t.Helper()
	if err := leaks.NoChildren(2 * time.Second); err != nil {
		t.Error(err)
	}
	after, err := leaks.Files("/dev/shm")
	if err != nil {
		t.Fatal(err)
	}
	if added := leaks.NewFiles(shmBefore, after); len(added) > 0 {
		t.Errorf("files left in /dev/shm: %v", added)
	}
}

func shmFiles(t *testing.T) []string {
	t.Helper()
	names, err := leaks.Files("/dev/shm")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestHeaderLayout(t *testing.T) {
	var h header
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"next", unsafe.Offsetof(h.Next), offNext},
		{"lock", unsafe.Offsetof(h.Lock), offLock},
		{"value", unsafe.Offsetof(h.Value), offValue},
		{"header size", unsafe.Sizeof(h), offArray},
		{"stats size", unsafe.Sizeof(workerStats{}), statSize},
		{"task size", unsafe.Sizeof(workloads.Task{}), 16},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	l := newLayout(1000, 3)
	if l.tasksOff%pageSize != 0 || l.resultsOff%pageSize != 0 || l.size%pageSize != 0 || l.statsOff%64 != 0 {
		t.Errorf("layout not aligned: %+v", l)
	}
	if l.tasksOff < l.statsOff+3*statSize || l.resultsOff < l.tasksOff+16000 || l.size < l.resultsOff+8000 {
		t.Errorf("layout overlaps: %+v", l)
	}
}

func TestResultsMatchReference(t *testing.T) {
	before := shmFiles(t)
	cases := []struct {
		w *workloads.Workload
		p map[string]int64
	}{
		{workloads.CPU, map[string]int64{"tasks": 9, "n": 20_000}},
		{workloads.Square, map[string]int64{"tasks": 10_001}},
		{workloads.Pow, map[string]int64{"tasks": 4_099}},
	}
	for _, m := range []Model{New(), NewLock()} {
		for _, c := range cases {
			for _, cores := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/c=%d", m.Name(), c.w.Name, cores), func(t *testing.T) {
					in := newInstance(t, c.w, c.p)
					out := run(t, m, models.Config{Workload: in, Cores: cores})
					if len(out.Workers) != cores || !distinct(out.Workers) || slices.Contains(out.Workers, os.Getpid()) {
						t.Errorf("workers %v: want %d distinct child PIDs", out.Workers, cores)
					}
					if m.mode == modeLock {
						total := out.Metrics["lock_ops_per_s"]
						var sum float64
						for w := range cores {
							sum += out.Metrics[fmt.Sprintf("worker%d_lock_ops_per_s", w)]
						}
						if total <= 0 || sum < total*0.999 || sum > total*1.001 {
							t.Errorf("lock_ops_per_s %v, per worker sum %v", total, sum)
						}
					}
				})
			}
		}
	}
	clean(t, before)
}

// run does one trial and checks its results against the reference.
func run(t *testing.T, m models.Model, cfg models.Config) models.Output {
	t.Helper()
	ctx := context.Background()
	s, err := m.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Teardown(); err != nil {
			t.Errorf("teardown: %v", err)
		}
	}()
	out, err := s.Compute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.Results), len(cfg.Workload.Tasks); got != want {
		t.Fatalf("%d results, want %d", got, want)
	}
	if got, want := workloads.Checksum(out.Results), cfg.Workload.Reference; got != want {
		t.Fatalf("checksum %d, want reference %d", got, want)
	}
	// Task order: compare with a sequential run.
	if want := cfg.Workload.Run(); !slices.Equal(out.Results, want) {
		t.Fatal("results are not in task order")
	}
	return out
}

func distinct(pids []int) bool {
	s := slices.Clone(pids)
	slices.Sort(s)
	return len(slices.Compact(s)) == len(pids)
}

func TestChunkEdges(t *testing.T) {
	before := shmFiles(t)
	cases := []struct {
		name         string
		tasks, chunk int
		cores        int
	}{
		{"chunk 1", 257, 1, 2},
		{"chunk above tasks", 10, 1000, 2},
		{"one task two workers", 1, 0, 2},
		{"uneven last chunk", 1003, 100, 2},
	}
	for _, m := range []Model{New(), NewLock()} {
		for _, c := range cases {
			t.Run(m.Name()+"/"+c.name, func(t *testing.T) {
				in := newInstance(t, workloads.Square, map[string]int64{"tasks": int64(c.tasks)})
				run(t, m, models.Config{Workload: in, Cores: c.cores, Chunk: c.chunk})
			})
		}
	}
	clean(t, before)
}

func TestCheckLock(t *testing.T) {
	good := func() (uint64, []uint64, []workerStats) {
		// Worker 0 saw 1, 2, 4; worker 1 saw 3, 5.
		return 5, []uint64{4, 5}, []workerStats{
			{LockOps: 3, Last: 4, SeenSum: 7},
			{LockOps: 2, Last: 5, SeenSum: 8},
		}
	}
	cases := []struct {
		name   string
		modify func(v *uint64, a []uint64, s []workerStats)
		want   string
	}{
		{"consistent", func(*uint64, []uint64, []workerStats) {}, ""},
		{"lost update", func(v *uint64, _ []uint64, _ []workerStats) { *v = 4 }, "value = 4 after 5 tasks"},
		{"slot not last seen", func(_ *uint64, a []uint64, _ []workerStats) { a[0] = 3 }, "array[0] = 3, worker 0 last set 4"},
		{"same value twice", func(_ *uint64, a []uint64, s []workerStats) { a[0], s[0].Last = 5, 5 }, "array[0] = array[1] = 5"},
		{"value seen twice", func(_ *uint64, _ []uint64, s []workerStats) { s[0].SeenSum = 9 }, "values seen sum to 17"},
		{"ops miscounted", func(_ *uint64, _ []uint64, s []workerStats) { s[1].LockOps = 1 }, "4 lock operations for 5 tasks"},
		{"idle worker with a slot", func(_ *uint64, a []uint64, s []workerStats) { s[1] = workerStats{}; s[0].LockOps = 5 }, "worker 1 took no lock"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, a, s := good()
			c.modify(&v, a, s)
			err := checkLock(v, a, s, 5)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case c.want != "" && (!errors.Is(err, ErrLockCheck) || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want ErrLockCheck containing %q", err, c.want)
			}
		})
	}
}

// longCPU is a cpu workload whose compute takes seconds, for the tests that
// interrupt it.
func longCPU(t *testing.T) *workloads.Instance {
	return newInstance(t, workloads.CPU, map[string]int64{"tasks": 8, "n": 3_000_000_000})
}

func TestWorkerKilledDuringCompute(t *testing.T) {
	before := shmFiles(t)
	for _, m := range []Model{New(), NewLock()} {
		t.Run(m.Name(), func(t *testing.T) {
			s, err := m.Setup(context.Background(), models.Config{Workload: longCPU(t), Cores: 2})
			if err != nil {
				t.Fatal(err)
			}
			victim := s.(*session).g.Pids()[1]
			time.AfterFunc(200*time.Millisecond, func() { syscall.Kill(victim, syscall.SIGKILL) })
			start := time.Now()
			_, err = s.Compute(context.Background())
			took := time.Since(start)
			if err == nil {
				t.Fatal("Compute succeeded after a worker was killed")
			}
			var ee *worker.ExitError
			if !errors.As(err, &ee) || ee.Pid != victim {
				t.Errorf("error %v is not the victim's *worker.ExitError", err)
			}
			for _, want := range []string{m.Name() + ":", fmt.Sprintf("pid %d", victim), "signal: killed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if took > 5*time.Second {
				t.Errorf("Compute took %v to notice", took)
			}
			t.Logf("after %v: %v", took, err)
			if err := s.Teardown(); err != nil {
				t.Errorf("teardown: %v", err)
			}
		})
	}
	clean(t, before)
}

func TestWorkerFailsInSetup(t *testing.T) {
	before := shmFiles(t)
	// A workload the worker cannot look up: it exits 1 with a message.
	in := newInstance(t, workloads.Square, map[string]int64{"tasks": 10})
	bogus := *in
	bogus.Workload = &workloads.Workload{Name: "bogus", Apply: in.Workload.Apply}
	_, err := New().Setup(context.Background(), models.Config{Workload: &bogus, Cores: 2})
	if err == nil {
		t.Fatal("Setup succeeded with workers that cannot start")
	}
	t.Log(err)
	for _, want := range []string{"shm:", "pid ", "exit status 1", `unknown workload "bogus"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	clean(t, before)
}

func TestContextEndsCompute(t *testing.T) {
	before := shmFiles(t)
	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"timeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, m := range []Model{New(), NewLock()} {
		for _, c := range cases {
			t.Run(m.Name()+"/"+c.name, func(t *testing.T) {
				s, err := m.Setup(context.Background(), models.Config{Workload: longCPU(t), Cores: 2})
				if err != nil {
					t.Fatal(err)
				}
				pids := s.(*session).g.Pids()
				ctx, cancel := c.ctx()
				defer cancel()
				start := time.Now()
				_, err = s.Compute(ctx)
				if !errors.Is(err, c.want) {
					t.Errorf("Compute = %v, want %v", err, c.want)
				}
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("Compute took %v after the context ended", took)
				}
				if err := s.Teardown(); err != nil {
					t.Errorf("teardown: %v", err)
				}
				for _, pid := range pids {
					if leaks.Alive(pid) {
						t.Errorf("worker %d alive after teardown", pid)
					}
				}
			})
		}
	}
	clean(t, before)
}

func TestSetupCancelled(t *testing.T) {
	before := shmFiles(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := newInstance(t, workloads.Square, map[string]int64{"tasks": 10})
	if _, err := New().Setup(ctx, models.Config{Workload: in, Cores: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Setup = %v, want context.Canceled", err)
	}
	clean(t, before)
}

func TestTeardownWithoutCompute(t *testing.T) {
	before := shmFiles(t)
	in := newInstance(t, workloads.Square, map[string]int64{"tasks": 10})
	s, err := NewLock().Setup(context.Background(), models.Config{Workload: in, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Teardown(); err != nil {
		t.Fatal(err)
	}
	if err := s.Teardown(); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
	clean(t, before)
}

func TestLockExcludes(t *testing.T) {
	// Goroutines on one mapped word: the futex path without the private
	// flag works in one process too, and the race detector does not see
	// shared memory, so the count is the check.
	r, err := createRegion(pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := r.header()
	const per, gs = 20_000, 4
	done := make(chan struct{})
	for range gs {
		go func() {
			for range per {
				lockWord(&h.Lock)
				h.Value++
				unlockWord(&h.Lock)
			}
			done <- struct{}{}
		}()
	}
	for range gs {
		<-done
	}
	if h.Value != per*gs {
		t.Fatalf("value %d, want %d", h.Value, per*gs)
	}
	if st := h.Lock.Load(); st != unlocked {
		t.Fatalf("lock word %d after all unlocks", st)
	}
}

const runnerRole = "shm-test-runner"

// runRunner plays a cell runner: it sets up the model named by Args[0] at
// c = 2 on a long cpu workload, reports the workers' PIDs, and computes.
func runRunner(ctx context.Context, c *worker.Child) error {
	m := New()
	if c.Args[0] == "shm-lock" {
		m = NewLock()
	}
	in, err := workloads.CPU.New(map[string]int64{"tasks": 8, "n": 3_000_000_000}, 1)
	if err != nil {
		return err
	}
	s, err := m.Setup(ctx, models.Config{Workload: in, Cores: 2})
	if err != nil {
		return err
	}
	defer s.Teardown()
	if _, err := fmt.Fprintln(c.Data, strings.Trim(fmt.Sprint(s.(*session).g.Pids()), "[]")); err != nil {
		return err
	}
	_, err = s.Compute(ctx)
	return err
}

// TestRunnerKilled kills the process that owns a session with SIGKILL in
// the middle of compute, as a cell timeout does: its workers must die with
// it (Pdeathsig) and nothing may be left in /dev/shm.
func TestRunnerKilled(t *testing.T) {
	before := shmFiles(t)
	for _, name := range []string{"shm", "shm-lock"} {
		t.Run(name, func(t *testing.T) {
			p, err := worker.Start(context.Background(), worker.Spec{Role: runnerRole, Args: []string{name}})
			if err != nil {
				t.Fatal(err)
			}
			pids := make([]int, 2)
			if _, err := fmt.Fscan(p.Data, &pids[0], &pids[1]); err != nil {
				p.Kill()
				t.Fatalf("runner: %v; %v", err, p.Wait())
			}
			time.Sleep(100 * time.Millisecond)
			t0 := time.Now()
			syscall.Kill(p.Pid, syscall.SIGKILL)
			p.Wait()
			t.Logf("runner reaped after %v", time.Since(t0))
			deadline := time.Now().Add(3 * time.Second)
			for _, pid := range pids {
				for leaks.Alive(pid) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if leaks.Alive(pid) {
					t.Errorf("worker %d outlived its killed runner", pid)
				}
			}
			t.Logf("workers gone after %v", time.Since(t0))
		})
	}
	clean(t, before)
}
