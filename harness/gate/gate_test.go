package gate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// testRegistry is what this test binary serves as the cell runner:
// goroutines-slow is goroutines with three times its compute time slept
// after it, a model that regressed.
var testRegistry = models.Registry{sequential.New(), goroutines.New(), modeltest.Slow(goroutines.New(), 3)}

func TestMain(m *testing.M) { Main(m, testRegistry) }

func trialsAround(seed uint64, n int, center, spread float64) []runfile.Trial {
	rng := rand.New(rand.NewPCG(seed, 11))
	out := make([]runfile.Trial, n)
	for i := range out {
		out[i].ComputeNs = int64(center * math.Exp(spread*rng.NormFloat64()))
	}
	return out
}

// synth returns a summarized run with cpu cells: sequential at seqNs and
// goroutines at c = 2 at modelNs, n trials each.
func synth(seed uint64, seqNs, modelNs float64, n int) *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong", Trials: n}}
	r.Cells = []runfile.Cell{
		{Workload: "cpu", Model: "sequential", Cores: 1, Tasks: 48, Trials: trialsAround(seed, n, seqNs, 0.02)},
		{Workload: "cpu", Model: "goroutines", Cores: 2, Tasks: 48, Trials: trialsAround(seed+1, n, modelNs, 0.03)},
	}
	harness.Summarize(r)
	return r
}

func TestEvaluate(t *testing.T) {
	base := synth(1, 10e6, 5.2e6, 20)
	g2 := Cell{Workload: "cpu", Model: "goroutines", Cores: 2}
	all := []target{{g2, Speedup}, {g2, Efficiency}, {g2, Overhead}, {g2, Time}}
	opt := Options{AllowRace: true, MaxSlowdown: 0.10, Alpha: 0.05, MaxContention: 0.15}
	cases := []struct {
		name       string
		cur        *runfile.Run
		contention float64
		want       map[Figure]bool // regressed
		busy       bool
	}{
		{"same", synth(2, 10e6, 5.2e6, 20), 0.02, map[Figure]bool{}, false},
		{"model 40% slower", synth(3, 10e6, 7.3e6, 20), 0.02, map[Figure]bool{Speedup: true, Efficiency: true, Overhead: true, Time: true}, false},
		// A slower machine slows both cells: times regress, ratios do not.
		{"machine 40% slower", synth(4, 14e6, 7.3e6, 20), 0.02, map[Figure]bool{Time: true}, false},
		// Within the limit: significant, but the CI is not above 10 %.
		{"model 4% slower", synth(5, 10e6, 5.4e6, 20), 0.02, map[Figure]bool{}, false},
		{"busy", synth(6, 10e6, 7.3e6, 20), 0.5, map[Figure]bool{Speedup: true, Efficiency: true, Overhead: true, Time: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			contention := map[string]float64{"cpu/goroutines/2": c.contention, "cpu/sequential/1": 0}
			rows, err := evaluate(base, c.cur, all, contention, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Regressed != c.want[r.Figure] || r.Regressed && r.Busy != c.busy {
					t.Errorf("%s: regressed %v busy %v (slowdown %+.3f, CI %v..%v, p %.4f); want %v",
						r.Figure, r.Regressed, r.Busy, r.Slowdown, *r.CILow, *r.CIHigh, r.PHolm, c.want[r.Figure])
				}
			}
		})
	}
	// Too few trials for an interval: a gate can never fail on them.
	rows, _ := evaluate(synth(7, 10e6, 5e6, 3), synth(8, 10e6, 20e6, 3), all[:1], nil, opt)
	if rows[0].Regressed || !strings.Contains(strings.Join(rows[0].Notes, ";"), "too few trials") {
		t.Errorf("3 trials: %+v", rows[0])
	}
}

func TestTargets(t *testing.T) {
	base := synth(1, 10e6, 5e6, 5)
	o := Options{AllowRace: true, Baseline: "b.json", Figures: []Figure{Speedup}}
	got, err := o.targets(base, 2)
	if err != nil || len(got) != 1 || got[0].key() != "cpu/goroutines/2 speedup" {
		t.Fatalf("default targets %v, %v", got, err)
	}
	for _, bad := range []struct {
		cells []Cell
		want  string
	}{
		{[]Cell{{Workload: "cpu", Model: "goroutines", Cores: 4}}, "has no passing cell cpu/goroutines/4"},
		{[]Cell{{Workload: "cpu", Model: "sequential", Cores: 1}}, "gate its time instead"},
		{[]Cell{{Workload: "cpu", Model: "goroutines", Cores: 2, Figures: []Figure{"joy"}}}, `unknown figure "joy"`},
	} {
		o.Cells = bad.cells
		if _, err := o.targets(base, 2); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: err %v, want %q", bad.cells, err, bad.want)
		}
	}
}

// recorder is a testing.TB that records instead of failing, so a test can
// watch Check fail.
type recorder struct {
	testing.TB
	errors, skips []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recorder) Skipf(f string, a ...any)  { r.skips = append(r.skips, fmt.Sprintf(f, a...)) }

func needCPUs(t *testing.T, n int) {
	cpus, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) < n {
		t.Skipf("needs %d CPUs, this machine allows %d", n, len(cpus))
	}
}

// TestGateOnRealCells records a small baseline, gates against it, then
// gates goroutines-slow against goroutines' baseline and watches it fail.
func TestGateOnRealCells(t *testing.T) {
	needCPUs(t, 2)
	path := filepath.Join(t.TempDir(), "baseline.json")
	plan := &harness.Plan{
		Cores: []int{1, 2}, Models: []string{"goroutines"}, Workloads: []string{"cpu"},
		Params:  map[string]map[string]int64{"cpu": {"tasks": 16, "n": 300_000}},
		Scaling: "strong", Warmup: 1, Trials: 12, Timeout: time.Minute,
	}
	// The machine may be loaded by others: this baseline only has to be
	// a baseline, not a quiet one.
	base, err := Record(context.Background(), path, plan, testRegistry, RecordOptions{MaxContention: -1})
	if err != nil {
		t.Fatal(err)
	}
	g2 := Cell{Workload: "cpu", Model: "goroutines", Cores: 2}
	opt := Options{AllowRace: true, Baseline: path, Cells: []Cell{g2}, MaxSlowdown: 0.25}

	t.Run("passes", func(t *testing.T) {
		rep := Check(t, opt)
		if rep != nil && len(rep.Rows) == 1 && rep.Rows[0].Verdict != "ok" {
			t.Errorf("verdict %q", rep.Rows[0].Verdict)
		}
	})
	t.Run("slower model fails", func(t *testing.T) {
		// goroutines-slow against the baseline of goroutines: three times
		// its compute time added, so its speedup drops to a quarter. The
		// busy-machine check is off, so this proves the statistics alone
		// catch it even on a machine that others load (their load at most
		// halves a cell's speed here).
		o := opt
		o.MaxContention = -1
		o.Baseline = renamed(t, base, "goroutines", "goroutines-slow")
		o.Cells = []Cell{{Workload: "cpu", Model: "goroutines-slow", Cores: 2}}
		rec := &recorder{TB: t}
		rep := Check(rec, o)
		if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "1 figure(s) regressed by more than 25% (cpu/goroutines-slow/2 speedup +") {
			t.Fatalf("errors %q, skips %q; report:\n%s", rec.errors, rec.skips, rep.Table())
		}
		if !strings.Contains(rec.errors[0], "REGRESSED") || rep.Runs != 2 {
			t.Errorf("runs %d (want 2: seen, then confirmed):\n%s", rep.Runs, rec.errors[0])
		}
		t.Logf("the failure a user sees:\n%s", rec.errors[0])
	})
	t.Run("other host skips time", func(t *testing.T) {
		b, _ := runfile.Load(path)
		b.Env.Host = "elsewhere"
		other := filepath.Join(t.TempDir(), "other.json")
		var buf strings.Builder
		b.Encode(&buf)
		os.WriteFile(other, []byte(buf.String()), 0o644)
		o := opt
		o.Baseline, o.Cells = other, []Cell{{Workload: "cpu", Model: "goroutines", Cores: 2, Figures: []Figure{Time}}}
		rec := &recorder{TB: t}
		Check(rec, o)
		if len(rec.skips) != 1 || !strings.Contains(rec.skips[0], `recorded on host "elsewhere"`) || len(rec.errors) != 0 {
			t.Errorf("skips %q errors %q", rec.skips, rec.errors)
		}
	})
	t.Run("too few CPUs skips", func(t *testing.T) {
		o := opt
		o.Cells = []Cell{{Workload: "cpu", Model: "goroutines", Cores: 1}}
		b, _ := runfile.Load(path)
		b.Cells = append(b.Cells, runfile.Cell{Workload: "cpu", Model: "goroutines", Cores: 64, Tasks: 16, Trials: b.Cells[0].Trials})
		big := filepath.Join(t.TempDir(), "big.json")
		var buf strings.Builder
		b.Encode(&buf)
		os.WriteFile(big, []byte(buf.String()), 0o644)
		o.Baseline, o.Cells = big, []Cell{{Workload: "cpu", Model: "goroutines", Cores: 64}}
		rec := &recorder{TB: t}
		Check(rec, o)
		if len(rec.skips) != 1 || !strings.Contains(rec.skips[0], "need 64 CPUs, this machine allows") {
			t.Errorf("skips %q errors %q", rec.skips, rec.errors)
		}
	})
}

// renamed writes a copy of run in which model's cells are to's, and
// returns its path: a baseline that says how fast model was, for a model
// the test made slower.
func renamed(t *testing.T, run *runfile.Run, model, to string) string {
	t.Helper()
	r := *run
	r.Cells = slices.Clone(run.Cells)
	for i := range r.Cells {
		if r.Cells[i].Model == model {
			r.Cells[i].Model = to
		}
	}
	r.Config.Models = append(slices.DeleteFunc(slices.Clone(r.Config.Models), func(m string) bool { return m == model }), to)
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "run.json")
}

func TestMissingBaseline(t *testing.T) {
	rec := &recorder{TB: t}
	Check(rec, Options{AllowRace: true, Baseline: filepath.Join(t.TempDir(), "none.json")})
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "make baseline") {
		t.Errorf("errors %q", rec.errors)
	}
}
