package compare

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// runOf returns a run of cells on host, each with the median of its
// compute times as its summary.
func runOf(host string, cells ...runfile.Cell) *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Env: runfile.Env{Host: host, CPUModel: "cpu"}, Config: runfile.Config{Scaling: "strong"}, Cells: cells}
	for i := range r.Cells {
		c := &r.Cells[i]
		c.Summary = &runfile.Summary{MedianNs: stats.Summarize(c.ComputeTimes()).Median}
	}
	return r
}

func cellWith(model string, cores, tasks int, ns ...int64) runfile.Cell {
	c := runfile.Cell{Workload: "w", Model: model, Cores: cores, Tasks: tasks}
	for _, x := range ns {
		c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x})
	}
	return c
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func timesAround(seed uint64, n int, center, spread float64) []int64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(center * (1 + spread*(2*rng.Float64()-1)))
	}
	return out
}

func TestCompareVerdicts(t *testing.T) {
	const ms = 1e6
	old := runOf("h",
		cellWith("sequential", 1, 10, timesAround(1, 10, 10*ms, 0.01)...),
		cellWith("same", 2, 10, timesAround(2, 10, 10*ms, 0.02)...),
		cellWith("slow", 2, 10, timesAround(3, 10, 10*ms, 0.01)...),
		cellWith("bitslow", 2, 10, timesAround(4, 10, 10*ms, 0.01)...),
		cellWith("fast", 2, 10, timesAround(5, 10, 10*ms, 0.01)...),
		cellWith("gone", 2, 10, 1, 2, 3),
	)
	new := runOf("h",
		cellWith("sequential", 1, 10, timesAround(11, 10, 10*ms, 0.01)...),
		cellWith("same", 2, 10, timesAround(12, 10, 10*ms, 0.02)...),
		cellWith("slow", 2, 10, timesAround(13, 10, 13*ms, 0.01)...),       // +30 %
		cellWith("bitslow", 2, 10, timesAround(14, 10, 10.2*ms, 0.002)...), // +2 %: within 5 %
		cellWith("fast", 2, 10, timesAround(15, 10, 7*ms, 0.01)...),
		cellWith("added", 2, 10, 1, 2, 3),
	)
	cmp, err := Runs(old, new, Options{Alpha: 0.05, Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		verdict    string
		regression bool
	}{
		"w/sequential/1": {VerdictSame, false},
		"w/same/2":       {VerdictSame, false},
		"w/slow/2":       {VerdictSlower, true},
		"w/bitslow/2":    {VerdictSlower, false},
		"w/fast/2":       {VerdictFaster, false},
		"w/gone/2":       {VerdictOnlyOld, true}, // missing from the new run
		"w/added/2":      {VerdictOnlyNew, false},
	}
	if len(cmp.Rows) != len(want) || cmp.Tested != 5 {
		t.Fatalf("%d rows, %d tested; want %d and 5", len(cmp.Rows), cmp.Tested, len(want))
	}
	for _, r := range cmp.Rows {
		w := want[r.Key]
		if r.Verdict != w.verdict || r.Regression != w.regression {
			t.Errorf("%s: verdict %q regression %v (change %+.3f, p %.4f, holm %.4f, CI %v..%v); want %q %v",
				r.Key, r.Verdict, r.Regression, r.Change, r.P, r.PHolm, deref(r.ChangeLow), deref(r.ChangeHigh), w.verdict, w.regression)
		}
		if r.tested && (r.PHolm < r.P || r.ChangeLow == nil || *r.ChangeLow > *r.ChangeHigh) {
			t.Errorf("%s: p %v holm %v CI %v..%v", r.Key, r.P, r.PHolm, deref(r.ChangeLow), deref(r.ChangeHigh))
		}
	}
	if fast := cmp.Rows[4]; !fast.Improvement {
		t.Errorf("fast: not an improvement: %+v", fast)
	}
	if regs := cmp.Regressions(); len(regs) != 2 || regs[0].Key != "w/slow/2" || regs[1].Key != "w/gone/2" {
		t.Errorf("regressions %v", regs)
	}
	if s := cmp.String(); !strings.Contains(s, "5 cells tested") || !strings.Contains(s, "1 only in old run") {
		t.Errorf("summary %q", s)
	}
	// A threshold wider than the change: significant, but no regression
	// (the missing cell still is one).
	cmp, _ = Runs(old, new, Options{Threshold: 0.5})
	if regs := cmp.Regressions(); len(regs) != 1 || regs[0].Key != "w/gone/2" {
		t.Errorf("threshold 50%%: regressions %v", cmp.Regressions())
	}
	// Different machines are flagged.
	other := runOf("elsewhere", new.Cells...)
	cmp, _ = Runs(old, other, Options{})
	if len(cmp.Warnings) != 1 || !strings.Contains(cmp.Warnings[0], "different machines") {
		t.Errorf("warnings %q", cmp.Warnings)
	}
	for _, bad := range []Options{{Alpha: 2}, {Threshold: -0.1}} {
		if _, err := Runs(old, new, bad); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err = %v, want ErrOptions", bad, err)
		}
	}
}

func TestCompareHolmRemovesChanceFindings(t *testing.T) {
	// 40 cells drawn from one distribution in both runs: uncorrected, a
	// few p-values fall under 0.05 by chance; after Holm none may. (With
	// a ±5 % spread, 10 trials cannot show 5 % at 0.05/40: inconclusive.)
	var a, b []runfile.Cell
	for i := range 40 {
		m := "m" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		a = append(a, cellWith(m, 2, 10, timesAround(uint64(100+i), 10, 1e6, 0.05)...))
		b = append(b, cellWith(m, 2, 10, timesAround(uint64(200+i), 10, 1e6, 0.05)...))
	}
	cmp, _ := Runs(runOf("h", a...), runOf("h", b...), Options{})
	raw := 0
	for _, r := range cmp.Rows {
		if r.P <= 0.05 {
			raw++
		}
		if r.Verdict != VerdictSame && r.Verdict != VerdictInconclusive {
			t.Errorf("%s: %s (p %.4f, holm %.4f)", r.Key, r.Verdict, r.P, r.PHolm)
		}
	}
	t.Logf("%d of 40 uncorrected p-values ≤ 0.05", raw)
}

// TestCompareTooFewTrialsIsInconclusive: 5 trials per cell and 10 cells,
// every time doubled in the new run. A 5-vs-5 U test cannot give p below
// 2/252 ≈ 0.008 and Holm over 10 cells needs 0.005, so no cell can be
// significant; none may then say "no significant change".
func TestCompareTooFewTrialsIsInconclusive(t *testing.T) {
	for _, trials := range []int{5, 6, 10} {
		t.Run(fmt.Sprint(trials), func(t *testing.T) {
			var a, b []runfile.Cell
			for i := range 10 {
				m := fmt.Sprintf("m%d", i)
				ns := timesAround(uint64(300+i), trials, 1e7, 0.03)
				doubled := make([]int64, len(ns))
				for j, x := range ns {
					doubled[j] = 2 * x
				}
				a = append(a, cellWith(m, 2, 10, ns...))
				b = append(b, cellWith(m, 2, 10, doubled...))
			}
			cmp, err := Runs(runOf("h", a...), runOf("h", b...), Options{Threshold: 0.05})
			if err != nil {
				t.Fatal(err)
			}
			caught := 0
			for _, r := range cmp.Rows {
				switch {
				case r.Verdict == VerdictSlower && r.Regression:
					caught++
				case r.Verdict == VerdictInconclusive:
					if trials == 5 && r.MinDetectable != nil {
						t.Errorf("%s: detectable change %v with 5+5 trials at 0.005", r.Key, *r.MinDetectable)
					}
				default:
					t.Errorf("%s: %q (p %.4f, holm %.4f, min p %.4f), want inconclusive or a regression", r.Key, r.Verdict, r.P, r.PHolm, r.MinP)
				}
			}
			switch {
			case trials == 5 && (caught != 0 || len(cmp.Warnings) != 1 || !strings.Contains(cmp.Warnings[0], "at least 6 trials per cell")):
				t.Errorf("5 trials: %d caught, warnings %q", caught, cmp.Warnings)
			case trials == 10 && caught != 10:
				t.Errorf("10 trials: %d of 10 caught", caught)
			}
		})
	}
	// A copy of the run against itself: with enough trials and little
	// spread, unchanged cells say so.
	var a []runfile.Cell
	for i := range 10 {
		a = append(a, cellWith(fmt.Sprintf("m%d", i), 2, 10, timesAround(uint64(400+i), 10, 1e7, 0.002)...))
	}
	cmp, _ := Runs(runOf("h", a...), runOf("h", a...), Options{Threshold: 0.05})
	for _, r := range cmp.Rows {
		if r.Verdict != VerdictSame || r.MinDetectable == nil || *r.MinDetectable > 0.05 {
			t.Errorf("%s against itself: %q, detectable %v", r.Key, r.Verdict, deref(r.MinDetectable))
		}
	}
}

func TestCompareFailedOrMissingNewCellRegresses(t *testing.T) {
	ok := func(m string) runfile.Cell { return cellWith(m, 2, 10, timesAround(7, 10, 1e7, 0.01)...) }
	failed := func(m string) runfile.Cell {
		c := cellWith(m, 2, 10)
		c.Error = "workload w, model " + m + ", cores 2: checksum mismatch"
		return c
	}
	old := runOf("h", ok("kept"), ok("broke"), ok("gone"), failed("wasbroken"), failed("stillbroken"))
	new := runOf("h", ok("kept"), failed("broke"), ok("wasbroken"), failed("stillbroken"))
	cmp, err := Runs(old, new, Options{Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		verdict    string
		regression bool
	}{
		"w/kept/2":        {VerdictSame, false},
		"w/broke/2":       {VerdictFailedNew, true},
		"w/gone/2":        {VerdictOnlyOld, true},
		"w/wasbroken/2":   {VerdictUntested, false},
		"w/stillbroken/2": {VerdictUntested, false},
	}
	for _, r := range cmp.Rows {
		if w := want[r.Key]; r.Verdict != w.verdict || r.Regression != w.regression {
			t.Errorf("%s: %q regression %v, want %q %v", r.Key, r.Verdict, r.Regression, w.verdict, w.regression)
		}
	}
	if r := cmp.Rows[1]; len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "checksum mismatch") {
		t.Errorf("broke: notes %q, want the new run's error", r.Notes)
	}
}
