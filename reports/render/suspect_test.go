package render

import (
	"math"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
)

// craftedCell is a cell of the cpu workload whose ten trials spread evenly
// over median ± spread.
func craftedCell(model string, cores int, median, spread float64) runfile.Cell {
	c := runfile.Cell{Workload: "cpu", Model: model, Cores: cores, Tasks: 48, TrialsPlanned: 10}
	for i := range 10 {
		ct := int64(median - spread + 2*spread*float64(i)/9)
		c.Trials = append(c.Trials, runfile.Trial{SetupNs: 1000, ComputeNs: ct, TeardownNs: 100, UserNs: ct})
	}
	return c
}

func craftedRun(models []runfile.ModelInfo, cells ...runfile.Cell) *runfile.Run {
	r := &runfile.Run{
		Schema: runfile.Schema, Version: runfile.SchemaVersion, Status: "complete", Models: models,
		Env:    runfile.Env{Host: "h", CPUModel: "test CPU", LogicalCPUs: 2},
		Config: runfile.Config{Cores: []int{1, 2}, Workloads: []string{"cpu"}, Scaling: "strong", Trials: 10},
		Cells:  cells,
	}
	harness.Summarize(r)
	return r
}

func TestSuspectCellsAreFlaggedNotCrowned(t *testing.T) {
	tests := []struct {
		name    string
		run     *runfile.Run
		suspect string // the model flagged at the largest core count
		want    []string
	}{
		{
			// pipe 2.1× at c = 2 with tight intervals: fastest by median,
			// but its baseline is suspect.
			name: "speedup above c beyond its CI",
			run: craftedRun(nil,
				craftedCell("sequential", 1, 2.1e6, 2e3),
				craftedCell("goroutines", 2, 1.1e6, 2e3),
				craftedCell("pipe", 2, 1.0e6, 2e3),
			),
			suspect: "pipe",
			want: []string{
				"cpu at c = 2: goroutines is fastest (median 1.10ms, 1.91× sequential); goroutines has the lowest overhead per task",
				"Not ranked, their baseline suspect: pipe (2.10× against sequential: speedup above c beyond its CI).",
			},
		},
		{
			// sequential 4 % slower than every process model at c = 1, as in
			// example-2core: pipe's overhead at c = 2 is below 0 beyond its
			// interval, and would have the lowest overhead.
			name: "negative overhead beyond its CI",
			run: craftedRun(nil,
				craftedCell("sequential", 1, 2.08e6, 2e3),
				craftedCell("pipe", 1, 2.0e6, 2e3),
				craftedCell("pipe", 2, 1.02e6, 2e3),
				craftedCell("queue", 2, 1.3e6, 2e3),
			),
			suspect: "pipe",
			want: []string{
				"cpu at c = 2: queue is fastest",
				"queue has the lowest overhead per task",
				"Not ranked, their baseline suspect: pipe (2.04× against sequential: speedup above c beyond its CI).",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cell *runfile.Cell
			for i := range tt.run.Cells {
				if c := &tt.run.Cells[i]; c.Model == tt.suspect && c.Cores == 2 {
					cell = c
				}
			}
			if ov := *cell.Summary.OverheadNsPerTask; ov >= 0 || *cell.Summary.OverheadCIHigh >= 0 {
				t.Fatalf("crafted %s overhead %v, interval high %v: want both below 0", tt.suspect, ov, *cell.Summary.OverheadCIHigh)
			}
			if w := strings.Join(cell.Warnings, "; "); !strings.Contains(w, "above c = 2 beyond its CI") || !strings.Contains(w, "the sequential baseline is suspect") {
				t.Errorf("warnings %q lack the suspect baseline", w)
			}
			got := Verdict(tt.run, "cpu")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("verdict %q\nlacks  %q", got, w)
				}
			}
			if strings.Contains(got, tt.suspect+" is fastest") || strings.Contains(got, tt.suspect+" has the lowest") {
				t.Errorf("verdict crowns the suspect %s: %q", tt.suspect, got)
			}
			idx := buildIndex([]*runfile.Run{tt.run}, []string{"h"})
			md, err := idx.markdown()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(md), "cpu/"+tt.suspect+"/2: speedup") || !strings.Contains(string(md), "baseline is suspect") {
				t.Errorf("index.md does not warn of %s's suspect baseline", tt.suspect)
			}
			v := &view{runs: []*runfile.Run{tt.run}, labels: []string{"h"}, wl: "cpu"}
			for _, p := range pointsOf(CoreSeries(v.runs, "cpu", Speedup), tt.suspect, 2) {
				if !p.Hollow || !p.Suspect {
					t.Errorf("%s at c = 2 drawn hollow %v, suspect %v: want both", tt.suspect, p.Hollow, p.Suspect)
				}
			}
			if c := strings.Join(v.speedupChart().Caption, " "); !strings.Contains(c, "Hollow (noisy, oversubscribed or suspect baseline): ") ||
				!strings.Contains(c, tt.suspect+" at c = 2 (suspect baseline") {
				t.Errorf("speedup caption does not name the suspect cell: %q", c)
			}
		})
	}
}

func pointsOf(ss []Series, model string, cores int) []Point {
	var out []Point
	for _, s := range ss {
		for _, p := range s.Points {
			if s.Model == model && p.Cores == cores {
				out = append(out, p)
			}
		}
	}
	return out
}

func TestPySpeedupIsAgainstPySequential(t *testing.T) {
	r := craftedRun([]runfile.ModelInfo{
		{Name: "sequential", Family: "go", Color: "#000000", Marker: "circle"},
		{Name: "procpool", Family: "go", Color: "#E69F00", Marker: "triangle-up"},
		{Name: "py-sequential", Family: "py", Twin: "sequential", Color: "#8C8C8C", Marker: "circle"},
		{Name: "py-pool", Family: "py", Twin: "procpool", Color: "#F0C060", Marker: "triangle-up"},
	},
		craftedCell("sequential", 1, 1e6, 2e3),
		craftedCell("procpool", 2, 0.6e6, 2e3),
		craftedCell("py-sequential", 1, 40e6, 2e5),
		craftedCell("py-pool", 2, 21e6, 2e5),
	)
	v := &view{runs: []*runfile.Run{r}, labels: []string{"h"}, wl: "cpu"}
	ps := pointsOf(CoreSeries(v.runs, "cpu", Speedup), "py-pool", 2)
	if len(ps) != 1 || math.Abs(ps[0].Y-40.0/21) > 1e-6 {
		t.Errorf("py-pool speedup points %+v, want one of 40/21 (against py-sequential)", ps)
	}
	if base := pointsOf(CoreSeries(v.runs, "cpu", Speedup), "py-sequential", 1); len(base) != 1 || base[0].Y != 1 {
		t.Errorf("py-sequential speedup points %+v, want 1 (its own baseline)", base)
	}
	want := "Each family is measured against its own baseline in the same run: Go models against sequential, Python models (py-*) against py-sequential."
	for _, ch := range []*Chart{v.speedupChart(), v.overheadChart()} {
		if c := strings.Join(ch.Caption, " "); !strings.Contains(c, want) {
			t.Errorf("%s caption %q lacks %q", ch.Title, c, want)
		}
	}
	for _, b := range LargestBars(v.runs, "cpu") {
		if b.Model == "py-pool" && (b.Overhead == nil || math.Abs(*b.Overhead-(2*21e6-40e6)/48) > 1) {
			t.Errorf("py-pool overhead bar %s, want (2·21 ms − 40 ms) / 48 against py-sequential", show(b.Overhead))
		}
	}
	if got := Verdict(r, "cpu"); !strings.Contains(got, "procpool is fastest (median 600µs, 1.67× sequential)") {
		t.Errorf("verdict %q", got)
	}
}

// show formats a figure, null or not.
func show(x *float64) string {
	if x == nil {
		return "null"
	}
	return reports.Sig3(*x)
}
