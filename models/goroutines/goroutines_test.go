package goroutines_test

import (
	"testing"

	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
)

func BenchmarkGoroutines(b *testing.B) { modeltest.Benchmark(b, goroutines.New()) }
