package goroutines_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/workloads"
)

// BenchmarkCompute runs at GOMAXPROCS cores: -cpu 1,2,4 sweeps them.
func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, nil, goroutines.New())
}

// TestResultsInTaskOrder runs every workload with chunk sizes that do and
// do not divide the task count, on more workers than chunks too, and wants
// every result in its slot.
func TestResultsInTaskOrder(t *testing.T) {
	for _, w := range workloads.All() {
		params := map[string]int64{"tasks": 1001}
		if w == workloads.CPU {
			params["n"] = 1000
		}
		in, err := w.New(params, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := in.Run()
		for _, cores := range []int{1, 2, 3} {
			for _, chunk := range []int{0, 1, 7, 1000, 5000} {
				t.Run(fmt.Sprintf("%s/c=%d/chunk=%d", w.Name, cores, chunk), func(t *testing.T) {
					s, err := goroutines.New().Setup(context.Background(), models.Config{Workload: in, Cores: cores, Chunk: chunk})
					if err != nil {
						t.Fatal(err)
					}
					out, err := s.Compute(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(out.Results, want) {
						t.Fatalf("results differ from the sequential run")
					}
					if got := workloads.Checksum(out.Results); got != in.Reference {
						t.Fatalf("checksum %d, want %d", got, in.Reference)
					}
					if err := modeltest.CheckAccounts(out, models.Config{Workload: in, Cores: cores}); err != nil {
						t.Error(err)
					}
					if err := s.Teardown(); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestTeardownWithoutCompute must not leak or block.
func TestTeardownWithoutCompute(t *testing.T) {
	in, _ := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
	s, err := goroutines.New().Setup(context.Background(), models.Config{Workload: in, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Teardown(); err != nil {
		t.Fatal(err)
	}
}

func TestAutoChunkIsPoolMaps(t *testing.T) {
	// Python: chunksize, extra = divmod(len, 4 * workers); if extra: chunksize += 1
	for _, c := range []struct{ n, workers, want int }{{48, 2, 6}, {100_000, 2, 12_500}, {10, 4, 1}, {0, 2, 1}, {17, 2, 3}} {
		if got := models.AutoChunk(c.n, c.workers); got != c.want {
			t.Errorf("AutoChunk(%d, %d) = %d, want %d", c.n, c.workers, got, c.want)
		}
	}
}
