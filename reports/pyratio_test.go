package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/runfile"
)

// Note: -update is defined in init, and only if no other test file of the
// package defines it as a package-level flag (those are set up before any
// init runs), so that golden tests added beside this one share the flag
// instead of panicking on a redefinition.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

// updating reports whether -update was given.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func pyRun() *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong", Trials: 3}}
	add := func(wl, model string, cores int, errMsg string, ns ...int64) {
		c := runfile.Cell{Workload: wl, Model: model, Cores: cores, Tasks: 100, Params: map[string]int64{"tasks": 100}, Error: errMsg}
		for _, x := range ns {
			c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x})
		}
		r.Cells = append(r.Cells, c)
	}
	add("cpu", "sequential", 1, "", 2_000_000, 2_000_000, 2_000_000)
	add("cpu", "procpool", 2, "", 1_100_000, 1_100_000, 1_100_000)
	add("cpu", "queue", 1, "", 1_000_000, 1_000_000, 1_000_000)
	add("cpu", "manager", 2, "", 1_000_000, 1_000_000, 1_000_000)
	add("cpu", "py-sequential", 1, "", 120_000_000, 121_000_000, 119_000_000)
	add("cpu", "py-pool", 1, "", 130_000_000, 130_000_000, 130_000_000)
	add("cpu", "py-pool", 2, "", 70_000_000, 70_000_000, 70_000_000)
	add("cpu", "py-queue", 1, "py-queue: compute: pyref.py exited | early")
	add("cpu", "py-manager", 2, "", 500_000, 500_000, 500_000)
	add("cpu", "py-pipe", 1, "", 5_000_000, 5_000_000, 5_000_000) // pipe never ran: no row
	add("square", "sequential", 1, "", 100_000, 100_000, 100_000)
	add("square", "goroutines", 1, "", 90_000, 90_000, 90_000)
	add("square", "py-sequential", 1, "", 9_000_000, 9_000_000, 9_000_000)
	harness.Summarize(r)
	return recordModels(r)
}

// recordModels records in r the model table's lines of the models of its
// cells, as harness.Execute does.
func recordModels(r *runfile.Run) *runfile.Run {
	for _, m := range all.Infos() {
		if slices.ContainsFunc(r.Cells, func(c runfile.Cell) bool { return c.Model == m.Name }) {
			r.Models = append(r.Models, m)
		}
	}
	return r
}

func TestPyRatiosPairsCells(t *testing.T) {
	rows := PyRatios(pyRun())
	type want struct {
		wl, py string
		cores  int
		ratio  float64 // 0: none
		note   string
	}
	wants := []want{
		{"cpu", "py-sequential", 1, 60, ""},
		{"cpu", "py-pool", 1, 0, "procpool at c=1 not in this run"},
		{"cpu", "py-pool", 2, 70.0 / 1.1, ""},
		{"cpu", "py-queue", 1, 0, "py-queue failed"},
		{"cpu", "py-manager", 2, 0.5, "Python faster"},
		{"square", "py-sequential", 1, 90, ""},
	}
	if len(rows) != len(wants) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for i, w := range wants {
		r := rows[i]
		i := slices.IndexFunc(all.Infos(), func(m runfile.ModelInfo) bool { return m.Name == w.py })
		if want := all.Infos()[i].Differs; r.Differs == "" || r.Differs != want {
			t.Errorf("row %d: differs %q, want the model table's %q", i, r.Differs, want)
		}
		if r.Workload != w.wl || r.Py != w.py || r.Cores != w.cores || r.Note != w.note {
			t.Errorf("row %d: got %s %s c=%d note %q, want %s %s c=%d note %q", i, r.Workload, r.Py, r.Cores, r.Note, w.wl, w.py, w.cores, w.note)
		}
		switch {
		case w.ratio == 0 && r.Ratio != nil:
			t.Errorf("row %d: ratio %v, want none", i, *r.Ratio)
		case w.ratio != 0 && (r.Ratio == nil || *r.Ratio < w.ratio*0.999 || *r.Ratio > w.ratio*1.001):
			t.Errorf("row %d: ratio %v, want %v", i, r.Ratio, w.ratio)
		}
	}
}

func TestPyRatiosNoPythonNoRows(t *testing.T) {
	if rows := PyRatios(testRun()); len(rows) != 0 {
		t.Errorf("got %d rows for a run without Python models", len(rows))
	}
}

// TestPyRatiosPairsWhatTheRunRecords checks that the pairs come from the
// run file: a pair it records is used whatever the names, and a run file
// that records no models pairs nothing.
func TestPyRatiosPairsWhatTheRunRecords(t *testing.T) {
	r := &runfile.Run{}
	for _, m := range []string{"goroutines", "py-threads"} {
		r.Cells = append(r.Cells, runfile.Cell{Workload: "square", Model: m, Cores: 2, Params: map[string]int64{"tasks": 10},
			Trials: []runfile.Trial{{ComputeNs: 1000}, {ComputeNs: 1000}, {ComputeNs: 1000}}})
	}
	harness.Summarize(r)
	r.Models = []runfile.ModelInfo{
		{Name: "goroutines", Family: "go", Twin: "py-threads"},
		{Name: "py-threads", Family: "py", Twin: "goroutines"},
	}
	if rows := PyRatios(r); len(rows) != 1 || rows[0].Go != "goroutines" || rows[0].Py != "py-threads" || rows[0].Ratio == nil {
		t.Errorf("got rows %+v, want py-threads against goroutines", rows)
	}
	old := pyRun()
	old.Models = nil
	if rows := PyRatios(old); len(rows) != 0 {
		t.Errorf("a run file without models: got %d rows, want none", len(rows))
	}
}

func TestPyRatiosPerVariantWhenSweeping(t *testing.T) {
	r := &runfile.Run{Config: runfile.Config{Sweeps: map[string]map[string][]int64{"cpu": {"n": {10, 100}}}}}
	for _, n := range []int64{10, 100} {
		for _, m := range []string{"sequential", "py-sequential"} {
			ns := n * 1000
			if m == "py-sequential" {
				ns *= 50
			}
			r.Cells = append(r.Cells, runfile.Cell{Workload: "cpu", Model: m, Cores: 1, Params: map[string]int64{"n": n, "tasks": 4},
				Trials: []runfile.Trial{{ComputeNs: ns}, {ComputeNs: ns}, {ComputeNs: ns}}})
		}
	}
	harness.Summarize(r)
	rows := PyRatios(recordModels(r))
	if len(rows) != 2 || rows[0].Workload != "cpu[n=10,tasks=4]" || rows[1].Workload != "cpu[n=100,tasks=4]" {
		t.Fatalf("rows %+v: want one per variant", rows)
	}
	for _, row := range rows {
		if row.Ratio == nil || *row.Ratio != 50 {
			t.Errorf("%s: ratio %v, want 50", row.Workload, row.Ratio)
		}
	}
}

// TestWritePyRatiosGolden checks the text and markdown tables against
// testdata; -update rewrites them, and a mismatch leaves a .got file.
func TestWritePyRatiosGolden(t *testing.T) {
	rows := PyRatios(pyRun())
	for _, c := range []struct {
		file string
		md   bool
	}{{"pyratio.txt", false}, {"pyratio.md", true}} {
		var buf bytes.Buffer
		if err := WritePyRatios(&buf, rows, c.md); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", c.file)
		if updating() {
			if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			os.WriteFile(golden+".got", buf.Bytes(), 0o644)
			t.Errorf("%s differs; got (also in %s.got):\n%s", golden, golden, buf.String())
		}
	}
}
