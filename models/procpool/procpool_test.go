package procpool

import (
	"testing"

	"github.com/mpbench/mpbench/models/internal/modeltest"
)

func TestMain(m *testing.M) { modeltest.Main(m, New(), NewAsync()) }

func TestResults(t *testing.T) {
	t.Run("procpool", func(t *testing.T) { modeltest.Results(t, New()) })
	t.Run("procpool-async", func(t *testing.T) { modeltest.Results(t, NewAsync()) })
}

func TestConfined(t *testing.T) {
	t.Run("procpool", func(t *testing.T) { modeltest.Confined(t, New()) })
	t.Run("procpool-async", func(t *testing.T) { modeltest.Confined(t, NewAsync()) })
}

func first(pids []int) int { return pids[0] }

func TestWorkerKilled(t *testing.T) {
	t.Run("procpool", func(t *testing.T) { modeltest.WorkerKilled(t, New(), first) })
	t.Run("procpool-async", func(t *testing.T) { modeltest.WorkerKilled(t, NewAsync(), first) })
}

func TestCancelled(t *testing.T) {
	t.Run("procpool", func(t *testing.T) { modeltest.Cancelled(t, New()) })
	t.Run("procpool-async", func(t *testing.T) { modeltest.Cancelled(t, NewAsync()) })
}

func TestSetupCancelled(t *testing.T) {
	modeltest.SetupCancelled(t, New())
}

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New(), NewAsync())
}

func TestSetupTeardown(t *testing.T) {
	t.Run("procpool", func(t *testing.T) { modeltest.SetupTeardown(t, New()) })
	t.Run("procpool-async", func(t *testing.T) { modeltest.SetupTeardown(t, NewAsync()) })
}

func TestCellInterrupted(t *testing.T) {
	t.Run("procpool", func(t *testing.T) { modeltest.CellInterrupted(t, New()) })
	t.Run("procpool-async", func(t *testing.T) { modeltest.CellInterrupted(t, NewAsync()) })
}
