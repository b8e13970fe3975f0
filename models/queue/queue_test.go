package queue

import (
	"testing"

	"github.com/mpbench/mpbench/models/internal/modeltest"
)

func TestMain(m *testing.M) { modeltest.Main(m, New()) }

func TestResults(t *testing.T)  { modeltest.Results(t, New()) }
func TestConfined(t *testing.T) { modeltest.Confined(t, New()) }

func TestConsumerKilled(t *testing.T) {
	// PIDs are the producer's, then the consumers'.
	modeltest.WorkerKilled(t, New(), func(pids []int) int { return pids[1] })
}

func TestProducerKilled(t *testing.T) {
	modeltest.WorkerKilled(t, New(), func(pids []int) int { return pids[0] })
}

func TestCancelled(t *testing.T)      { modeltest.Cancelled(t, New()) }
func TestSetupCancelled(t *testing.T) { modeltest.SetupCancelled(t, New()) }

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New())
}

func TestSetupTeardown(t *testing.T) { modeltest.SetupTeardown(t, New()) }

func TestCellInterrupted(t *testing.T) { modeltest.CellInterrupted(t, New()) }
