package shm

import (
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/mpbench/mpbench/models/internal/modeltest"
	"github.com/mpbench/mpbench/models/internal/workers"
	"github.com/mpbench/mpbench/worker"
)

const benchLockRole = "shm-test-lock-bench"

// runBenchLock is a child that takes the lock of the region it is handed n
// times (Args[0]) when told Go, incrementing the value under it.
func runBenchLock(_ context.Context, c *worker.Child) error {
	n, err := strconv.Atoi(c.Args[0])
	if err != nil {
		return err
	}
	r, err := openRegion(c.Files[0])
	if err != nil {
		return err
	}
	defer r.Close()
	h := r.header()
	if err := workers.Signal(c.Data, workers.Ready); err != nil {
		return err
	}
	if _, err := workers.Next(c.Data); err != nil {
		return err
	}
	for range n {
		lockWord(&h.Lock)
		h.Value++
		unlockWord(&h.Lock)
	}
	if err := workers.Signal(c.Data, workers.Done); err != nil {
		return err
	}
	_, err = workers.Next(c.Data)
	if err == io.EOF {
		err = nil
	}
	return err
}

// BenchmarkLock measures one lock-guarded update (lock, value++, unlock) on
// a word in a shared mapping: alone, and contended by a second process
// doing the same number of updates at the same time.
func BenchmarkLock(b *testing.B) {
	b.Run("uncontended", func(b *testing.B) {
		r, err := createRegion(pageSize)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		h := r.header()
		for b.Loop() {
			lockWord(&h.Lock)
			h.Value++
			unlockWord(&h.Lock)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lockops/s")
	})
	b.Run("contended/procs=2", func(b *testing.B) {
		r, err := createRegion(pageSize)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		h := r.header()
		ctx := context.Background()
		g, err := workers.Start(ctx, "bench", []worker.Spec{{
			Role: benchLockRole, Args: []string{strconv.Itoa(b.N)}, Files: []*os.File{r.file},
		}})
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close()
		if err := g.Await(ctx, workers.Ready); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		if err := g.Send(workers.Go); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			lockWord(&h.Lock)
			h.Value++
			unlockWord(&h.Lock)
		}
		if err := g.Await(ctx, workers.Done); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if h.Value != uint64(2*b.N) {
			b.Fatalf("value %d after 2 × %d updates", h.Value, b.N)
		}
		// Both processes did b.N updates: report per update of either.
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/lockop")
		b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "lockops/s")
	})
}

// BenchmarkCompute times the compute phase of each model on each default
// workload at c = 1 and 2, with the models' own rates (see modeltest.Compute).
func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New(), NewLock())
}
