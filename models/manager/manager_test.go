package manager

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/leaks"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/workloads"
)

func TestMain(m *testing.M) { modeltest.Main(m, New(), NewBatch()) }

// The session's PIDs are the manager's, then the workers': the suite
// kills a worker.
func TestConformance(t *testing.T) {
	modeltest.Conformance(t, func(pids []int) int { return pids[2] }, New(), NewBatch())
}

// The manager is killed while the workers compute (KillCase), and while
// they call it all the time (square: one Set per short task).
func TestManagerKilled(t *testing.T) {
	calling := modeltest.Case{Workload: workloads.Square, Params: map[string]int64{"tasks": 2_000_000}}
	for _, c := range []modeltest.Case{modeltest.KillCase, calling} {
		t.Run(c.Workload.Name, func(t *testing.T) {
			modeltest.ProcessKilled(t, New(), c, func(pids []int) int { return pids[0] })
		})
	}
}

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New(), NewBatch())
}

// Every worker takes part (the session reports all c), and the rate of
// stores is reported.
func TestWorkersAndRate(t *testing.T) {
	defer modeltest.Isolate(t)()
	for _, m := range []Model{New(), NewBatch()} {
		for _, cores := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/c=%d", m.Name(), cores), func(t *testing.T) {
				in, err := workloads.Square.New(map[string]int64{"tasks": 3001}, 1)
				if err != nil {
					t.Fatal(err)
				}
				out, _ := modeltest.Run(t, m, models.Config{Workload: in, Cores: cores})
				if len(out.Workers) != cores || slices.Contains(out.Workers, os.Getpid()) {
					t.Errorf("workers %v: want %d child PIDs", out.Workers, cores)
				}
				if out.Metrics["results_stored_per_s"] <= 0 {
					t.Errorf("metrics %v", out.Metrics)
				}
			})
		}
	}
}

func TestBatchEdges(t *testing.T) {
	defer modeltest.Isolate(t)()
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
			in, err := workloads.Square.New(map[string]int64{"tasks": int64(c.tasks)}, 1)
			if err != nil {
				t.Fatal(err)
			}
			modeltest.Run(t, NewBatch(), models.Config{Workload: in, Cores: 2, Chunk: c.chunk})
		})
	}
}

// TestNothingOnDiskAfterSetup checks that the socket and its folder are
// gone once Setup has returned, and that the folder was private meanwhile.
func TestNothingOnDiskAfterSetup(t *testing.T) {
	defer modeltest.Isolate(t)()
	tmp := os.TempDir()
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

	in, err := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
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
}

// TestAccounts wants every worker's account back with its done frame
// (the manager itself runs no task and has none).
func TestAccounts(t *testing.T) {
	for _, m := range []models.Model{New(), NewBatch()} {
		t.Run(m.Name(), func(t *testing.T) { modeltest.Accounted(t, m) })
	}
}
