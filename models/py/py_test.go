package py_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// The test binary plays the cell runner for TestPoolThroughRunCell.
func TestMain(m *testing.M) {
	reg := append(models.Registry{sequential.New()}, py.All()...)
	worker.Register(cellrun.RoleName, cellrun.Role(reg))
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	// A race-enabled child sleeps a second at exit unless told not to
	// (GORACE atexit_sleep_ms); the cell runners inherit this.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

// needPython returns the interpreter the py-* models run; it skips the
// test only when there is no python3 to find (py.RequirePython).
func needPython(t *testing.T) *py.Interpreter {
	t.Helper()
	return py.RequirePython(t)
}

func TestNamesFamilyAndDocs(t *testing.T) {
	want := []string{"py-sequential", "py-pool", "py-pool-async", "py-pipe", "py-queue", "py-shm-lock", "py-manager"}
	all := py.All()
	if len(all) != len(want) {
		t.Fatalf("%d models, want %d", len(all), len(want))
	}
	for i, m := range all {
		if m.Name() != want[i] {
			t.Errorf("model %d is %q, want %q", i, m.Name(), want[i])
		}
		if models.FamilyOf(m) != "py" {
			t.Errorf("%s: family %q, want py", m.Name(), models.FamilyOf(m))
		}
		// Its Go twin is named by the model table (models/all), not here.
		if !strings.HasPrefix(m.Doc(), "Python: ") {
			t.Errorf("%s: doc %q does not name the Python pattern", m.Name(), m.Doc())
		}
		if got := models.IsSingleCore(m); got != (m.Name() == "py-sequential") {
			t.Errorf("%s: single core %v", m.Name(), got)
		}
	}
}

// TestEveryPatternThroughTheModel runs one trial of every model through
// Setup, Compute and Teardown and checks what the harness would: the
// checksum against the Go reference, the phases, the Python version.
func TestEveryPatternThroughTheModel(t *testing.T) {
	in := needPython(t)
	sizes := map[string]map[string]int64{
		"cpu":    {"tasks": 6, "n": 3000},
		"square": {"tasks": 2001},
		"pow":    {"tasks": 2001},
	}
	for _, m := range py.All() {
		for _, wl := range workloads.All() {
			for _, cores := range []int{1, 2} {
				if cores > 1 && models.IsSingleCore(m) {
					continue
				}
				t.Run(m.Name()+"/"+wl.Name+"/c="+string(rune('0'+cores)), func(t *testing.T) {
					inst, err := wl.New(sizes[wl.Name], 1)
					if err != nil {
						t.Fatal(err)
					}
					cfg := models.Config{Workload: inst, Cores: cores}
					sess, err := m.Setup(context.Background(), cfg)
					if err != nil {
						t.Fatal(err)
					}
					out, err := sess.Compute(context.Background())
					if terr := sess.Teardown(); err == nil {
						err = terr
					}
					if err != nil {
						t.Fatal(err)
					}
					if out.Checksum == nil || *out.Checksum != inst.Reference {
						t.Errorf("checksum %v, want the Go reference %d", out.Checksum, inst.Reference)
					}
					if out.Results != nil {
						t.Errorf("Results set; a py model reports a checksum only")
					}
					if out.Phases == nil || out.Phases.Compute <= 0 || out.Phases.Setup < 0 {
						t.Errorf("phases %+v", out.Phases)
					}
					if out.Info["python"] != in.Version || out.Info["start_method"] == "" {
						t.Errorf("info %v, want python %s and a start method", out.Info, in.Version)
					}
					if !models.IsSingleCore(m) && len(out.Workers) != cores {
						t.Errorf("%d workers, want %d", len(out.Workers), cores)
					}
					if out.Metrics["py_cpu_ns"] <= 0 {
						t.Errorf("metrics %v: want py_cpu_ns", out.Metrics)
					}
				})
			}
		}
	}
}

// TestPoolThroughRunCell runs py-pool at c = 1 the way mpbench does: in a
// fresh cell runner (this test binary) confined to one CPU.
func TestPoolThroughRunCell(t *testing.T) {
	in := needPython(t)
	cpus, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	params, _ := workloads.Square.Resolve(map[string]int64{"tasks": 5000})
	cell, err := cellrun.Run(context.Background(), cellrun.Spec{
		Workload: "square", Params: params, Scale: 1, Model: "py-pool", Cores: 1, Warmup: 1, Trials: 3,
	}, cellrun.Options{CPUs: cpus[:1], Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if cell.Failed() {
		t.Fatalf("cell failed: %s", cell.Error)
	}
	if len(cell.Trials) != 3 || cell.Warmups != 1 {
		t.Fatalf("%d trials, %d warm-ups; want 3, 1", len(cell.Trials), cell.Warmups)
	}
	for i, tr := range cell.Trials {
		if tr.ComputeNs <= 0 || tr.SetupNs <= 0 || tr.TeardownNs <= 0 {
			t.Errorf("trial %d: phases %d/%d/%d ns", i, tr.SetupNs, tr.ComputeNs, tr.TeardownNs)
		}
		if tr.Info["python"] != in.Version {
			t.Errorf("trial %d: info %v, want python %s", i, tr.Info, in.Version)
		}
		if len(tr.Workers) != 1 {
			t.Errorf("trial %d: workers %v, want one", i, tr.Workers)
		}
	}
	if cell.CPUs != worker.FormatCPUList(cpus[:1]) {
		t.Errorf("cell ran on CPUs %q, want %q", cell.CPUs, worker.FormatCPUList(cpus[:1]))
	}
}

// TestBadPythonIsUnavailable checks the reasons Available gives for a
// --python that cannot serve. It needs no Python.
func TestBadPythonIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := write("python2", "#!/bin/sh\necho 2.7.18\n", 0o755)
	old37 := write("python37", "#!/bin/sh\necho 3.7.17\n", 0o755)
	noise := write("notpython", "#!/bin/sh\necho hello\n", 0o755)
	dies := write("dies", "#!/bin/sh\necho 'cannot start: libpython missing' >&2\nexit 3\n", 0o755)
	plain := write("plain", "not a program", 0o644)
	cases := []struct {
		name, python string
		want         []string
	}{
		{"missing", dir + "/nope", []string{"--python " + dir + "/nope", "no such file"}},
		{"directory", dir, []string{"--python " + dir, "is a directory"}},
		{"not executable", plain, []string{"--python " + plain, "not an executable file"}},
		{"python 2", old, []string{"--python " + old, "is Python 2.7.18", "need Python 3.8 or later"}},
		{"python 3.7", old37, []string{"is Python 3.7.17"}},
		{"not python", noise, []string{"did not print a Python version", `"hello"`}},
		{"dies", dies, []string{"--python " + dies, "exit status 3", "libpython missing"}},
		{"not in PATH", "python-nonexistent-9.9", []string{"--python python-nonexistent-9.9: not found in PATH"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(py.EnvPython, c.python)
			err := py.Pool().Available()
			if err == nil {
				t.Fatal("available, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			// Setup fails the same way inside a cell runner.
			inst, _ := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
			if _, err := py.Pool().Setup(context.Background(), models.Config{Workload: inst, Cores: 1}); err == nil {
				t.Error("Setup succeeded with a bad interpreter")
			}
		})
	}
}

// TestNoPythonInPath checks the message when python3 is not in PATH at all.
func TestNoPythonInPath(t *testing.T) {
	t.Setenv(py.EnvPython, "")
	t.Setenv("PATH", t.TempDir())
	err := py.Manager().Available()
	if err == nil || !strings.Contains(err.Error(), "python3 not found in PATH") || !strings.Contains(err.Error(), "--python PATH") {
		t.Fatalf("error %v, want one saying python3 is not in PATH and naming --python", err)
	}
}

// TestPython3InPathIsTheDefault checks that without --python the models run
// python3 from PATH, resolved to its sys.executable (a pyenv shim in front
// of it is not paid by every trial).
func TestPython3InPathIsTheDefault(t *testing.T) {
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found in PATH")
	}
	t.Setenv(py.EnvPython, "")
	in := needPython(t)
	out, err := exec.Command(p, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(out)); in.Path != want {
		t.Errorf("interpreter %s, want %s (sys.executable of %s)", in.Path, want, p)
	}
}

// TestPassesThroughTheModel runs several passes on one session of every
// pattern (modeltest.CheckPasses): the script keeps its pool, processes or
// manager, and each pass's checksum must be the reference on its own.
func TestPassesThroughTheModel(t *testing.T) {
	needPython(t)
	inst, err := workloads.Square.New(map[string]int64{"tasks": 1001}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range py.All() {
		cores := 2
		if models.IsSingleCore(m) {
			cores = 1
		}
		t.Run(m.Name(), func(t *testing.T) {
			if err := modeltest.CheckPasses(m, models.Config{Workload: inst, Cores: cores, Chunk: 333}, modeltest.PassCount); err != nil {
				t.Fatal(err)
			}
		})
	}
}
