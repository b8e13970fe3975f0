package harness

import (
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

func TestMedianCounters(t *testing.T) {
	if got := medianCounters([]runfile.Trial{{ComputeNs: 1}, {ComputeNs: 2}}); got != nil {
		t.Errorf("trials without counters: got %v, want nil", got)
	}
	got := medianCounters([]runfile.Trial{
		{MinFlt: 10, Nvcsw: 5}, {MinFlt: 30, MajFlt: 1, Nvcsw: 7, Nivcsw: 2}, {MinFlt: 20, Nvcsw: 6},
	})
	want := map[string]float64{"minflt": 20, "majflt": 0, "nvcsw": 6, "nivcsw": 0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
}
