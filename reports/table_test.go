package reports

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

func tableTestRun() *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong", Trials: 3}}
	add := func(model string, cores int, ns ...int64) {
		c := runfile.Cell{Workload: "cpu", Model: model, Cores: cores, Tasks: 100}
		for _, x := range ns {
			c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x, SetupNs: 1000})
		}
		r.Cells = append(r.Cells, c)
	}
	add("sequential", 1, 2_000_000, 2_000_000, 2_000_000)
	add("goroutines", 2, 1_000_000, 1_100_000, 1_050_000)
	r.Cells = append(r.Cells, runfile.Cell{Workload: "cpu", Model: "broken", Cores: 2, Tasks: 100, Error: "checksum | mismatch"})
	harness.Summarize(r)
	return r
}

func TestTableShowsFiguresAndFailures(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, tableTestRun(), "table"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"workload cpu (100 tasks", "2.00ms", "1.05ms", "1.90×", "95%", "FAILED: checksum | mismatch"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, tableTestRun(), "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `checksum \| mismatch`) {
		t.Errorf("pipe not escaped:\n%s", buf.String())
	}
}

func TestCSVHasARowPerCell(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, tableTestRun(), "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[2][1] != "goroutines" || recs[2][9] != "1.9047619047619047" {
		t.Fatalf("csv = %v", recs)
	}
}

func TestDurationAndBytes(t *testing.T) {
	for _, c := range []struct {
		ns   float64
		want string
	}{{0.5, "0.50ns"}, {999, "999ns"}, {1500, "1.50µs"}, {12_345_678, "12.3ms"}, {2.5e9, "2.50s"}} {
		if got := Duration(c.ns); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.ns, got, c.want)
		}
	}
	if got := Bytes(3 << 20); got != "3.00MiB" {
		t.Errorf("Bytes = %q", got)
	}
}

// headerRun returns a summarized run of the given cpu cells.
func headerRun(scaling string, sweeps map[string]map[string][]int64, cells ...runfile.Cell) *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion,
		Config: runfile.Config{Scaling: scaling, Trials: 10, Sweeps: sweeps}, Cells: cells}
	harness.Summarize(r)
	return r
}

// tcell returns a cpu cell whose trials take about 1 ms per task and core.
func tcell(model string, cores, tasks, trials int, params map[string]int64) runfile.Cell {
	c := runfile.Cell{Workload: "cpu", Model: model, Cores: cores, Tasks: tasks, Params: params}
	for i := range trials {
		c.Trials = append(c.Trials, runfile.Trial{ComputeNs: int64(tasks/cores)*1_000_000 + int64(i)})
	}
	return c
}

func TestTableHeaderSaysWhatRan(t *testing.T) {
	def := map[string]int64{"tasks": 48, "n": 1_000_000}
	small := map[string]int64{"tasks": 48, "n": 1000}
	cases := []struct {
		name string
		run  *runfile.Run
		want []string
	}{
		{"fixed trials", headerRun("strong", nil, tcell("sequential", 1, 48, 10, def), tcell("goroutines", 2, 48, 10, def)),
			[]string{"workload cpu (48 tasks, strong scaling; compute phase, median of 10 trials)"}},
		{"trials vary by cell (--target-ci, --cell-budget)", headerRun("strong", nil, tcell("sequential", 1, 48, 6, def), tcell("goroutines", 2, 48, 499, def)),
			[]string{"workload cpu (48 tasks, strong scaling; compute phase, median of 6–499 trials)"}},
		{"weak scaling", headerRun("weak", nil, tcell("sequential", 1, 48, 10, def), tcell("goroutines", 2, 96, 10, def)),
			[]string{"workload cpu (48 tasks per core: 48–96, weak scaling; compute phase, median of 10 trials)"}},
		{"one trial", headerRun("strong", nil, tcell("sequential", 1, 48, 1, def)),
			[]string{"median of 1 trial)"}},
		{"sweep labels the default value too", headerRun("strong", map[string]map[string][]int64{"cpu": {"n": {1000, 1_000_000}}},
			tcell("sequential", 1, 48, 3, small), tcell("sequential", 1, 48, 3, def)),
			[]string{"workload cpu[n=1000] (", "workload cpu[n=1000000] ("}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, c.run, "table"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(buf.String(), "\n") {
				if strings.HasPrefix(line, "workload ") {
					got = append(got, line)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("got headers %q, want %d like %q", got, len(c.want), c.want)
			}
			for i := range got {
				if !strings.Contains(got[i], c.want[i]) {
					t.Errorf("got header %q, want it to contain %q", got[i], c.want[i])
				}
			}
		})
	}
}

func TestOneTrialHasNoCI(t *testing.T) {
	cases := []struct {
		name     string
		trials   int
		wantCI   string
		wantNote bool
	}{
		{"one trial", 1, "-", true},
		{"two trials", 2, "±0.0%", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := headerRun("strong", nil, tcell("sequential", 1, 48, c.trials, nil))
			row := Row(&r.Cells[0])
			if got := row[3]; got != c.wantCI {
				t.Errorf("got ±CI %q, want %q", got, c.wantCI)
			}
			note := row[len(row)-1]
			if got := strings.Contains(note, "one trial: no confidence interval"); got != c.wantNote {
				t.Errorf("got notes %q, want the one-trial note: %v", note, c.wantNote)
			}
		})
	}
}

func TestCSVWritesIntegersAsIntegers(t *testing.T) {
	r := headerRun("strong", nil, runfile.Cell{Workload: "cpu", Model: "sequential", Cores: 1, Tasks: 48,
		Trials: []runfile.Trial{{ComputeNs: 14_375_001, SetupNs: 20_000_000, TeardownNs: 1_000_000_000, UserNs: 14_000_000}}})
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head, row := recs[0], recs[1]
	for _, c := range []struct{ col, want string }{
		{"median_ns", "14375001"}, {"ci_low_ns", "14375001"}, {"setup_median_ns", "20000000"},
		{"teardown_median_ns", "1000000000"}, {"cpu_ns", "14000000"}, {"speedup", "1"},
	} {
		t.Run(c.col, func(t *testing.T) {
			i := slices.Index(head, c.col)
			if i < 0 {
				t.Fatalf("no column %q in %q", c.col, head)
			}
			if got := row[i]; got != c.want {
				t.Errorf("got %s %q, want %q", c.col, got, c.want)
			}
		})
	}
}

// TestTableShowsTheCeilingWhenPresent wants the eff.cores and of ceil.
// columns only for a run whose cells keep worker accounts: goroutines'
// two workers each ran 50 tasks in 1 ms busy against sequential's 20 µs a
// task, so 1 + 1 = 2 effective cores and 1.90× of 2 = 95 % of the ceiling.
func TestTableShowsTheCeilingWhenPresent(t *testing.T) {
	var plain bytes.Buffer
	if err := WriteSummary(&plain, tableTestRun(), "table"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "EFF.CORES") {
		t.Errorf("a run without accounts shows the ceiling:\n%s", plain.String())
	}
	r := tableTestRun()
	for i := range r.Cells[1].Trials {
		r.Cells[1].Trials[i].Accounts = []runfile.Account{{BusyNs: 1_000_000, Tasks: 50}, {BusyNs: 1_000_000, Tasks: 50, CPU: 1}}
	}
	harness.Summarize(r)
	for _, f := range []string{"table", "markdown"} {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, r, f); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"eff.cores", "of ceil.", "2.00", "95%"} {
			if !strings.Contains(strings.ToLower(out), want) {
				t.Errorf("%s lacks %q:\n%s", f, want, out)
			}
		}
	}
}
