package render

import (
	"image/color"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"gonum.org/v1/plot"
)

// cellsByKey indexes a run's cells.
func cellsByKey(r *runfile.Run) map[string]*runfile.Cell {
	m := map[string]*runfile.Cell{}
	for i := range r.Cells {
		m[r.Cells[i].Key()] = &r.Cells[i]
	}
	return m
}

// TestCoreSeriesAreTheFile checks that every point drawn against cores is
// the figure of its cell in the run file, and that every passing cell is
// drawn once.
func TestCoreSeriesAreTheFile(t *testing.T) {
	for _, name := range []string{"sample.json", "synthetic.json", "oversub.json"} {
		r := loadFixture(t, name)
		cells := cellsByKey(r)
		for _, wl := range reports.Workloads(r) {
			drawn := map[string]int{}
			for _, m := range []Metric{ComputeTime, Speedup, Efficiency} {
				for _, s := range CoreSeries([]*runfile.Run{r}, wl, m) {
					for i, p := range s.Points {
						if i > 0 && s.Points[i-1].Cores >= p.Cores {
							t.Errorf("%s %s %s: points not in increasing core order", name, wl, s.Model)
						}
						key := (&runfile.Cell{Workload: wl, Model: s.Model, Cores: p.Cores}).Key()
						c, ok := cells[key]
						if !ok {
							t.Fatalf("%s: point %s has no cell", name, key)
						}
						sm := c.Summary
						var want, lo, hi float64
						switch m {
						case ComputeTime:
							want, lo, hi = sm.MedianNs, sm.CILowNs, sm.CIHighNs
							drawn[key]++
						case Speedup, Efficiency:
							v := sm.Speedup
							if m == Efficiency {
								v = sm.Efficiency
							}
							want = 1 // sequential against itself
							if v != nil {
								want = *v
							} else if s.Model != "sequential" {
								t.Errorf("%s %s: drawn without a figure in the file", name, key)
							}
							lo, hi = want, want
						}
						if p.Y != want || p.Low != lo || p.High != hi {
							t.Errorf("%s %s metric %d: got %v [%v, %v], want %v [%v, %v]", name, key, m, p.Y, p.Low, p.High, want, lo, hi)
						}
						hol, _ := hollow(c)
						if p.Hollow != hol {
							t.Errorf("%s %s: hollow %v, want %v", name, key, p.Hollow, hol)
						}
					}
				}
			}
			for k, c := range cells {
				if c.Workload == wl && reports.Drawable(c) && drawn[k] != 1 {
					t.Errorf("%s: cell %s drawn %d times on the time chart, want 1", name, k, drawn[k])
				}
			}
		}
	}
}

func TestCoreSeriesMissingAndHollow(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	got := map[string][]Gap{}
	hollowAt := map[string][]int{}
	for _, s := range CoreSeries([]*runfile.Run{r}, "cpu", ComputeTime) {
		got[s.Model] = s.Missing
		for _, p := range s.Points {
			if p.Hollow {
				hollowAt[s.Model] = append(hollowAt[s.Model], p.Cores)
				if !strings.HasPrefix(p.Why, "noisy, CV ") {
					t.Errorf("%s c=%d: why %q", s.Model, p.Cores, p.Why)
				}
			}
		}
	}
	want := map[string][]Gap{"shm-lock": {{8, "failed"}}, "manager": {{4, "not measured"}}}
	for m, gaps := range got {
		if !slices.Equal(gaps, want[m]) {
			t.Errorf("%s: missing %v, want %v", m, gaps, want[m])
		}
	}
	if len(hollowAt) != 1 || !slices.Equal(hollowAt["queue"], []int{8}) {
		t.Errorf("hollow cells %v, want queue at 8 only", hollowAt)
	}

	o := loadFixture(t, "oversub.json")
	for _, s := range CoreSeries([]*runfile.Run{o}, "pow", Speedup) {
		for _, p := range s.Points {
			if wantH := s.Model == "goroutines" && p.Cores == 4; p.Hollow != wantH || wantH && p.Why != "oversubscribed" {
				t.Errorf("oversub %s c=%d: hollow %v %q", s.Model, p.Cores, p.Hollow, p.Why)
			}
		}
	}
}

func TestSegmentsBreakAtMissingCores(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	for _, s := range CoreSeries([]*runfile.Run{r}, "square", ComputeTime) {
		var lens []int
		for _, seg := range segments(s) {
			lens = append(lens, len(seg))
		}
		want := []int{len(s.Points)}
		if s.Model == "manager" {
			want = []int{2, 1} // 1, 2 | 8
		}
		if !slices.Equal(lens, want) {
			t.Errorf("%s: segments of %v points, want %v", s.Model, lens, want)
		}
	}
}

func TestLargestBarsAreTheFile(t *testing.T) {
	r := loadFixture(t, "synthetic.json")
	cells := cellsByKey(r)
	bars := LargestBars([]*runfile.Run{r}, "cpu")
	var models []string
	for _, b := range bars {
		models = append(models, b.Model)
		wantCores := 8
		if b.Model == "sequential" {
			wantCores = 1
		}
		if b.Cores != wantCores {
			t.Errorf("%s at c = %d, want %d", b.Model, b.Cores, wantCores)
		}
		c := cells[(&runfile.Cell{Workload: "cpu", Model: b.Model, Cores: b.Cores}).Key()]
		s := c.Summary
		if b.Setup != s.SetupNs || b.Compute != s.MedianNs || b.Teardown != s.TeardnNs || b.Overhead != s.OverheadNsPerTask {
			t.Errorf("%s: bar %+v does not hold the summary %+v", b.Model, b, s)
		}
		if len(b.Trials) != len(c.Trials) {
			t.Fatalf("%s: %d trials, want %d", b.Model, len(b.Trials), len(c.Trials))
		}
		for i, tr := range c.Trials {
			if b.Trials[i] != float64(tr.ComputeNs) {
				t.Errorf("%s trial %d: %v, want %v", b.Model, i, b.Trials[i], tr.ComputeNs)
			}
		}
	}
	want := []string{"sequential", "goroutines", "procpool", "procpool-async", "pipe", "queue", "shm", "manager", "manager-batch"}
	if !slices.Equal(models, want) {
		t.Errorf("bars of %v, want %v", models, want)
	}
	if got := Absent([]*runfile.Run{r}, "cpu"); len(got) != 1 || !slices.Equal(got[0], []string{"shm-lock"}) {
		t.Errorf("absent %v, want [[shm-lock]]", got)
	}
}

func TestLargestBarsOverlayGroupsByModel(t *testing.T) {
	a, b := loadFixture(t, "sample.json"), loadFixture(t, "synthetic.json")
	var got []string
	for _, bar := range LargestBars([]*runfile.Run{a, b}, "cpu") {
		got = append(got, bar.Model+"/"+string(rune('a'+bar.Run)))
	}
	want := []string{"sequential/a", "sequential/b", "goroutines/a", "goroutines/b", "procpool/b", "procpool-async/b",
		"pipe/b", "queue/b", "shm/b", "manager/b", "manager-batch/b"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestVerdict(t *testing.T) {
	cases := []struct {
		name, fixture, wl, want string
	}{
		{"sample cpu", "sample.json", "cpu", "cpu at c = 2: goroutines is fastest (median 6.68ms, 1.97× sequential); goroutines has the lowest overhead per task (4.78µs)."},
		{"synthetic square", "synthetic.json", "square", "square at c = 8: goroutines is fastest (median 54.2µs, 1.92× sequential); goroutines has the lowest overhead per task (3.30ns)."},
		{"oversub", "oversub.json", "pow", "pow at c = 4: goroutines is fastest (median 221µs, 1.76× sequential); goroutines has the lowest overhead per task (4.93ns)."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Verdict(loadFixture(t, c.fixture), c.wl); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	seqOnly := &runfile.Run{Cells: []runfile.Cell{loadFixture(t, "sample.json").Cells[0]}}
	if got, want := Verdict(seqOnly, "cpu"), "cpu at c = 1: sequential is fastest (median 13.1ms); no model has an overhead figure (no parallel model with a sequential baseline)."; got != want {
		t.Errorf("sequential only: got %q, want %q", got, want)
	}
}

func TestModelStyles(t *testing.T) {
	known := []string{"sequential", "goroutines", "procpool", "procpool-async", "pipe", "queue", "shm", "shm-lock",
		"manager", "manager-batch", "py-sequential", "py-pool", "py-pool-async", "py-pipe", "py-queue", "py-shm-lock", "py-manager"}
	colours := map[color.RGBA]string{}
	for _, m := range known {
		st, ok := modelStyles[m]
		if !ok {
			t.Errorf("%s has no fixed style", m)
		}
		if other, dup := colours[st.Color]; dup {
			t.Errorf("%s and %s share a colour", m, other)
		}
		colours[st.Color] = m
		if ModelStyle(m) != st {
			t.Errorf("%s: ModelStyle differs from the table", m)
		}
	}
	// Go models have ten different markers.
	var shapes []Shape
	for _, m := range known[:10] {
		if slices.Contains(shapes, modelStyles[m].Marker) {
			t.Errorf("%s repeats a marker", m)
		}
		shapes = append(shapes, modelStyles[m].Marker)
	}
	for _, name := range []string{"threads", "py-other", "x"} {
		a, b := ModelStyle(name), ModelStyle(name)
		if a != b || a.Marker < 0 || a.Marker >= numShapes {
			t.Errorf("%s: fallback style %v is not stable", name, a)
		}
	}
}

func TestTicks(t *testing.T) {
	labels := func(ts []plot.Tick) []string {
		var out []string
		for _, tk := range ts {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		ticker plot.Ticker
		lo, hi float64
		want   []string
	}{
		{"linear 0..14", linTicks{num}, 0, 14, []string{"0", "2", "4", "6", "8", "10", "12", "14"}},
		{"linear 0..1.7", linTicks{num}, 0, 1.7, []string{"0", "0.25", "0.5", "0.75", "1", "1.25", "1.5"}},
		{"log ns..s", logTicks{durTick}, 50, 5e9, []string{"100ns", "1µs", "10µs", "100µs", "1ms", "10ms", "100ms", "1s"}},
		{"log narrow", logTicks{durTick}, 2e6, 2e7, []string{"2ms", "3ms", "4ms", "5ms", "6ms", "8ms", "10ms", "20ms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := labels(c.ticker.Ticks(c.lo, c.hi)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	if lo, hi := logRange(53e3, 2.6e9); lo != 5e4 || hi != 5e9 {
		t.Errorf("logRange: %v..%v, want 5e4..5e9", lo, hi)
	}
}
