package shm

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/mpbench/mpbench/worker"
)

const benchLockRole = "shm-test-lock-bench"

// runBenchLock is a child that, on each go, takes the lock of the region it is
// handed n times (Args[0]), incrementing the value under it, and says done.
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
	rd, wr := worker.NewFrameReader(c.Data, 0), worker.NewFrameWriter(c.Data)
	if err := worker.Setup(rd, wr, nil); err != nil {
		return err
	}
	return worker.GoDone(rd, wr, func() error {
		for range n {
			lockWord(&h.Lock)
			h.Value++
			unlockWord(&h.Lock)
		}
		return nil
	})
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
		g, err := worker.StartGroup(ctx, []worker.Spec{{
			Role: benchLockRole, Args: []string{strconv.Itoa(b.N)}, Files: []*os.File{r.file},
		}})
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close(worker.ExitGrace)
		if err := g.Handshake(ctx, worker.HandshakeTimeout, func(int) worker.Config { return worker.Config{} }); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		if err := g.Go(); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			lockWord(&h.Lock)
			h.Value++
			unlockWord(&h.Lock)
		}
		if err := g.AwaitDone(ctx); err != nil {
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
