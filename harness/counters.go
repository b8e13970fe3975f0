package harness

import (
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// medianCounters returns the median per trial of each counter
// (runfile.CounterNames), or nil when no trial has any (a run file
// written before they were recorded).
func medianCounters(trials []runfile.Trial) map[string]float64 {
	some := false
	for _, t := range trials {
		some = some || t.HasCounters()
	}
	if !some {
		return nil
	}
	out := make(map[string]float64, len(runfile.CounterNames))
	for _, name := range runfile.CounterNames {
		xs := make([]float64, len(trials))
		for i, t := range trials {
			xs[i] = float64(t.Counters()[name])
		}
		out[name] = stats.Summarize(xs).Median
	}
	return out
}
