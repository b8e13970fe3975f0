package render

import (
	"image/color"
	"maps"
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
						hol, _, _ := hollow(c)
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

func TestMarkerNames(t *testing.T) {
	seen := map[Shape]string{}
	for _, name := range runfile.Markers {
		s, ok := markerShapes[name]
		if !ok {
			t.Errorf("marker %q of the run file has no shape", name)
			continue
		}
		if other, dup := seen[s]; dup {
			t.Errorf("markers %q and %q draw the same shape", name, other)
		}
		seen[s] = name
	}
	if len(markerShapes) != len(runfile.Markers) || len(seen) != int(numShapes) {
		t.Errorf("%d shapes, %d names here, %d in the run file: want one name per shape", numShapes, len(markerShapes), len(runfile.Markers))
	}
}

// recorded is a run file that records its models, as mpbench run does.
func recorded() *runfile.Run {
	return &runfile.Run{
		Config: runfile.Config{Models: []string{"sequential", "goroutines"}},
		Models: []runfile.ModelInfo{
			{Name: "sequential", Family: "go", Color: "#222222", Marker: "circle"},
			{Name: "goroutines", Family: "go", Color: "#0072B2", Marker: "square"},
			{Name: "broken", Family: "go", Color: "blue", Marker: "square"},
		},
	}
}

func TestPaletteFromRunFile(t *testing.T) {
	p := newPalette([]*runfile.Run{recorded()})
	for _, c := range []struct {
		model string
		want  Style
	}{
		{"sequential", Style{rgb(0x222222), Circle}},
		{"goroutines", Style{rgb(0x0072B2), Square}},
	} {
		if got := p.style(c.model); got != c.want {
			t.Errorf("%s: got %v, want %v, what the run file records", c.model, got, c.want)
		}
	}
	if got := p.style("broken"); got.Color == rgb(0x0072B2) || got != p.style("broken") {
		t.Errorf("broken (colour %q): got %v, want a stable fallback of a colour no other model has", "blue", got)
	}
}

// TestPaletteFallback checks the styles of run files that record no
// models: stable, independent of the order of runs, one colour per model
// while the palette lasts, and the overlay of an old run on a new one
// keeps the new run's styles.
func TestPaletteFallback(t *testing.T) {
	old := loadFixture(t, "synthetic.json") // ten models, none recorded
	if len(old.Models) != 0 {
		t.Fatal("synthetic.json records its models; this test needs a run file that does not")
	}
	p := newPalette([]*runfile.Run{old})
	if len(p) != 10 {
		t.Fatalf("%d styles for ten models", len(p))
	}
	colours := map[color.RGBA]string{}
	for m, st := range p {
		if other, dup := colours[st.Color]; dup {
			t.Errorf("%s and %s share colour %v", m, other, st.Color)
		}
		colours[st.Color] = m
		if st.Marker < 0 || st.Marker >= numShapes {
			t.Errorf("%s: marker %d", m, st.Marker)
		}
	}
	if again := newPalette([]*runfile.Run{old}); !maps.Equal(p, again) {
		t.Error("the fallback palette differs from one call to the next")
	}
	// A model alone gets the style its name hashes to.
	if got, want := newPalette([]*runfile.Run{{Config: runfile.Config{Models: []string{"x"}}}}).style("x"), (palette{}).fallback("x"); got != want {
		t.Errorf("x alone: got %v, want %v", got, want)
	}

	newer := recorded()
	for _, runs := range [][]*runfile.Run{{newer, old}, {old, newer}} {
		p := newPalette(runs)
		if got := p.style("goroutines"); got != (Style{rgb(0x0072B2), Square}) {
			t.Errorf("goroutines overlaid on an old run: got %v, want the style the newer run records", got)
		}
		for m, st := range p {
			if m != "goroutines" && st.Color == rgb(0x0072B2) {
				t.Errorf("%s takes goroutines' colour", m)
			}
		}
	}
	if !maps.Equal(newPalette([]*runfile.Run{newer, old}), newPalette([]*runfile.Run{old, newer})) {
		t.Error("the palette depends on the order of the runs")
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
