package main

import (
	"os"
	"os/exec"
	"path/filepath"
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

// TestOnlyPyModelsWithoutPythonFails checks the exit status when nothing
// but py-* models was asked for and none can run.
func TestOnlyPyModelsWithoutPythonFails(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "--cores", "1", "--models", "py", "--workloads", "square",
		"--param", "square.tasks=100", "--trials", "1", "--warmup", "0", "--out", t.TempDir(), "-q", "--python", "/nonexistent/python3")
	if code != exitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "nothing ran") || !strings.Contains(stderr, "--python /nonexistent/python3: no such file") {
		t.Errorf("stderr %q: want nothing ran, and why", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
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
