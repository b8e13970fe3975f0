package gate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// testRegistry is what this test binary serves as the cell runner.
var testRegistry = models.Registry{sequential.New(), goroutines.New()}

// slowName is the name under which this test binary, started as a cell
// runner, serves goroutines twice as slow (modeltest.Slow sleeps its
// compute time again after it) under goroutines' own name: the NEW side of
// an A/B run that regressed.
const slowName = "gate-test-slow-worker"

type renamed struct {
	models.Model
	name string
}

func (m renamed) Name() string { return m.name }

func TestMain(m *testing.M) {
	reg := testRegistry
	if filepath.Base(os.Args[0]) == slowName {
		reg = models.Registry{sequential.New(), renamed{modeltest.Slow(goroutines.New(), 1), "goroutines"}}
	}
	Main(m, reg)
}

func trialsAround(seed uint64, n int, center, spread float64) []runfile.Trial {
	rng := rand.New(rand.NewPCG(seed, 11))
	out := make([]runfile.Trial, n)
	for i := range out {
		out[i].ComputeNs = int64(center * math.Exp(spread*rng.NormFloat64()))
	}
	return out
}

// synth returns a summarized run with cpu cells: sequential at seqNs and
// goroutines at c = 2 at modelNs, n trials each of the given spread.
func synth(seed uint64, seqNs, modelNs float64, n int, spread float64) *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong", Trials: n}}
	r.Cells = []runfile.Cell{
		{Workload: "cpu", Model: "sequential", Cores: 1, Tasks: 48, Trials: trialsAround(seed, n, seqNs, spread)},
		{Workload: "cpu", Model: "goroutines", Cores: 2, Tasks: 48, Trials: trialsAround(seed+1, n, modelNs, 1.5*spread)},
	}
	harness.Summarize(r)
	return r
}

func TestEvaluate(t *testing.T) {
	old := synth(1, 10e6, 5.2e6, 12, 0.02)
	g2 := Cell{Workload: "cpu", Model: "goroutines", Cores: 2}
	all := []target{{g2, Time}, {g2, Speedup}, {g2, Efficiency}, {g2, Overhead}}
	opt := Options{MaxSlowdown: 0.10, Alpha: 0.05, MaxContention: 0.15}
	every := map[Figure]bool{Speedup: true, Efficiency: true, Overhead: true, Time: true}
	cases := []struct {
		name         string
		cur          *runfile.Run
		contention   float64
		want         map[Figure]bool // regressed
		busy         bool
		underpowered bool
	}{
		{"same", synth(2, 10e6, 5.2e6, 12, 0.02), 0.02, map[Figure]bool{}, false, false},
		{"model 40% slower", synth(3, 10e6, 7.3e6, 12, 0.02), 0.02, every, false, false},
		// NEW's sequential is as slow as its model: its time regresses,
		// its ratios do not.
		{"all 40% slower", synth(4, 14e6, 7.3e6, 12, 0.02), 0.02, map[Figure]bool{Time: true}, false, false},
		// Within the limit: significant, but the CI is not above 10 %.
		{"model 4% slower", synth(5, 10e6, 5.4e6, 12, 0.02), 0.02, map[Figure]bool{}, false, false},
		{"busy", synth(6, 10e6, 7.3e6, 12, 0.02), 0.5, every, true, false},
		// Trials so noisy that a 10 % change could not be shown: not a
		// pass.
		{"noisy", synth(7, 10e6, 5.2e6, 12, 0.3), 0.02, map[Figure]bool{}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			contention := map[string]float64{"new cpu/goroutines/2": c.contention, "new cpu/sequential/1": 0, "old cpu/goroutines/2": 0.01}
			rows, err := evaluate(old, c.cur, all, contention, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Regressed != c.want[r.Figure] || r.Busy != c.busy || r.Figure == Time && r.Underpowered != c.underpowered {
					t.Errorf("%s: regressed %v busy %v underpowered %v (slowdown %+.3f, CI %v..%v, p %.4f, detects %v); want %v, %v, %v",
						r.Figure, r.Regressed, r.Busy, r.Underpowered, r.Slowdown, *r.CILow, *r.CIHigh, r.PHolm, *r.MinDetectable, c.want[r.Figure], c.busy, c.underpowered)
				}
				if r.Contention != math.Max(c.contention, 0.01) {
					t.Errorf("%s: contention %v, want the larger of OLD's and NEW's", r.Figure, r.Contention)
				}
			}
		})
	}
	// Too few trials for an interval: never a regression, never a pass.
	rows, _ := evaluate(synth(7, 10e6, 5e6, 3, 0.02), synth(8, 10e6, 20e6, 3, 0.02), all[:1], nil, opt)
	if rows[0].Regressed || !rows[0].Underpowered || !strings.Contains(strings.Join(rows[0].Notes, ";"), "too few trials") {
		t.Errorf("3 trials: %+v", rows[0])
	}
}

func TestJudgeConfirmsOnceRefutesOnce(t *testing.T) {
	regressed, busy := Row{Regressed: true}, Row{Regressed: true, Busy: true, Contention: 0.4}
	ok, noisy := Row{}, Row{Underpowered: true}
	busyOK := Row{Busy: true, Contention: 0.6}
	for _, c := range []struct {
		name string
		runs []Row
		want string
	}{
		{"passes at once", []Row{ok}, VerdictOK},
		{"confirmed", []Row{regressed, regressed}, VerdictRegressed},
		{"refuted", []Row{regressed, ok}, VerdictOK},
		{"busy, then confirmed in two quiet runs", []Row{busy, regressed, regressed}, VerdictRegressed},
		{"busy, then a quiet pass", []Row{busy, ok}, VerdictOK},
		{"busy throughout", []Row{busy, busy, busy}, VerdictBusy},
		{"seen, then noisy: open", []Row{regressed, noisy, noisy}, VerdictPower},
		{"seen, then busy: unconfirmed", []Row{regressed, busy, regressed}, VerdictRegressed},
		{"seen once, retries out", []Row{noisy, noisy, regressed}, VerdictUnconfirmed},
		{"noisy, then judged", []Row{noisy, ok}, VerdictOK},
		// A pass under load refutes nothing (seen on a shared VM: a +15 %
		// slower model "refuted" by a run at 62 % other load).
		{"seen, then a busy pass, then confirmed", []Row{regressed, busyOK, regressed}, VerdictRegressed},
		{"seen, then busy passes only", []Row{regressed, busyOK, busyOK}, VerdictBusy},
		{"a busy pass of a figure never seen regressed", []Row{busyOK}, VerdictOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &state{}
			var row Row
			for i, r := range c.runs {
				row = r
				st.done = judge(st, &row, i+1, 2)
				if st.done && i != len(c.runs)-1 {
					t.Fatalf("decided %q after run %d of %d", row.Verdict, i+1, len(c.runs))
				}
			}
			if !st.done {
				row.Verdict = openVerdict(&row)
			}
			if row.Verdict != c.want {
				t.Errorf("verdict %q, want %q (notes %q)", row.Verdict, c.want, row.Notes)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	o := Options{Registry: testRegistry}
	o.fill()
	g2 := Cell{Workload: "cpu", Model: "goroutines", Cores: 2}
	o.Cells = []Cell{g2, {Workload: "cpu", Model: "sequential", Cores: 1}}
	got, err := o.targets()
	if err != nil || len(got) != 2 || got[0].key() != "cpu/goroutines/2 time" {
		t.Fatalf("targets %v, %v", got, err)
	}
	for _, bad := range []struct {
		cells  []Cell
		trials int
		want   string
	}{
		{nil, 12, "Options.Cells is empty"},
		{[]Cell{{Workload: "cpu", Model: "nosuch", Cores: 1}}, 12, "nosuch"},
		{[]Cell{{Workload: "cpu", Model: "sequential", Cores: 1, Figures: []Figure{Speedup}}}, 12, "gate its time instead"},
		{[]Cell{{Workload: "cpu", Model: "goroutines", Cores: 2, Figures: []Figure{"joy"}}}, 12, `unknown figure "joy"`},
		// 4 against 4 trials give p ≥ 0.029, over the 0.025 Holm asks
		// of the first of two figures: nothing could ever be shown.
		{[]Cell{g2, {Workload: "cpu", Model: "goroutines", Cores: 1}}, 4, "set Trials to 5 or more"},
	} {
		o.Cells, o.Trials = bad.cells, bad.trials
		if _, err := o.targets(); err == nil || !strings.Contains(err.Error(), bad.want) {
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
func (r *recorder) Error(a ...any)            { r.errors = append(r.errors, fmt.Sprint(a...)) }
func (r *recorder) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recorder) Skip(a ...any)             { r.skips = append(r.skips, fmt.Sprint(a...)) }
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

func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestGateOnRealCells runs A/B gates whose sides are this test binary:
// the same binary on both sides must pass, the binary serving a slower
// goroutines as NEW must fail. Both sides carry -race alike when the test
// does, so the gate may judge here.
func TestGateOnRealCells(t *testing.T) {
	needCPUs(t, 2)
	g2 := Cell{Workload: "cpu", Model: "goroutines", Cores: 2}
	opt := Options{
		AllowRace: true, Old: Side{Executable: self(t)}, New: Side{Executable: self(t)},
		Cells:  []Cell{g2},
		Params: map[string]map[string]int64{"cpu": {"tasks": 16, "n": 300_000}},
		// One round, one retry: a short test, also under -race.
		Rounds: 1, Retries: 1,
	}

	t.Run("null A/B passes", func(t *testing.T) {
		rec := &recorder{TB: t}
		rep := Check(rec, opt)
		t.Logf("report:\n%s", rep.Table())
		if len(rec.errors) != 0 || !rep.Identical || len(rep.Rows) != 1 {
			t.Fatalf("errors %q, identical %v, %d rows", rec.errors, rep.Identical, len(rep.Rows))
		}
		if v := rep.Rows[0].Verdict; v != VerdictOK {
			// A loaded machine may leave it inconclusive, never regressed.
			if !strings.HasPrefix(v, "inconclusive") || len(rec.skips) != 1 || !strings.Contains(rec.skips[0], "NOT a pass") {
				t.Errorf("verdict %q, skips %q", v, rec.skips)
			}
		}
		if math.IsNaN(rep.Rows[0].Contention) && runtimeLinux() {
			t.Errorf("no other load measured on a pass")
		}
	})
	t.Run("slower model fails", func(t *testing.T) {
		// NEW serves goroutines with its compute time slept again after
		// it: twice as slow, against a 10 % limit. The busy-machine rule is
		// off, so no load can excuse it; a retry more lets a noisy second
		// run be followed by a third.
		slow := filepath.Join(t.TempDir(), slowName)
		if err := os.Symlink(self(t), slow); err != nil {
			t.Fatal(err)
		}
		o := opt
		o.MaxContention, o.New, o.Retries = -1, Side{Executable: slow}, 2
		rec := &recorder{TB: t}
		rep := Check(rec, o)
		if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "1 figure(s) regressed by more than 10% (cpu/goroutines/2 time +") {
			t.Fatalf("errors %q, skips %q; report:\n%s", rec.errors, rec.skips, rep.Table())
		}
		// REGRESSED takes two runs that each showed it: seen, confirmed.
		if !strings.Contains(rec.errors[0], VerdictRegressed) || rep.Runs < 2 || rep.Identical || !strings.Contains(rec.errors[0], ": regressed, measuring again") {
			t.Errorf("runs %d (want 2 or 3: seen, then confirmed), identical %v:\n%s", rep.Runs, rep.Identical, rec.errors[0])
		}
		t.Logf("the failure a user sees:\n%s", rec.errors[0])
	})
	t.Run("too few CPUs skips", func(t *testing.T) {
		o := opt
		o.Cells = []Cell{{Workload: "cpu", Model: "goroutines", Cores: 64}}
		rec := &recorder{TB: t}
		Check(rec, o)
		if len(rec.skips) != 1 || !strings.Contains(rec.skips[0], "need 64 CPUs, this machine allows") {
			t.Errorf("skips %q errors %q", rec.skips, rec.errors)
		}
	})
}

func runtimeLinux() bool { _, err := os.Stat("/proc/stat"); return err == nil }

// TestGateWithoutBase: a gate that cannot find its base revision fails,
// saying how to name one; it never passes.
func TestGateWithoutBase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git:", err)
	}
	t.Setenv(EnvBase, "")
	opt := Options{AllowRace: true, Cells: []Cell{{Workload: "cpu", Model: "goroutines", Cores: 1}}}

	notRepo := t.TempDir()
	trunk := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "trunk"},
		{"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "first"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", trunk}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	for _, c := range []struct{ name, dir, want string }{
		{"not a repository", notRepo, "is not in a git repository; set MPBENCH_GATE_BASE"},
		{"no main branch", trunk, "has no branch main or origin/main"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := opt
			o.RepoDir = c.dir
			rec := &recorder{TB: t}
			Check(rec, o)
			if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], c.want) || len(rec.skips) != 0 {
				t.Errorf("errors %q, skips %q; want one error containing %q", rec.errors, rec.skips, c.want)
			}
		})
	}
	t.Run("a base that is no revision", func(t *testing.T) {
		t.Setenv(EnvBase, "no-such-revision-of-anything")
		o := opt
		o.RepoDir = trunk
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), `OLD ($MPBENCH_GATE_BASE): "no-such-revision-of-anything" is not a revision`) {
			t.Errorf("err %v", err)
		}
	})
}

func TestPoolAppendsTrials(t *testing.T) {
	a, b := synth(1, 10e6, 5e6, 4, 0.02), synth(2, 10e6, 5e6, 6, 0.02)
	var p pooled
	p.add(a, a, map[string]float64{"new x": 0.1})
	p.add(b, b, map[string]float64{"new x": 0.3})
	p.add(a, b, map[string]float64{"new x": 0.2})
	for _, c := range []struct {
		run  *runfile.Run
		want int
	}{{p.old, 4 + 6 + 4}, {p.cur, 4 + 6 + 6}} {
		if len(c.run.Cells) != 2 || len(c.run.Cells[0].Trials) != c.want || len(c.run.Cells[1].Trials) != c.want {
			t.Errorf("%d cells, trials %d; want 2 cells of %d", len(c.run.Cells), len(c.run.Cells[0].Trials), c.want)
		}
	}
	if len(a.Cells[0].Trials) != 4 || len(b.Cells[0].Trials) != 6 {
		t.Errorf("pooling changed the runs it pooled")
	}
	if p.contention["new x"] != 0.3 {
		t.Errorf("contention %v, want the highest", p.contention["new x"])
	}
}
