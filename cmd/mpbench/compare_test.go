package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

// saveRun writes a run of the given cells (model → compute times) to a
// fresh folder and returns it.
func saveRun(t *testing.T, cells map[string][]int64) string {
	t.Helper()
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Status: "complete",
		Env: runfile.Env{Host: "h", CPUModel: "c", OS: "linux", Arch: "amd64"}, Config: runfile.Config{Scaling: "strong"}}
	for _, model := range []string{"sequential", "goroutines", "extra"} {
		ns, ok := cells[model]
		if !ok {
			continue
		}
		c := runfile.Cell{Workload: "cpu", Model: model, Cores: 1, Tasks: 48}
		if model != "sequential" {
			c.Cores = 2
		}
		for _, x := range ns {
			c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x})
		}
		r.Cells = append(r.Cells, c)
	}
	harness.Summarize(r)
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func times(center int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = center + int64(i%5)*center/200 // ±1 % spread
	}
	return out
}

func TestCompareExitCodes(t *testing.T) {
	old := saveRun(t, map[string][]int64{"sequential": times(10e6, 10), "goroutines": times(5e6, 10), "extra": times(1e6, 5)})
	same := saveRun(t, map[string][]int64{"sequential": times(10e6, 10), "goroutines": times(5e6, 10)})
	slower := saveRun(t, map[string][]int64{"sequential": times(10e6, 10), "goroutines": times(6e6, 10)})

	// A cell of the old run missing from the new one fails the comparison.
	code, stdout, stderr := runCLI(t, "compare", old, same)
	if code != exitFailure || !strings.Contains(stderr, "missing from the new run: cpu/extra/2") {
		t.Fatalf("same less a cell: exit %d, %s", code, stderr)
	}
	for _, want := range []string{"CELL", "OLD MEDIAN", "P (HOLM)", "DETECTABLE", "cpu/goroutines/2", "no significant change", "cpu/extra/2", "only in old run (REGRESSION)", "2 cells tested"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	old = saveRun(t, map[string][]int64{"sequential": times(10e6, 10), "goroutines": times(5e6, 10)})
	if code, stdout, stderr = runCLI(t, "compare", old, same); code != exitOK {
		t.Fatalf("same: exit %d, %s\n%s", code, stderr, stdout)
	}

	code, stdout, stderr = runCLI(t, "compare", filepath.Join(old, "run.json"), slower, "--threshold", "5%")
	if code != exitFailure || !strings.Contains(stdout, "slower (REGRESSION)") || !strings.Contains(stderr, "significantly slower by more than 5%: cpu/goroutines/2 (+20.0%)") {
		t.Errorf("slower: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The same change under a 30 % threshold is slower, but no regression.
	if code, stdout, _ = runCLI(t, "compare", old, slower, "--threshold", "0.3"); code != exitOK || !strings.Contains(stdout, "slower") {
		t.Errorf("threshold 30%%: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "compare", old, slower, "--format", "json")
	if code != exitFailure || !strings.Contains(stdout, `"p_holm"`) || !strings.Contains(stdout, `"regression": true`) {
		t.Errorf("json: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "compare", old, same, "--format", "markdown")
	if code != exitOK || !strings.Contains(stdout, "| cell | old median |") {
		t.Errorf("markdown: exit %d\n%s", code, stdout)
	}
}

func TestCompareBadInputExits2(t *testing.T) {
	run := saveRun(t, map[string][]int64{"sequential": times(10e6, 3)})
	notRun := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notRun, []byte(`{"schema":"other"}`), 0o644)
	badRun := saveRun(t, map[string][]int64{"sequential": {10e6, -5, 10e6}})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one arg", []string{"compare", run}, "accepts 2 arg(s)"},
		{"missing", []string{"compare", run, filepath.Join(t.TempDir(), "nope")}, "new run:"},
		{"not a run", []string{"compare", notRun, run}, "not an mpbench run file"},
		{"threshold", []string{"compare", run, run, "--threshold", "lots"}, `--threshold "lots": want a percentage`},
		{"alpha", []string{"compare", run, run, "--alpha", "1.5"}, "--alpha 1.5"},
		{"format", []string{"compare", run, run, "--format", "csv"}, "accepted: table, json, markdown"},
		{"export format", []string{"export", run, "--format", "xml"}, "accepted: table, json, csv, markdown, benchfmt"},
		{"export missing", []string{"export", filepath.Join(t.TempDir(), "nope")}, "no such file"},
		{"export negative time", []string{"export", badRun}, "cell cpu/sequential/1: trial 2: compute_ns -5"},
		{"compare negative time", []string{"compare", run, badRun}, "new run: " + badRun},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) || stdout != "" {
				t.Errorf("exit %d, stderr %q (want 2 and %q), stdout %q", code, stderr, c.want, stdout)
			}
		})
	}
}

func TestExportBenchfmt(t *testing.T) {
	run := saveRun(t, map[string][]int64{"sequential": times(10e6, 4), "goroutines": times(5e6, 4)})
	code, stdout, stderr := runCLI(t, "export", run)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "goos: linux\ngoarch: amd64\ncpu: c\npkg: github.com/mpbench/mpbench\n") ||
		strings.Count(stdout, "BenchmarkCPU/model=goroutines/cores=2-2 1 ") != 4 || !strings.Contains(stdout, " speedup ") {
		t.Errorf("export:\n%s", stdout)
	}
	if code, stdout, _ = runCLI(t, "export", run, "--format", "csv"); code != exitOK || !strings.Contains(stdout, "workload,model,cores") {
		t.Errorf("export csv: %d %s", code, stdout)
	}
}

func TestRunFormatBenchfmt(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "--cores", "1", "--models", "goroutines", "--workloads", "square",
		"--param", "square.tasks=1000", "--trials", "3", "--warmup", "0", "--out", t.TempDir(), "-q", "--format", "benchfmt")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "BenchmarkSquare/model=sequential/cores=1/tasks=1000 1 ") != 3 ||
		strings.Count(stdout, "BenchmarkSquare/model=goroutines/cores=1/tasks=1000 1 ") != 3 || !strings.Contains(stdout, "goos: ") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestCompareFailedNewCellExits1(t *testing.T) {
	old := saveRun(t, map[string][]int64{"sequential": times(10e6, 10), "goroutines": times(5e6, 10)})
	r, err := runfile.Load(old)
	if err != nil {
		t.Fatal(err)
	}
	r.Cells[1].Trials, r.Cells[1].Error = []runfile.Trial{}, "workload cpu, model goroutines, cores 2: checksum mismatch"
	harness.Summarize(r)
	broken := t.TempDir()
	if err := r.Save(broken); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "compare", old, broken)
	if code != exitFailure || !strings.Contains(stderr, "failed in the new run: cpu/goroutines/2") ||
		!strings.Contains(stdout, "failed in new run (REGRESSION)") || !strings.Contains(stdout, "checksum mismatch") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestCompareFewTrialsInconclusive(t *testing.T) {
	// 3 trials: a U test of 3 against 3 cannot go below p = 0.1.
	old := saveRun(t, map[string][]int64{"sequential": times(10e6, 3), "goroutines": times(5e6, 3)})
	doubled := saveRun(t, map[string][]int64{"sequential": times(20e6, 3), "goroutines": times(10e6, 3)})
	code, stdout, stderr := runCLI(t, "compare", old, doubled)
	if code != exitOK || strings.Contains(stdout, "no significant change") || strings.Count(stdout, "inconclusive") < 2 ||
		!strings.Contains(stdout, "warning: 2 of 2 cells tested are inconclusive") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestRunWarnsOfTooFewTrials(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--cores", "1", "--models", "goroutines", "--workloads", "square",
		"--param", "square.tasks=1000", "--trials", "3", "--warmup", "0", "--out", dir, "-q")
	const want = "with 3 trials per cell and 2 cells, no comparison of this run with another can reach p ≤ 0.05 after Holm–Bonferroni: use --trials 5 or more"
	if code != exitOK || strings.Count(stderr, want) != 1 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	r, err := runfile.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || r.Warnings[0] != want {
		t.Errorf("run file warnings %q", r.Warnings)
	}
}
