package render

import (
	"bytes"
	"fmt"
	"github.com/mpbench/mpbench/reports"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

// attributionChartOf returns the attribution chart of wl in r.
func attributionChartOf(t *testing.T, r *runfile.Run, wl string) *Chart {
	t.Helper()
	v := &view{runs: []*runfile.Run{r}, labels: []string{"run"}, wl: wl}
	for _, c := range v.charts() {
		if strings.HasSuffix(c.File, "-attribution.png") {
			return c
		}
	}
	t.Fatal("no attribution chart")
	return nil
}

// TestAttributionChart draws the synthetic run's cpu workload at c = 8:
// every model with a baseline has a bar whose segments lie end to end
// from 0 and reach exactly the lost time, queue (no accounts) says that
// withheld is absent, and the PNG is whole (shm-lock failed at c = 8).
func TestAttributionChart(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	c := attributionChartOf(t, r, "cpu")
	if c.fig.empty != "" {
		t.Fatalf("empty: %s", c.fig.empty)
	}
	bars := 0
	for _, b := range LargestBars([]*runfile.Run{r}, "cpu") {
		a := b.Attribution
		if r.IsBaseline(b.Model) || a == nil {
			continue
		}
		bars++
		segs := attributionSegments(a)
		right, left := 0.0, 0.0
		for _, s := range segs {
			if s.neg {
				if s.to != left {
					t.Errorf("%s: %s starts at %v, want %v", b.Model, s.name, s.to, left)
				}
				left = s.from
			} else {
				if s.from != right {
					t.Errorf("%s: %s starts at %v, want %v", b.Model, s.name, s.from, right)
				}
				right = s.to
			}
		}
		if got := right + left; math.Abs(got-a.LostNsPerTask) > 1e-6*math.Abs(a.LostNsPerTask) {
			t.Errorf("%s: segments reach %v, want the lost %v", b.Model, got, a.LostNsPerTask)
		}
		if segs[len(segs)-1].name != runfile.PartRemainder {
			t.Errorf("%s: last segment %s, want the remainder", b.Model, segs[len(segs)-1].name)
		}
	}
	if bars != 8 {
		t.Errorf("%d bars, want one per parallel model that passed at c = 8 (8)", bars)
	}
	text := strings.Join(c.Caption, " ")
	if !strings.Contains(text, "queue: CPU capacity withheld (the model keeps no worker accounts)") {
		t.Errorf("caption does not say queue has no withheld part: %s", text)
	}
	// The fixture predates chunk times (no passes, no edge_idle_ns): every
	// model's idle_edges is absent; no other part of procpool may be.
	if strings.Contains(strings.ReplaceAll(text, "procpool: workers idle at the ends of a pass", ""), "procpool: ") {
		t.Errorf("caption names an absent part of procpool: %s", text)
	}
	var buf bytes.Buffer
	if err := c.fig.writePNG(&buf); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, c.File, buf.Bytes())
}

// TestAttributionChartSaysWhenPartsExceed crafts a run whose procpool
// parts add up to more than its lost time: the caption names it with the
// excess, and its remainder segment lies left of 0, not clipped.
func TestAttributionChartSaysWhenPartsExceed(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	var a *runfile.Attribution
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload == "cpu" && c.Model == "procpool" && c.Cores == 8 {
			a = c.Summary.Attribution
		}
	}
	faults := a.Part(runfile.PartPageFaults)
	v := *faults.NsPerTask + a.LostNsPerTask // one part alone beyond the lost time
	faults.NsPerTask = &v
	a.RemainderNsPerTask -= a.LostNsPerTask
	a.Exceeds = true
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	c := attributionChartOf(t, r, "cpu")
	text := strings.Join(c.Caption, " ")
	if !strings.Contains(text, "more than the lost time") || !strings.Contains(text, "procpool by") {
		t.Errorf("caption does not name procpool's excess: %s", text)
	}
	segs := attributionSegments(a)
	if last := segs[len(segs)-1]; last.name != runfile.PartRemainder || !last.neg || math.Abs(last.value()-a.RemainderNsPerTask) > 1e-6 {
		t.Errorf("remainder segment %+v, want %v left of 0", last, a.RemainderNsPerTask)
	}
}

// TestSpeedupChartDrawsCeilings checks that every speedup point of a model
// with accounts carries its cell's ceiling, that the chart's caption and
// legend explain the crosses, and that a run without accounts (sample.json
// predates them) draws none and says nothing of them.
func TestSpeedupChartDrawsCeilings(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	for _, s := range CoreSeries([]*runfile.Run{r}, "cpu", Speedup) {
		for _, p := range s.Points {
			var want *float64
			for i := range r.Cells {
				c := &r.Cells[i]
				if c.Workload == "cpu" && c.Model == s.Model && c.Cores == p.Cores {
					want = c.Summary.CeilingSpeedup
				}
			}
			if (p.Ceiling == nil) != (want == nil) || p.Ceiling != nil && *p.Ceiling != *want {
				t.Errorf("%s c = %d: ceiling %v, want %v", s.Model, p.Cores, p.Ceiling, want)
			}
			if s.Model == "procpool" && p.Ceiling == nil {
				t.Errorf("procpool c = %d: no ceiling", p.Cores)
			}
		}
	}
	for _, tc := range []struct {
		fixture string
		want    bool
	}{{"synthetic.json", true}, {"sample.json", false}} {
		v := &view{runs: []*runfile.Run{loadFixture(t, tc.fixture)}, labels: []string{"run"}, wl: "cpu"}
		c := v.speedupChart()
		text := strings.Join(c.Caption, " ")
		if got := strings.Contains(text, "ceiling"); got != tc.want {
			t.Errorf("%s: caption mentions the ceiling: %v, want %v", tc.fixture, got, tc.want)
		}
		legend := false
		for _, l := range c.fig.legend {
			legend = legend || strings.Contains(l.label, "ceiling")
		}
		if legend != tc.want {
			t.Errorf("%s: legend has the ceiling: %v, want %v", tc.fixture, legend, tc.want)
		}
	}
}

// TestCeilingSentences checks the index's sentence per model at the
// largest core count: speedup, effective cores, share of the ceiling,
// the threads' effective cores and the unexplained share, and that a
// suspect cell is flagged and given no share of its ceiling.
func TestCeilingSentences(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	var pp *runfile.Cell
	for i := range r.Cells {
		if c := &r.Cells[i]; c.Workload == "cpu" && c.Model == "procpool" && c.Cores == 8 {
			pp = c
		}
	}
	sm := pp.Summary
	want := fmt.Sprintf("procpool %s× at c = 8; the 8 CPUs gave %.2f effective cores while it ran (%.0f %% of its ceiling); threads got 7.93 of 8.0; of the %s it lost a task, %.0f %% is unexplained.",
		reports.Sig3(*sm.Speedup), *sm.EffectiveCores, 100**sm.OfCeiling, reports.Duration(sm.Attribution.LostNsPerTask), 100*sm.Attribution.RemainderNsPerTask/sm.Attribution.LostNsPerTask)
	lines := CeilingSentences(r, "cpu")
	if !slices.Contains(lines, want) {
		t.Errorf("no sentence\n%s\namong\n%s", want, strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "queue ") || strings.HasPrefix(l, "sequential ") {
			t.Errorf("sentence for a model without accounts or the baseline: %s", l)
		}
	}
	hi := 1.2
	sm.OfCeilingCILow = &hi
	for _, l := range CeilingSentences(r, "cpu") {
		if strings.HasPrefix(l, "procpool ") {
			if !strings.Contains(l, "suspect") || strings.Contains(l, "of its ceiling)") {
				t.Errorf("suspect cell not flagged, or given a share: %s", l)
			}
		}
	}
}
