package harness

import (
	"math"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// TestSummarizeFits checks the fits of a run: one per model but
// sequential, relative to the model's own c = 1 cell, oversubscribed cells
// left out and said so.
func TestSummarizeFits(t *testing.T) {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong"}}
	const t1 = 1_000_000
	r.Cells = append(r.Cells, cellWith("sequential", 1, 100, t1, t1, t1))
	for _, c := range []int{1, 2, 4, 8} {
		tc := int64(float64(t1) * 1.1 / stats.Amdahl(0.1, float64(c)))
		r.Cells = append(r.Cells, cellWith("m", c, 100, tc, tc, tc))
	}
	r.Cells = append(r.Cells, cellWith("two", 1, 100, t1, t1, t1), cellWith("two", 2, 100, t1/2, t1/2, t1/2))
	over := cellWith("m", 16, 100, t1/2, t1/2, t1/2)
	over.Oversubscribed = true
	r.Cells = append(r.Cells, over)
	Summarize(r)
	if len(r.Fits) != 2 {
		t.Fatalf("%d fits, want 2 (m and two; none for sequential)", len(r.Fits))
	}
	m := r.Fits[0]
	if m.Model != "m" || !m.Available || m.Basis != runfile.BasisRelative || !within(m.Amdahl.Serial, 0.1, 0.01) {
		t.Errorf("fit of m: %+v", m)
	}
	if len(m.Points) != 4 || !strings.Contains(strings.Join(m.Notes, ";"), "1 oversubscribed cell(s) left out") {
		t.Errorf("m: %d points, notes %q", len(m.Points), m.Notes)
	}
	if two := r.Fits[1]; two.Available || !strings.Contains(two.Reason, "has 2") {
		t.Errorf("fit of two: %+v", two)
	}
}

// within reports whether got is within frac of want.
func within(got, want, frac float64) bool { return math.Abs(got-want) <= frac*math.Abs(want) }

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
