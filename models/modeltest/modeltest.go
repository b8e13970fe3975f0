// Package modeltest holds what the model packages share in their tests:
// one Go benchmark per model and workload, so that `go test -bench=.
// ./models/...` and benchstat work on the models directly, without the
// harness.
//
// A model package adds one function to a _test.go file:
//
//	func BenchmarkGoroutines(b *testing.B) { modeltest.Benchmark(b, goroutines.New()) }
//
// The core count is GOMAXPROCS, so `go test -bench=. -cpu 1,2,4` sweeps it
// the Go way and the names carry it (BenchmarkGoroutines/workload=cpu-2).
// A model that starts worker processes (through models/proc) needs the
// test binary to serve its roles, as every test binary with children does:
//
//	func TestMain(m *testing.M) {
//		if proc.IsChild() {
//			os.Exit(proc.RunChild())
//		}
//		os.Exit(m.Run())
//	}
//
// Unlike an mpbench cell, a benchmark runs in the test process, not in a
// fresh process confined to c CPUs: it is for quick comparisons of one
// model's versions with benchstat, not for the sweep's figures.
//
// Slow wraps a model into a slower one, for tests that must see a model
// regress (the regression gates' own tests).
package modeltest

import (
	"context"
	"runtime"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

// Benchmark runs one sub-benchmark of m per workload, with the workload's
// default parameters, on GOMAXPROCS cores (1 for single-core models).
// Each op is one trial's compute phase: setup, validation and teardown are
// outside the timer. Besides ns/op it reports ns/task, the compute time
// per task.
func Benchmark(b *testing.B, m models.Model) {
	for _, w := range workloads.All() {
		b.Run("workload="+w.Name, func(b *testing.B) {
			BenchmarkWorkload(b, m, w, nil)
		})
	}
}

// BenchmarkWorkload benchmarks m on one workload with parameter overrides
// params (nil for the defaults).
func BenchmarkWorkload(b *testing.B, m models.Model, w *workloads.Workload, params map[string]int64) {
	in, err := w.New(params, 1)
	if err != nil {
		b.Fatal(err)
	}
	cores := runtime.GOMAXPROCS(0)
	if models.IsSingleCore(m) {
		cores = 1
	}
	cfg := models.Config{Workload: in, Cores: cores}
	ctx := context.Background()
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		sess, err := m.Setup(ctx, cfg)
		if err != nil {
			b.Fatalf("%s: setup: %v", m.Name(), err)
		}
		b.StartTimer()
		out, err := sess.Compute(ctx)
		b.StopTimer()
		if err != nil {
			sess.Teardown()
			b.Fatalf("%s: compute: %v", m.Name(), err)
		}
		if got := workloads.Checksum(out.Results); len(out.Results) != len(in.Tasks) || got != in.Reference {
			sess.Teardown()
			b.Fatalf("%s %s: checksum %d over %d results, want %d over %d", m.Name(), w.Name, got, len(out.Results), in.Reference, len(in.Tasks))
		}
		if err := sess.Teardown(); err != nil {
			b.Fatalf("%s: teardown: %v", m.Name(), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(in.Tasks)), "ns/task")
}
