package pyref

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpbench/mpbench/workloads"
)

// python returns the interpreter the tests use: $MPBENCH_PYTHON, else
// python3 in PATH. Without one the test is skipped, saying why, unless
// MPBENCH_REQUIRE_PYTHON is set (CI machines that have Python).
//
// It returns the interpreter's sys.executable, as the py-* models run it
// (py.Find): a launcher in front of it, such as a pyenv shim, is paid
// once, not by every one of the scripts these tests start.
func python(t *testing.T) string {
	t.Helper()
	p := os.Getenv("MPBENCH_PYTHON")
	if p == "" {
		var err error
		if p, err = exec.LookPath("python3"); err != nil {
			msg := "python3 not found in PATH (install Python 3.8+ or set MPBENCH_PYTHON): the Python reference scripts are not checked"
			if os.Getenv("MPBENCH_REQUIRE_PYTHON") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	exe, err := sysExecutable(p)
	if err != nil {
		t.Fatalf("%s: cannot run it: %v", p, err)
	}
	return exe
}

// sysExecutable returns sys.executable of the interpreter p, asking it
// once: p is the same for every test of this binary.
var sysExecutable = func() func(p string) (string, error) {
	var once sync.Once
	var exe string
	var err error
	return func(p string) (string, error) {
		once.Do(func() {
			var out []byte
			if out, err = exec.Command(p, "-c", "import sys; print(sys.executable or '')").Output(); err != nil {
				return
			}
			if exe = strings.TrimSpace(string(out)); !filepath.IsAbs(exe) {
				exe = p // no sys.executable to go by: run p itself
			}
		})
		return exe, err
	}
}()

func writeScript(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ScriptName)
	if err := os.WriteFile(path, Script, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type line struct {
	SetupNs    *int64  `json:"setup_ns"`
	ComputeNs  *int64  `json:"compute_ns"`
	TeardownNs *int64  `json:"teardown_ns"`
	Checksum   *uint64 `json:"checksum"`
	Python     string  `json:"python"`
	Tasks      int     `json:"tasks"`
	Workers    []int   `json:"workers"`
	QueueItems *int    `json:"queue_items"`
}

// TestChecksumsMatchGo runs every pattern on every workload at small sizes
// and c = 1, 2 and compares each trial's checksum with the Go workload's
// reference.
func TestChecksumsMatchGo(t *testing.T) {
	py := python(t)
	script := writeScript(t)
	sizes := map[string]map[string]int64{
		"cpu":    {"tasks": 7, "n": 2000},
		"square": {"tasks": 1003},
		"pow":    {"tasks": 1003}, // not a multiple of the period 40
	}
	for _, pattern := range Patterns {
		for _, wl := range workloads.All() {
			for _, cores := range []int{1, 2} {
				if pattern == "sequential" && cores > 1 {
					continue
				}
				name := fmt.Sprintf("%s/%s/c=%d", pattern, wl.Name, cores)
				t.Run(name, func(t *testing.T) {
					in, err := wl.New(sizes[wl.Name], 1)
					if err != nil {
						t.Fatal(err)
					}
					lines := runScript(t, py, script, "--pattern", pattern, "--workload", wl.Name,
						"--params", workloads.FormatParams(in.Params), "--cores", fmt.Sprint(cores), "--trials", "2")
					if len(lines) != 2 {
						t.Fatalf("got %d JSON lines, want 2 (one per trial)", len(lines))
					}
					for i, l := range lines {
						if l.Checksum == nil || l.SetupNs == nil || l.ComputeNs == nil || l.TeardownNs == nil || l.Python == "" {
							t.Fatalf("trial %d: line lacks a field: %+v", i, l)
						}
						if *l.Checksum != in.Reference {
							t.Errorf("trial %d: checksum %d, want the Go reference %d", i, *l.Checksum, in.Reference)
						}
						if l.Tasks != len(in.Tasks) {
							t.Errorf("trial %d: %d tasks, want %d", i, l.Tasks, len(in.Tasks))
						}
						if *l.ComputeNs <= 0 {
							t.Errorf("trial %d: compute_ns %d", i, *l.ComputeNs)
						}
						if pattern != "sequential" && len(l.Workers) != cores {
							t.Errorf("trial %d: %d workers, want %d", i, len(l.Workers), cores)
						}
					}
				})
			}
		}
	}
}

// TestCPUWrapsLikeUint64 checks a cpu task whose sum exceeds 2^64: the
// script must wrap it the way Go's uint64 arithmetic does.
func TestCPUWrapsLikeUint64(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 4,000,000-step Python loop")
	}
	py := python(t)
	script := writeScript(t)
	in, err := workloads.CPU.New(map[string]int64{"tasks": 1, "n": 4_000_000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	lines := runScript(t, py, script, "--pattern", "sequential", "--workload", "cpu", "--params", workloads.FormatParams(in.Params))
	if len(lines) != 1 || lines[0].Checksum == nil || *lines[0].Checksum != in.Reference {
		t.Fatalf("got %+v, want checksum %d", lines, in.Reference)
	}
}

// TestQueuePutsOneItemPerTask checks that the queue pattern puts one item
// per task, as Go's queue model does, whatever the chunk size.
func TestQueuePutsOneItemPerTask(t *testing.T) {
	py := python(t)
	script := writeScript(t)
	in, err := workloads.Square.New(map[string]int64{"tasks": 1000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	lines := runScript(t, py, script, "--pattern", "queue", "--workload", "square", "--params", "tasks=1000", "--cores", "2", "--chunk", "100")
	if len(lines) != 1 || lines[0].QueueItems == nil || *lines[0].QueueItems != 1000 {
		t.Fatalf("got %+v, want queue_items 1000", lines)
	}
	if *lines[0].Checksum != in.Reference {
		t.Errorf("checksum %d, want %d", *lines[0].Checksum, in.Reference)
	}
}

// TestWorkersWarmUpInSetup checks that every pattern's workers burn
// MPBENCH_WORKER_WARMUP of CPU time before they say they are ready, as the
// Go workers do, so that it lands in setup, not compute.
func TestWorkersWarmUpInSetup(t *testing.T) {
	py := python(t)
	script := writeScript(t)
	const warm = 300 * time.Millisecond
	t.Setenv("MPBENCH_WORKER_WARMUP", warm.String())
	for _, pattern := range Patterns {
		if pattern == "sequential" {
			continue // no workers
		}
		t.Run(pattern, func(t *testing.T) {
			lines := runScript(t, py, script, "--pattern", pattern, "--workload", "square", "--params", "tasks=10", "--cores", "1")
			if len(lines) != 1 {
				t.Fatalf("got %d lines", len(lines))
			}
			if setup := time.Duration(*lines[0].SetupNs); setup < warm {
				t.Errorf("setup %v, want at least the warm-up %v", setup, warm)
			}
			if compute := time.Duration(*lines[0].ComputeNs); compute > warm {
				t.Errorf("compute %v holds the warm-up %v", compute, warm)
			}
		})
	}
}

// TestBadArgumentsFail checks that the script refuses what it cannot run.
func TestBadArgumentsFail(t *testing.T) {
	py := python(t)
	script := writeScript(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown pattern", []string{"--pattern", "threads", "--workload", "cpu"}, "invalid choice"},
		{"unknown param", []string{"--pattern", "pool", "--workload", "cpu", "--params", "size=3"}, "want k=v with k in n, tasks"},
		{"bad value", []string{"--pattern", "pool", "--workload", "cpu", "--params", "n=x"}, "is not an integer"},
		{"zero cores", []string{"--pattern", "pool", "--workload", "cpu", "--cores", "0"}, "at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command(py, append([]string{script}, c.args...)...)
			cmd.Stderr = &stderr
			if err := cmd.Run(); err == nil {
				t.Fatal("exit status 0, want a failure")
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), c.want)
			}
		})
	}
}

func runScript(t *testing.T, py, script string, args ...string) []line {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, append([]string{script}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr: %s", filepath.Base(script), strings.Join(args, " "), err, stderr.String())
	}
	var out []line
	for _, s := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", s, err)
		}
		out = append(out, l)
	}
	return out
}
