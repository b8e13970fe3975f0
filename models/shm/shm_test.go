package shm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

func TestMain(m *testing.M) {
	worker.Register(benchLockRole, runBenchLock)
	modeltest.Main(m, New(), NewLock())
}

func TestConformance(t *testing.T) {
	modeltest.Conformance(t, func(pids []int) int { return pids[1] }, New(), NewLock())
}

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New(), NewLock())
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

// Every worker takes part (the session reports all c), and shm-lock's
// lock rates add up: per worker, over the whole compute time, to the
// total.
func TestWorkersAndLockRates(t *testing.T) {
	defer modeltest.Isolate(t)()
	for _, m := range []Model{New(), NewLock()} {
		for _, c := range modeltest.SmallCases {
			in, err := c.Workload.New(c.Params, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, cores := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/%d/c=%d", m.Name(), c.Workload.Name, len(in.Tasks), cores), func(t *testing.T) {
					out, _ := modeltest.Run(t, m, models.Config{Workload: in, Cores: cores, Chunk: c.Chunk})
					if len(out.Workers) != cores || slices.Contains(out.Workers, os.Getpid()) {
						t.Errorf("workers %v: want %d child PIDs", out.Workers, cores)
					}
					if err := accountsOf(m, out, models.Config{Workload: in, Cores: cores}); err != nil {
						t.Error(err)
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
}

// accountsOf checks the worker accounts of a trial: shm keeps them for
// every worker, shm-lock none.
func accountsOf(m Model, out models.Output, cfg models.Config) error {
	if m.mode == modeLock {
		if out.Accounts != nil {
			return fmt.Errorf("shm-lock reports accounts %+v", out.Accounts)
		}
		return nil
	}
	return modeltest.CheckAccounts(out, cfg)
}

func TestChunkEdges(t *testing.T) {
	defer modeltest.Isolate(t)()
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
				in, err := workloads.Square.New(map[string]int64{"tasks": int64(c.tasks)}, 1)
				if err != nil {
					t.Fatal(err)
				}
				cfg := models.Config{Workload: in, Cores: c.cores, Chunk: c.chunk}
				out, _ := modeltest.Run(t, m, cfg)
				if err := accountsOf(m, out, cfg); err != nil {
					t.Error(err)
				}
			})
		}
	}
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

// Teardown may be called again: the second does nothing.
func TestTeardownTwice(t *testing.T) {
	defer modeltest.Isolate(t)()
	in, err := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
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
