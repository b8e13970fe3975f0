package sequential_test

import (
	"testing"

	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/sequential"
)

func BenchmarkSequential(b *testing.B) { modeltest.Benchmark(b, sequential.New()) }
