package sequential_test

import (
	"testing"

	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/sequential"
)

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, nil, sequential.New())
}
