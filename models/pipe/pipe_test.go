package pipe

import (
	"testing"

	"github.com/mpbench/mpbench/models/modeltest"
)

func TestMain(m *testing.M) { modeltest.Main(m, New()) }

func TestConformance(t *testing.T) {
	modeltest.Conformance(t, func(pids []int) int { return pids[len(pids)-1] }, New())
}

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New())
}

// TestAccounts wants every worker's account back with its done frame.
func TestAccounts(t *testing.T) { modeltest.Accounted(t, New()) }
