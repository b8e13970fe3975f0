package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

// fixture is a small real-shaped run: one workload, sequential and
// goroutines on 1, 2, 4 cores (4 oversubscribed).
const fixture = "../../reports/render/testdata/oversub.json"

// runFolder copies the fixture into a new run folder, after edit.
func runFolder(t *testing.T, edit func(*runfile.Run)) string {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	os.Mkdir(dir, 0o755)
	if edit != nil {
		var r runfile.Run
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		edit(&r)
		if data, err = json.Marshal(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "run.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestReportBadInputExits2AndWritesNothing(t *testing.T) {
	good := runFolder(t, nil)
	plain := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(plain, []byte("Sequential 0.11 s, parallel 0.08 s\n"), 0o644)
	otherJSON := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(otherJSON, []byte(`{"schema": "benchfmt", "version": 1}`), 0o644)
	emptyDir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no argument", []string{}, "requires at least 1 arg"},
		{"missing path", []string{filepath.Join(emptyDir, "nope")}, "nope: no such file or folder"},
		{"folder without run.json", []string{emptyDir}, "folder has no run.json"},
		{"not JSON", []string{plain}, "not an mpbench run file of a known schema"},
		{"other schema", []string{otherJSON}, `schema is "benchfmt", want "mpbench.run"`},
		{"unknown version", []string{runFolder(t, func(r *runfile.Run) { r.Version = 99 })}, "schema version 99, this mpbench reads version 1"},
		{"no cells", []string{runFolder(t, func(r *runfile.Run) { r.Cells = nil })}, "the run has no cells: nothing to draw"},
		{"only failed cells", []string{runFolder(t, func(r *runfile.Run) {
			for i := range r.Cells {
				r.Cells[i].Error, r.Cells[i].Trials, r.Cells[i].Summary = "checksum mismatch", nil, nil
			}
		})}, "all 4 cells failed (first: pow/sequential/1: checksum mismatch): nothing to draw"},
		{"negative compute time", []string{runFolder(t, func(r *runfile.Run) { r.Cells[0].Trials[0].ComputeNs = -3 })}, "cell pow/sequential/1: trial 1: compute_ns -3: must be at least 1"},
		{"zero baseline median", []string{runFolder(t, func(r *runfile.Run) { r.Cells[0].Summary.MedianNs = 0 })}, "cell pow/sequential/1: summary: median_ns 0: must be above 0"},
		{"several runs without -o", []string{good, good}, "give its folder with -o DIR"},
		{"-o is a file", []string{good, "-o", plain}, "a file is in the way"},
		{"labels do not match", []string{good, "-o", filepath.Join(emptyDir, "out"), "--label", "a", "--label", "b"}, "2 --label for 1 runs"},
		{"unknown flag", []string{good, "--colour"}, "unknown flag: --colour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before []string
			if len(c.args) > 0 {
				before = names(t, filepath.Dir(c.args[0]))
			}
			code, stdout, stderr := runCLI(t, append([]string{"report"}, c.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			if !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr %q: want one line containing %q", stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if len(c.args) > 0 {
				if after := names(t, filepath.Dir(c.args[0])); !slices.Equal(before, after) {
					t.Errorf("wrote beside the input: %v → %v", before, after)
				}
			}
			if got := names(t, good); !slices.Equal(got, []string{"run.json"}) {
				t.Errorf("wrote into the run folder: %v", got)
			}
			if got := names(t, emptyDir); len(got) != 0 {
				t.Errorf("wrote %v", got)
			}
		})
	}
}

func TestReportIntoRunFolder(t *testing.T) {
	dir := runFolder(t, nil)
	code, stdout, stderr := runCLI(t, "report", filepath.Join(dir, "run.json"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := filepath.Join(dir, "index.html") + "\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	want := []string{"index.html", "index.md", "pow-attribution.png", "pow-efficiency.png", "pow-overhead.png", "pow-phases.png", "pow-speedup.png", "pow-time.png", "pow-trials.png", "run.json"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("run folder holds %v, want %v", got, want)
	}
}

func TestReportOverlaysRuns(t *testing.T) {
	a, b := runFolder(t, nil), runFolder(t, func(r *runfile.Run) { r.Env.Host = "other" })
	out := filepath.Join(t.TempDir(), "cmp")
	code, stdout, stderr := runCLI(t, "report", a, filepath.Join(b, "run.json"), "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != filepath.Join(out, "index.html")+"\n" {
		t.Errorf("stdout %q", stdout)
	}
	md, err := os.ReadFile(filepath.Join(out, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Run small", "## Run other", "small: pow at c = 4", "other: pow at c = 4"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("index.md lacks %q", want)
		}
	}
}

// TestReportFlags checks parsing apart from drawing.
func TestReportFlags(t *testing.T) {
	var got *reportOptions
	cmd := newCmdReport(io.Discard, func(o *reportOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a/", "b/run.json", "-o", "cmp", "--label", "laptop", "--label", "server"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Paths, []string{"a/", "b/run.json"}) || got.Out != "cmp" || !slices.Equal(got.Labels, []string{"laptop", "server"}) {
		t.Errorf("options %+v", got)
	}
}

func TestReportDefaults(t *testing.T) {
	dir := runFolder(t, nil)
	if got := runDir(filepath.Join(dir, "run.json")); got != dir {
		t.Errorf("runDir of run.json: %s, want %s", got, dir)
	}
	if got := runDir(dir); got != dir {
		t.Errorf("runDir of the folder: %s", got)
	}
	run := func(h string) *runfile.Run { return &runfile.Run{Env: runfile.Env{Host: h}} }
	mon, tue := filepath.Join(t.TempDir(), "mon"), filepath.Join(t.TempDir(), "tue")
	os.Mkdir(mon, 0o755)
	os.Mkdir(tue, 0o755)
	got := defaultLabels([]string{mon, filepath.Join(tue, "run.json"), dir}, []*runfile.Run{run("vm"), run("vm"), run("box")})
	if want := []string{"mon", "tue", "box"}; !slices.Equal(got, want) {
		t.Errorf("labels %v, want %v (same host: the run folder's name)", got, want)
	}
}

func TestRunWithReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(t, "run", "--cores", "1", "--models", "goroutines", "--workloads", "square",
		"--param", "square.tasks=1000", "--trials", "3", "--warmup", "0", "--out", out, "-q", "--report")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	index := filepath.Join(out, "index.html")
	if !strings.Contains(stderr, "report: "+index+"\n") {
		t.Errorf("stderr %q does not give the index page", stderr)
	}
	for _, f := range []string{"index.html", "index.md", "square-time.png", "square-trials.png", "run.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
