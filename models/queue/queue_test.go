package queue

import (
	"testing"

	"github.com/mpbench/mpbench/models/modeltest"
)

func TestMain(m *testing.M) { modeltest.Main(m, New()) }

// PIDs are the producer's, then the consumers': the suite kills a
// consumer.
func TestConformance(t *testing.T) {
	modeltest.Conformance(t, func(pids []int) int { return pids[1] }, New())
}

func TestProducerKilled(t *testing.T) {
	modeltest.WorkerKilled(t, New(), func(pids []int) int { return pids[0] })
}

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New())
}
