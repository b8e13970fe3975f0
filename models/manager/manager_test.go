package manager

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

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/leaks"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
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

// privateTmp points os.TempDir at a fresh folder for the test and returns
// it, so the test can see every folder and socket the model makes.
func privateTmp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

// clean checks that no child process is left and tmp is empty.
func clean(t *testing.T, tmp string) {
	t.Helper()
	if err := leaks.NoChildren(2 * time.Second); err != nil {
		t.Error(err)
	}
	if names, err := leaks.Files(tmp); err != nil || len(names) > 0 {
		t.Errorf("left in the temp folder: %v %v", names, err)
	}
}

func newInstance(t testing.TB, w *workloads.Workload, p map[string]int64) *workloads.Instance {
	t.Helper()
	in, err := w.New(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

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
	if got, want := workloads.Checksum(out.Results), cfg.Workload.Reference; got != want {
		t.Fatalf("checksum %d, want reference %d", got, want)
	}
	if !slices.Equal(out.Results, cfg.Workload.Run()) {
		t.Fatal("results are not in task order")
	}
	return out
}

func distinct(pids []int) bool {
	s := slices.Clone(pids)
	slices.Sort(s)
	return len(slices.Compact(s)) == len(pids)
}

func TestResultsMatchReference(t *testing.T) {
	tmp := privateTmp(t)
	cases := []struct {
		w *workloads.Workload
		p map[string]int64
	}{
		{workloads.CPU, map[string]int64{"tasks": 9, "n": 20_000}},
		{workloads.Square, map[string]int64{"tasks": 3_001}},
		{workloads.Pow, map[string]int64{"tasks": 1_003}},
	}
	for _, m := range []Model{New(), NewBatch()} {
		for _, c := range cases {
			for _, cores := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/c=%d", m.Name(), c.w.Name, cores), func(t *testing.T) {
					in := newInstance(t, c.w, c.p)
					out := run(t, m, models.Config{Workload: in, Cores: cores})
					if len(out.Workers) != cores || !distinct(out.Workers) || slices.Contains(out.Workers, os.Getpid()) {
						t.Errorf("workers %v: want %d distinct child PIDs", out.Workers, cores)
					}
					if out.Metrics["results_stored_per_s"] <= 0 {
						t.Errorf("metrics %v", out.Metrics)
					}
				})
			}
		}
	}
	clean(t, tmp)
}

func TestBatchEdges(t *testing.T) {
	tmp := privateTmp(t)
	cases := []struct {
		name         string
		tasks, chunk int
	}{
		{"chunk over MaxBatch", 2*MaxBatch + 5, 3 * MaxBatch},
		{"chunk 1", 50, 1},
		{"one task", 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newInstance(t, workloads.Square, map[string]int64{"tasks": int64(c.tasks)})
			run(t, NewBatch(), models.Config{Workload: in, Cores: 2, Chunk: c.chunk})
		})
	}
	clean(t, tmp)
}

// TestNothingOnDiskAfterSetup checks that the socket and its folder are
// gone once Setup has returned, and that the folder was private meanwhile.
func TestNothingOnDiskAfterSetup(t *testing.T) {
	tmp := privateTmp(t)
	// While Setup runs, the folder exists: catch it with listenPrivate.
	dir, path, lnFile, err := listenPrivate()
	if err != nil {
		t.Fatal(err)
	}
	lnFile.Close()
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700 | os.ModeDir}, {path, 0o600 | os.ModeSocket}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.want)
		}
	}
	os.RemoveAll(dir)

	in := newInstance(t, workloads.Square, map[string]int64{"tasks": 10})
	s, err := New().Setup(context.Background(), models.Config{Workload: in, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := leaks.Files(tmp); len(names) > 0 {
		t.Errorf("on disk after Setup: %v", names)
	}
	if _, err := s.Compute(context.Background()); err != nil {
		t.Error(err)
	}
	if err := s.Teardown(); err != nil {
		t.Error(err)
	}
	clean(t, tmp)
}

func TestSweepStale(t *testing.T) {
	tmp := privateTmp(t)
	// A PID that is not running: a reaped child's.
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("no /bin/true:", err)
	}
	p.Wait()
	stale := fmt.Sprintf("%s/%s%d-123", tmp, dirPrefix, p.Pid)
	live := fmt.Sprintf("%s/%s%d-456", tmp, dirPrefix, os.Getppid())
	other := tmp + "/unrelated"
	for _, d := range []string{stale, live, other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sweepStale(tmp)
	names, _ := leaks.Files(tmp)
	want := []string{fmt.Sprintf("%s%d-456", dirPrefix, os.Getppid()), "unrelated"}
	if !slices.Equal(names, want) {
		t.Fatalf("after sweep: %v, want %v", names, want)
	}
}

// longSquare makes compute take seconds under manager at c = 2.
func longSquare(t *testing.T) *workloads.Instance {
	return newInstance(t, workloads.Square, map[string]int64{"tasks": 2_000_000})
}

func TestProcessKilledDuringCompute(t *testing.T) {
	tmp := privateTmp(t)
	for _, c := range []struct {
		name   string
		victim int // index in the group: 0 the manager, 1.. workers
		role   string
	}{{"worker", 2, WorkerRole}, {"manager", 0, ServerRole}} {
		t.Run(c.name, func(t *testing.T) {
			s, err := New().Setup(context.Background(), models.Config{Workload: longSquare(t), Cores: 2})
			if err != nil {
				t.Fatal(err)
			}
			pids := s.(*session).g.Pids()
			victim := pids[c.victim]
			time.AfterFunc(300*time.Millisecond, func() { syscall.Kill(victim, syscall.SIGKILL) })
			start := time.Now()
			_, err = s.Compute(context.Background())
			took := time.Since(start)
			if err == nil {
				t.Fatal("Compute succeeded after a process was killed")
			}
			t.Logf("after %v: %v", took, err)
			if c.name == "worker" {
				// The manager's death may instead surface as a worker's
				// failure; a worker's is always its own.
				for _, want := range []string{"manager:", fmt.Sprintf("pid %d", victim), "signal: killed", c.role} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
			} else if !strings.Contains(err.Error(), "manager:") || !strings.Contains(err.Error(), "pid ") {
				t.Errorf("error %q does not name the model and a PID", err)
			}
			if took > 5*time.Second {
				t.Errorf("Compute took %v to notice", took)
			}
			if err := s.Teardown(); err != nil {
				t.Errorf("teardown: %v", err)
			}
			for _, pid := range pids {
				if leaks.Alive(pid) {
					t.Errorf("pid %d alive after teardown", pid)
				}
			}
		})
	}
	clean(t, tmp)
}

func TestContextEndsCompute(t *testing.T) {
	tmp := privateTmp(t)
	for _, c := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"timeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := New().Setup(context.Background(), models.Config{Workload: longSquare(t), Cores: 2})
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
					t.Errorf("pid %d alive after teardown", pid)
				}
			}
		})
	}
	clean(t, tmp)
}

func TestSetupFailures(t *testing.T) {
	tmp := privateTmp(t)
	in := newInstance(t, workloads.Square, map[string]int64{"tasks": 10})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := New().Setup(ctx, models.Config{Workload: in, Cores: 2}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Setup = %v, want context.Canceled", err)
		}
	})
	t.Run("worker cannot start", func(t *testing.T) {
		bogus := *in
		bogus.Workload = &workloads.Workload{Name: "bogus", Apply: in.Workload.Apply}
		_, err := NewBatch().Setup(context.Background(), models.Config{Workload: &bogus, Cores: 2})
		if err == nil {
			t.Fatal("Setup succeeded with workers that cannot start")
		}
		t.Log(err)
		for _, want := range []string{"manager-batch:", "pid ", "exit status 1", `unknown workload "bogus"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})
	t.Run("teardown without compute", func(t *testing.T) {
		s, err := New().Setup(context.Background(), models.Config{Workload: in, Cores: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Teardown(); err != nil {
			t.Fatal(err)
		}
	})
	clean(t, tmp)
}

const runnerRole = "manager-test-runner"

// runRunner plays a cell runner: it sets up manager at c = 2 on a long
// square workload, reports the PIDs of the manager and workers, and
// computes.
func runRunner(ctx context.Context, c *worker.Child) error {
	in, err := workloads.Square.New(map[string]int64{"tasks": 2_000_000}, 1)
	if err != nil {
		return err
	}
	s, err := New().Setup(ctx, models.Config{Workload: in, Cores: 2})
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
// the middle of compute, as a cell timeout does: the manager and workers
// must die with it (Pdeathsig), and no folder or socket may be left.
func TestRunnerKilled(t *testing.T) {
	tmp := privateTmp(t)
	p, err := worker.Start(context.Background(), worker.Spec{Role: runnerRole})
	if err != nil {
		t.Fatal(err)
	}
	pids := make([]int, 3)
	if _, err := fmt.Fscan(p.Data, &pids[0], &pids[1], &pids[2]); err != nil {
		p.Kill()
		t.Fatalf("runner: %v; %v", err, p.Wait())
	}
	time.Sleep(200 * time.Millisecond)
	syscall.Kill(p.Pid, syscall.SIGKILL)
	p.Wait()
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for leaks.Alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if leaks.Alive(pid) {
			t.Errorf("pid %d outlived its killed runner", pid)
		}
	}
	clean(t, tmp)
}
