package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/runfile"
)

// TestBadPythonSkipsPyModels checks that a --python that cannot run leaves
// the py-* models out, says so once, and lets the other models run.
func TestBadPythonSkipsPyModels(t *testing.T) {
	before, had := os.LookupEnv(py.EnvPython)
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(t, "run", "--cores", "1", "--models", "goroutines,py-pool,py-queue", "--workloads", "square",
		"--param", "square.tasks=100", "--trials", "1", "--warmup", "0", "--out", out, "-q", "--python", "/nonexistent/python3")
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (goroutines ran): %s", code, stderr)
	}
	want := "mpbench: skipped models py-pool, py-queue: no usable Python: --python /nonexistent/python3: no such file\n"
	if !strings.Contains(stderr, want) || strings.Count(stderr, "skipped") != 1 {
		t.Errorf("stderr %q: want the skip said once: %q", stderr, want)
	}
	run, err := runfile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Skipped) != 2 || len(run.Cells) != 2 {
		t.Errorf("run file: %d skipped, %d cells; want 2 and 2 (sequential, goroutines)", len(run.Skipped), len(run.Cells))
	}
	if now, has := os.LookupEnv(py.EnvPython); now != before || has != had {
		t.Errorf("%s left as %q after the run", py.EnvPython, now)
	}
}

// TestOnlyPyModelsWithBadPythonExits2 checks that a --python that cannot
// run the only models asked for is a bad command line: exit 2, one line,
// and no run folder.
func TestOnlyPyModelsWithBadPythonExits2(t *testing.T) {
	for _, models := range []string{"py", "py-sequential"} {
		t.Run(models, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, stdout, stderr := runCLI(t, "run", "--cores", "1", "--models", models, "--workloads", "square",
				"--param", "square.tasks=100", "--trials", "1", "--warmup", "0", "--out", out, "-q", "--python", "/nonexistent/python3")
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, "nothing ran") || !strings.Contains(stderr, "--python /nonexistent/python3: no such file") ||
				strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr %q: want one line: nothing ran, and why", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("run folder %s was made (%v), want nothing written", out, err)
			}
		})
	}
}

// TestRunPrintsGoVsPython runs two py-* models and checks the pairs table
// and the Python version in the run file.
func TestRunPrintsGoVsPython(t *testing.T) {
	in, err := py.Find()
	if err != nil {
		// Skip only where there is no python3 to find; a Python that is
		// there but cannot run the models is a failure.
		msg := "the py-* models cannot run here: " + err.Error()
		if _, lerr := exec.LookPath("python3"); lerr != nil && os.Getenv(py.EnvPython) == "" && os.Getenv("MPBENCH_REQUIRE_PYTHON") == "" {
			t.Skip(msg + " (no python3 in PATH, so this test is skipped)")
		}
		t.Fatal(msg)
	}
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(t, "run", "--cores", "1", "--models", "py-sequential,py-pool", "--workloads", "square",
		"--param", "square.tasks=500", "--trials", "2", "--warmup", "0", "--out", out, "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Go vs Python", "sequential  py-sequential", "py-sequential vs sequential: ", "Go faster in 1 of 1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// procpool did not run, so the table has no py-pool row.
	for _, absent := range []string{"procpool  py-pool", "procpool at c=1 not in this run"} {
		if strings.Contains(stdout, absent) {
			t.Errorf("stdout has %q, a pair that did not run:\n%s", absent, stdout)
		}
	}
	run, err := runfile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Cells {
		if c.Failed() {
			t.Errorf("%s failed: %s", c.Model, c.Error)
		}
		if strings.HasPrefix(c.Model, "py-") {
			for _, tr := range c.Trials {
				if tr.Info["python"] != in.Version {
					t.Errorf("%s: trial info %v, want python %s", c.Model, tr.Info, in.Version)
				}
			}
		}
	}
	// JSON output stays one document.
	code, stdout, _ = runCLI(t, "run", "--cores", "1", "--models", "py-sequential", "--workloads", "square",
		"--param", "square.tasks=100", "--trials", "1", "--warmup", "0", "--out", t.TempDir(), "-q", "--format", "json")
	if code != exitOK || strings.Contains(stdout, "Go vs Python") {
		t.Errorf("--format json: exit %d, pairs table in the JSON output", code)
	}
}

// TestRunOutRefusesOldRun checks that --out into a folder that holds a run
// is refused (exit 2, nothing touched) unless --force, which removes the
// files mpbench wrote there, and only those, before the run.
func TestRunOutRefusesOldRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	os.Mkdir(out, 0o755)
	old := map[string]string{"run.json": "{}", "cpu-speedup.png": "old", "index.html": "old", "index.md": "old", "notes.txt": "mine"}
	for n, s := range old {
		os.WriteFile(filepath.Join(out, n), []byte(s), 0o644)
	}
	args := []string{"run", "--cores", "1", "--models", "goroutines", "--workloads", "square",
		"--param", "square.tasks=100", "--trials", "1", "--warmup", "0", "--out", out, "-q"}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitUsage || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
		!strings.Contains(stderr, "--out "+out+": already holds a run") || !strings.Contains(stderr, "give --force to replace it") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want 2 and one line naming --force", code, stdout, stderr)
	}
	for n, s := range old {
		if b, _ := os.ReadFile(filepath.Join(out, n)); string(b) != s {
			t.Errorf("%s changed to %q by a refused run", n, b)
		}
	}
	code, _, stderr = runCLI(t, append(args, "--force")...)
	if code != exitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if got := names(t, out); !slices.Equal(got, []string{"notes.txt", "run.json"}) {
		t.Errorf("after --force the folder holds %v, want notes.txt and the new run.json", got)
	}
	if _, err := runfile.Load(out); err != nil {
		t.Errorf("new run file: %v", err)
	}
}
