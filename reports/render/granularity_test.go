package render

import (
	"context"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

// sweepRun is a run that sweeps cpu.n over 10, 100, 1000 with sequential
// and goroutines at c = 1 and 2: goroutines at c = 2 takes half the
// sequential time plus 40 µs of overhead.
func sweepRun() *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion,
		Config: runfile.Config{Scaling: "strong", Trials: 3, Workloads: []string{"cpu"}, Models: []string{"sequential", "goroutines"},
			Sweeps: map[string]map[string][]int64{"cpu": {"n": {10, 100, 1000}}}},
		Env: runfile.Env{CPUModel: "Test CPU", LogicalCPUs: 2, Host: "test"}}
	for _, n := range []int64{10, 100, 1000} {
		seq := float64(n) * 1000
		for _, c := range []struct {
			model string
			cores int
			ns    float64
		}{{"sequential", 1, seq}, {"goroutines", 1, seq}, {"goroutines", 2, seq/2 + 40_000}} {
			cell := runfile.Cell{Workload: "cpu", Model: c.model, Cores: c.cores, Tasks: 8, Params: map[string]int64{"n": n, "tasks": 8}}
			for range 3 {
				cell.Trials = append(cell.Trials, runfile.Trial{ComputeNs: int64(c.ns), SetupNs: 1000, TeardownNs: 1000})
			}
			r.Cells = append(r.Cells, cell)
		}
	}
	harness.Summarize(r)
	return r
}

func TestSweepSeriesIsTheFile(t *testing.T) {
	r := sweepRun()
	ss := SweepSeries(r, "cpu", "n")
	if len(ss) != 1 || ss[0].Model != "goroutines" || len(ss[0].Points) != 3 {
		t.Fatalf("series = %+v", ss)
	}
	for _, p := range ss[0].Points {
		seq := float64(p.Cores) * 1000
		if want := seq / (seq/2 + 40_000); p.Y != want {
			t.Errorf("n=%d: speedup %v, want %v (c = 2, the largest core count)", p.Cores, p.Y, want)
		}
	}
	f, top := focus(r, "cpu", "n")
	if top != 1000 || len(f.Cells) != 3 {
		t.Fatalf("focus kept %d cells at n=%d, want the 3 of n=1000", len(f.Cells), top)
	}
}

func TestSweepReportHasAGranularityChart(t *testing.T) {
	files, err := Render(context.Background(), []*runfile.Run{sweepRun()}, []string{"test"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range files {
		if f.Name == "cpu-granularity.png" {
			found = true
			checkPNG(t, f.Name, f.Data)
		}
		if f.Name == "index.md" && !strings.Contains(string(f.Data), "Cells at cpu.n=1000, the largest value swept") {
			t.Errorf("index.md does not say which task size the charts over cores show")
		}
	}
	if !found {
		t.Fatal("no cpu-granularity.png in a sweep's report")
	}
}

func TestCountTick(t *testing.T) {
	for x, want := range map[float64]string{500: "500", 1000: "1k", 2.5e6: "2.5M", 1e10: "10G"} {
		if got := countTick(x); got != want {
			t.Errorf("countTick(%v) = %q, want %q", x, got, want)
		}
	}
}
