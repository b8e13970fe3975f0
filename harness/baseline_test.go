package harness

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/runfile"
)

// around returns n trial times spread evenly over median ± spread.
func around(median, spread int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = median - spread + 2*spread*int64(i)/int64(n-1)
	}
	return out
}

func findCell(t *testing.T, r *runfile.Run, model string, cores int) *runfile.Cell {
	t.Helper()
	for i := range r.Cells {
		if c := &r.Cells[i]; c.Model == model && c.Cores == cores {
			return c
		}
	}
	t.Fatalf("no cell %s c=%d", model, cores)
	return nil
}

func TestSuspectFiguresAreFlagged(t *testing.T) {
	tests := []struct {
		name    string
		cells   []runfile.Cell
		model   string
		cores   int
		suspect bool
	}{
		{
			// 2.1 ms / 1.0 ms, both tight: speedup 2.1 > c = 2 beyond its CI.
			name: "speedup above c beyond its CI",
			cells: []runfile.Cell{
				cellWith("sequential", 1, 48, around(2_100_000, 2_000, 10)...),
				cellWith("pipe", 2, 48, around(1_000_000, 2_000, 10)...),
			},
			model: "pipe", cores: 2, suspect: true,
		},
		{
			// sequential 4 % slower than pipe at c = 1: overhead −833 ns
			// per task, its whole interval below 0.
			name: "negative overhead beyond its CI",
			cells: []runfile.Cell{
				cellWith("sequential", 1, 48, around(1_040_000, 1_000, 10)...),
				cellWith("pipe", 1, 48, around(1_000_000, 1_000, 10)...),
			},
			model: "pipe", cores: 1, suspect: true,
		},
		{
			// speedup 2.02 but the model's interval reaches 1.1 ms: within
			// noise of c, not flagged.
			name: "speedup above c within its CI",
			cells: []runfile.Cell{
				cellWith("sequential", 1, 48, around(2_100_000, 2_000, 10)...),
				cellWith("pipe", 2, 48, around(1_040_000, 100_000, 10)...),
			},
			model: "pipe", cores: 2, suspect: false,
		},
		{
			name: "an honest speedup",
			cells: []runfile.Cell{
				cellWith("sequential", 1, 48, around(2_000_000, 2_000, 10)...),
				cellWith("pipe", 2, 48, around(1_100_000, 2_000, 10)...),
			},
			model: "pipe", cores: 2, suspect: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runfile.Run{Cells: tt.cells}
			Summarize(r)
			c := findCell(t, r, tt.model, tt.cores)
			s := c.Summary
			if s.SpeedupCILow == nil || s.SpeedupCIHigh == nil || s.OverheadCILow == nil || s.OverheadCIHigh == nil {
				t.Fatalf("no derived intervals: %+v", s)
			}
			if !(*s.SpeedupCILow <= *s.Speedup && *s.Speedup <= *s.SpeedupCIHigh) ||
				!(*s.OverheadCILow <= *s.OverheadNsPerTask && *s.OverheadNsPerTask <= *s.OverheadCIHigh) {
				t.Errorf("figures outside their intervals: speedup %v in [%v, %v], overhead %v in [%v, %v]",
					*s.Speedup, *s.SpeedupCILow, *s.SpeedupCIHigh, *s.OverheadNsPerTask, *s.OverheadCILow, *s.OverheadCIHigh)
			}
			warned := slices.ContainsFunc(c.Warnings, func(w string) bool {
				return strings.Contains(w, "the sequential baseline is suspect")
			})
			if got := s.Suspect(c.Cores); got != tt.suspect || warned != tt.suspect {
				t.Errorf("Suspect = %v, warned = %v (%q), want %v", got, warned, c.Warnings, tt.suspect)
			}
			if b := findCell(t, r, "sequential", 1).Summary; b.SpeedupCILow != nil || b.Suspect(1) {
				t.Errorf("the baseline against itself has an interval or is suspect: %+v", b)
			}
		})
	}
}

func TestDerivedIntervalsAreIntervalArithmetic(t *testing.T) {
	r := &runfile.Run{Cells: []runfile.Cell{
		cellWith("sequential", 1, 100, 900, 1000, 1100),
		cellWith("m", 2, 100, 400, 500, 600),
	}}
	Summarize(r)
	s := r.Cells[1].Summary
	// Three trials: each interval is min..max.
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"speedup low", *s.SpeedupCILow, 900.0 / 600},
		{"speedup high", *s.SpeedupCIHigh, 1100.0 / 400},
		{"overhead low", *s.OverheadCILow, (2*400.0 - 1100) / 100},
		{"overhead high", *s.OverheadCIHigh, (2*600.0 - 900) / 100},
	} {
		if math.Abs(f.got-f.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

// show formats a figure of a summary, null or not.
func show(x *float64) string {
	if x == nil {
		return "null"
	}
	return strconv.FormatFloat(*x, 'g', -1, 64)
}

func pyModels() []runfile.ModelInfo {
	return []runfile.ModelInfo{
		{Name: "sequential", Family: "go"}, {Name: "procpool", Family: "go"},
		{Name: "py-sequential", Family: "py"}, {Name: "py-pool", Family: "py", Twin: "procpool"},
	}
}

func TestPyModelsHaveTheirOwnBaseline(t *testing.T) {
	for _, tt := range []struct {
		name   string
		models []runfile.ModelInfo
	}{
		{"family from the run file", pyModels()},
		{"family from the name (older run file)", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &runfile.Run{Models: tt.models, Cells: []runfile.Cell{
				cellWith("sequential", 1, 48, 1_000_000, 1_000_000, 1_000_000),
				cellWith("py-sequential", 1, 48, 40_000_000, 40_000_000, 40_000_000),
				cellWith("procpool", 2, 48, 600_000, 600_000, 600_000),
				cellWith("py-pool", 2, 48, 21_000_000, 21_000_000, 21_000_000),
			}}
			Summarize(r)
			pp := findCell(t, r, "py-pool", 2).Summary
			if pp.Speedup == nil || math.Abs(*pp.Speedup-40.0/21) > 1e-12 {
				t.Fatalf("py-pool speedup = %s, want 40/21 against py-sequential", show(pp.Speedup))
			}
			// (2 · 21 ms − 40 ms) / 48 tasks.
			if want := (2*21e6 - 40e6) / 48; math.Abs(*pp.OverheadNsPerTask-want) > 1e-6 {
				t.Errorf("py-pool overhead = %v, want %v", *pp.OverheadNsPerTask, want)
			}
			if g := findCell(t, r, "procpool", 2).Summary; math.Abs(*g.Speedup-1.0/0.6) > 1e-12 {
				t.Errorf("procpool speedup = %v, want 1/0.6 against sequential", *g.Speedup)
			}
			if ps := findCell(t, r, "py-sequential", 1).Summary; ps.Speedup == nil || *ps.Speedup != 1 {
				t.Errorf("py-sequential against itself: speedup %s, want 1", show(ps.Speedup))
			}
		})
	}
}

func TestPyCellWithoutPySequential(t *testing.T) {
	r := &runfile.Run{Models: pyModels(), Cells: []runfile.Cell{
		cellWith("sequential", 1, 48, 1_000_000, 1_000_000, 1_000_000),
		cellWith("py-pool", 2, 48, 21_000_000, 21_000_000, 21_000_000),
	}}
	Summarize(r)
	c := findCell(t, r, "py-pool", 2)
	if s := c.Summary; s.Speedup != nil || s.Efficiency != nil || s.OverheadNsPerTask != nil {
		t.Errorf("py-pool without py-sequential: speedup %s efficiency %s overhead %s, want null", show(s.Speedup), show(s.Efficiency), show(s.OverheadNsPerTask))
	}
	if w := strings.Join(c.Warnings, "; "); !strings.Contains(w, "no py-sequential baseline") {
		t.Errorf("warnings = %q, want a note that py-sequential is missing", w)
	}
}

func TestPlanMeasuresEachFamilysBaseline(t *testing.T) {
	reg := models.Registry{sequential.New(), py.Sequential(), py.Pool()}
	for _, tt := range []struct {
		name   string
		models []string
		want   []string
	}{
		{"go only", []string{"sequential"}, []string{"sequential"}},
		{"a py model", []string{"py-pool"}, []string{"sequential", "py-sequential"}},
		{"py-sequential asked for", []string{"py-pool", "py-sequential"}, []string{"sequential", "py-sequential"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlan(tt.models...)
			p.Workloads, p.Cores = []string{"cpu"}, []int{2}
			var got []string
			for _, s := range p.CellSpecs(reg) {
				if s.Cores == 1 {
					got = append(got, s.Model)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("cells at c = 1 (cores 2 asked for): %v, want %v", got, tt.want)
			}
		})
	}
}
