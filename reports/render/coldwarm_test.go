package render

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

// coldFactor is each model's cold pass over its warm pass in passesRun.
var coldFactor = map[string]float64{"sequential": 1.1, "goroutines": 1.5, "procpool": 4, "manager": 1.25}

// passesRun is a run with cold and warm passes (testdata/passes.json):
// square on 1 and 2 cores, each cell's cold pass coldFactor times its warm
// pass, K = 20, a manager whose pass is 400× goroutines' (a log axis),
// a noisy procpool at c = 2 and a manager that failed at c = 2.
func passesRun() *runfile.Run {
	r := &runfile.Run{
		Schema: runfile.Schema, Version: runfile.SchemaVersion,
		Env: runfile.Env{
			Host: "small", CPUModel: "Intel(R) Xeon(R) Processor", LogicalCPUs: 2, AllowedCPUs: "0-1",
			Kernel: "Linux 6.18.44", OS: "linux", Arch: "amd64", GoVersion: "go1.26.8", Version: "dev",
			CommandLine: []string{"mpbench", "run", "--cores", "1..2", "--workloads", "square", "--models", "sequential,goroutines,procpool,manager"},
		},
		Config: runfile.Config{
			Cores: []int{1, 2}, Models: []string{"sequential", "goroutines", "procpool", "manager"}, Workloads: []string{"square"},
			Scaling: "strong", Warmup: 2, Trials: 10, MinTimeNs: 10_000_000,
		},
		Status: "failed", Started: "2026-01-02T03:04:05Z", Finished: "2026-01-02T03:04:39Z",
	}
	add := func(model string, cores int, warm, cv, setup float64) {
		c := synthCell("square", model, cores, 20000, warm, cv, setup)
		c.Passes = 20
		for i := range c.Trials {
			c.Trials[i].Passes = 20
			c.Trials[i].ColdNs = int64(math.Round(float64(c.Trials[i].ComputeNs) * coldFactor[model]))
		}
		if model == "manager" && cores == 2 {
			c.Trials, c.Passes, c.Error = nil, 0, "manager: cell timed out after 5m0s"
		}
		r.Cells = append(r.Cells, c)
	}
	add("sequential", 1, 26e3, 0.02, 2e3)
	for _, c := range []int{1, 2} {
		cv := 0.02
		if c == 2 {
			cv = 0.2
		}
		add("goroutines", c, 27e3/float64(c), 0.02, 3e3*float64(c))
		add("procpool", c, 60e3/float64(c), cv, 2.5e6*float64(c))
		add("manager", c, 5.4e6/float64(c), 0.02, 9e6*float64(c))
	}
	harness.Summarize(r)
	return r
}

// TestColdWarmChart checks the rows, figures, scale and caption of the
// cold-versus-warm chart of a run with cold passes.
func TestColdWarmChart(t *testing.T) {
	r := loadFixture(t, "passes.json")
	v := &view{runs: []*runfile.Run{r}, labels: []string{"small"}, wl: "square"}
	rows, without := v.coldWarmRows()
	var got []string
	for _, row := range rows {
		got = append(got, row.Model)
		// Every trial's cold pass is coldFactor times its warm pass, so the
		// medians are too (to rounding).
		if want := coldFactor[row.Model]; math.Abs(row.Ratio()-want) > 1e-3 {
			t.Errorf("%s at c = %d: cold ÷ warm %v, want %v", row.Model, row.Cores, row.Ratio(), want)
		}
		if want := (row.Setup + row.Cold + row.Teardown) / row.Compute; row.OneOff() != want || row.OneOff() <= row.Ratio() {
			t.Errorf("%s: one-off %v, want %v (above cold ÷ warm %v)", row.Model, row.OneOff(), want, row.Ratio())
		}
		if wantCores := map[bool]int{true: 1, false: 2}[row.Model == "sequential"]; row.Cores != wantCores {
			t.Errorf("%s drawn at c = %d, want %d", row.Model, row.Cores, wantCores)
		}
	}
	if want := []string{"sequential", "goroutines", "procpool"}; !slices.Equal(got, want) || len(without) != 0 {
		t.Errorf("rows %v (without cold: %v), want %v: manager failed at c = 2", got, without, want)
	}
	c := v.coldWarmChart()
	if c == nil {
		t.Fatal("no chart for a run with cold passes")
	}
	if c.File != "square-coldwarm.png" {
		t.Errorf("file %q", c.File)
	}
	caption := strings.Join(c.Caption, " ")
	for _, w := range []string{"Is it worth keeping a pool alive?", "cold ÷ warm", "Hollow (noisy or oversubscribed): procpool at c = 2", "Missing: manager has no result at c = 2."} {
		if !strings.Contains(caption, w) {
			t.Errorf("caption %q lacks %q", caption, w)
		}
	}
	if strings.Contains(caption, "Log scale") {
		t.Errorf("caption %q: times within 20× drawn on a log scale", caption)
	}
	var buf bytes.Buffer
	if err := c.fig.writePNG(&buf); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, c.File, buf.Bytes())
}

// TestColdWarmChartOnlyWithColdPasses checks that runs from before cold
// passes get no cold-versus-warm chart, and that one with them gets it in
// its files and on both index pages, with its caption.
func TestColdWarmChartOnlyWithColdPasses(t *testing.T) {
	for _, name := range []string{"sample.json", "synthetic.json", "oversub.json"} {
		r := loadFixture(t, name)
		for _, wl := range r.Config.Workloads {
			if c := (&view{runs: []*runfile.Run{r}, labels: []string{"x"}, wl: wl}).coldWarmChart(); c != nil {
				t.Errorf("%s, %s: a cold-versus-warm chart without cold passes", name, wl)
			}
		}
	}
	files, err := Render(context.Background(), []*runfile.Run{loadFixture(t, "passes.json")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	pages := map[string][]byte{}
	for _, f := range files {
		names = append(names, f.Name)
		if f.Name == IndexMD || f.Name == IndexHTML {
			pages[f.Name] = f.Data
		}
	}
	if !slices.Contains(names, "square-coldwarm.png") {
		t.Fatalf("files %v lack square-coldwarm.png", names)
	}
	for name, page := range pages {
		for _, w := range []string{"square-coldwarm.png", "square: cold vs warm pass at the largest core count", "Is it worth keeping a pool alive?"} {
			if !bytes.Contains(page, []byte(w)) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}
}

// TestColdWarmLogScale checks that a multi-second cold pass beside
// microsecond ones puts the chart on a log axis, and says so.
func TestColdWarmLogScale(t *testing.T) {
	r := loadFixture(t, "passes.json")
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Model == "manager" && c.Cores == 1 {
			c.Cores, c.CPUs, c.Error = 2, "0-1", ""
		}
	}
	r.Cells = slices.DeleteFunc(r.Cells, func(c runfile.Cell) bool { return c.Model == "manager" && c.Failed() })
	harness.Summarize(r)
	c := (&view{runs: []*runfile.Run{r}, labels: []string{"small"}, wl: "square"}).coldWarmChart()
	if !strings.Contains(strings.Join(c.Caption, " "), "Log scale") {
		t.Errorf("caption %q: a 5 ms pass beside 13 µs ones on a linear axis", c.Caption)
	}
	var buf bytes.Buffer
	if err := c.fig.writePNG(&buf); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, c.File, buf.Bytes())
}
