package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/harness/probe"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/reports/render"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// envMain makes the test binary behave as the mpbench binary, for tests
// that need a real process to signal.
const envMain = "MPBENCH_TEST_AS_MAIN"

// envTestDrawerPanics makes this test binary, run as the drawer, panic.
const envTestDrawerPanics = "MPBENCH_TEST_DRAWER_PANICS"

func TestMain(m *testing.M) {
	// This test binary is also the drawing executable: draw runs it with
	// argv[0] set to its name.
	if filepath.Base(os.Args[0]) == drawCommand {
		if os.Getenv(envTestDrawerPanics) != "" {
			panic("the drawer crashed (test)")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := render.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	// It is also mpbench-worker: it serves the cell runner of
	// testRegistry and, through the model packages, their workers; started
	// as slowWorkerName, it is a worker whose goroutines is slower.
	if exe, err := os.Executable(); err == nil {
		os.Setenv(envDraw, exe)
		os.Setenv(envWorker, exe)
	}
	// A race-enabled child sleeps a second at exit unless told not to
	// (GORACE atexit_sleep_ms); every cell runner, worker, probe and
	// drawer of these tests is one, and inherits this.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	reg := testRegistry
	if filepath.Base(os.Args[0]) == slowWorkerName {
		reg = slowGoroutines(testRegistry)
	}
	worker.Register(cellrun.RoleName, cellrun.Role(reg))
	probe.Register()
	probeSize, runProbeSize = tinyProbe, tinyProbe
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	if os.Getenv(envMain) != "" {
		os.Exit(mpbench(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadInputExits2AndWritesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plainfile")
	os.WriteFile(file, nil, 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"cores 0", []string{"--cores", "0"}, `mpbench: --cores "0": core counts start at 1`},
		{"cores backwards", []string{"--cores", "3..1"}, `--cores "3..1": range 3..1 runs backwards`},
		{"cores a", []string{"--cores", "a"}, `--cores "a": "a" is not a core count`},
		{"cores 999", []string{"--cores", "1..999"}, "or allow --oversubscribe"},
		{"trials 0", []string{"--trials", "0"}, "--trials 0: at least 1 trial per cell"},
		{"warmup -1", []string{"--warmup", "-1"}, "--warmup -1: cannot be negative"},
		{"unknown model", []string{"--models", "threads"}, `--models: unknown "threads" (valid: sequential, goroutines`},
		{"unknown workload", []string{"--workloads", "gpu"}, `--workloads: unknown "gpu" (valid: cpu, square, pow`},
		{"negative param", []string{"--param", "cpu.n=-5"}, `--param "cpu.n=-5": cpu.n=-5 is out of range`},
		{"unknown param", []string{"--param", "cpu.size=5"}, `--param "cpu.size=5": cpu.size is not a parameter`},
		{"bad format", []string{"--format", "xml"}, "accepted: table, json, csv, markdown"},
		{"unwritable out", []string{"--out", filepath.Join(file, "run")}, "--out " + filepath.Join(file, "run") + ": cannot write there"},
		{"unwritable results", []string{"--results", file}, "--results " + file + "/"},
		{"unknown flag", []string{"--corez", "1"}, "unknown flag: --corez"},
		{"rounds 0", []string{"--rounds", "0"}, "--rounds 0: at least 1"},
		{"trials below rounds", []string{"--trials", "2", "--rounds", "3"}, "--trials 2: fewer than --rounds 3: every round needs a trial of every cell"},
		{"param for absent workload", []string{"--workloads", "cpu", "--param", "pow.tasks=3"}, "--param: sets pow.*, but workload pow is not in this run (--workloads cpu)"},
		{"max-time without target-ci", []string{"--max-time", "30s"}, "--max-time 30s: only with --target-ci"},
		{"target-ci 200%", []string{"--target-ci", "200%"}, "want a percentage like 5% or a fraction like 0.05"},
		{"backwards sweep", []string{"--param", "cpu.n=10..1/x2"}, `--param "cpu.n=10..1/x2": "10..1/x2": range runs backwards`},
		{"sweep without step", []string{"--param", "cpu.n=10..100"}, `--param "cpu.n=10..100": "10..100": a range needs a step /xK or /+K`},
		{"bad duration", []string{"--timeout", "soon"}, "invalid argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results := t.TempDir()
			args := append([]string{"run", "--results", results, "-q"}, c.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			if !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr %q: want one line containing %q", stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if entries, _ := os.ReadDir(results); len(entries) != 0 {
				t.Errorf("left %d entries in the results folder", len(entries))
			}
		})
	}
	if code, _, stderr := runCLI(t, "frobnicate"); code != exitUsage || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
}

func TestRunWritesRunFileAndTable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(t, "run", "--cores", "1", "--models", "goroutines", "--workloads", "cpu,pow",
		"--param", "cpu.tasks=4", "--param", "cpu.n=10000", "--param", "pow.tasks=1000",
		"--trials", "3", "--warmup", "0", "--out", out, "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"workload cpu (4 tasks", "workload pow (1000 tasks", "sequential", "goroutines", "SPEEDUP"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	run, err := runfile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "complete" || len(run.Cells) != 4 || run.Env.CPUModel == "" || len(run.Env.CommandLine) == 0 {
		t.Fatalf("run: status %q, %d cells, env %+v", run.Status, len(run.Cells), run.Env)
	}
	if exe, _ := os.Executable(); run.Env.WorkerExecutable != exe || run.Env.WorkerBytes <= 0 {
		t.Errorf("run file records worker executable %q (%d bytes), want %q: the one cells started from", run.Env.WorkerExecutable, run.Env.WorkerBytes, exe)
	}
	// The models that ran, as the table names them, for mpbench-draw.
	if len(run.Models) != 2 || run.Models[0].Name != "sequential" || run.Models[1].Name != "goroutines" || run.Models[1].Color == "" {
		t.Errorf("run file records models %+v, want sequential and goroutines from the table", run.Models)
	}
	if !strings.Contains(stderr, "run file: "+filepath.Join(out, "run.json")) {
		t.Errorf("stderr %q does not give the run file", stderr)
	}
}

func TestFormats(t *testing.T) {
	for _, f := range []struct{ format, want string }{
		{"json", `"schema": "mpbench.run"`},
		{"csv", "workload,model,cores,tasks"},
		{"markdown", "| model | cores | median |"},
	} {
		code, stdout, stderr := runCLI(t, "run", "--cores", "1", "--models", "sequential", "--workloads", "square",
			"--param", "square.tasks=100", "--trials", "2", "--warmup", "0", "--out", t.TempDir(), "-q", "--format", f.format)
		if code != 0 || !strings.Contains(stdout, f.want) {
			t.Errorf("--format %s: exit %d, stdout lacks %q: %s %s", f.format, code, f.want, stdout, stderr)
		}
	}
}

func TestListAndVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, "list")
	if code != 0 {
		t.Fatal(code)
	}
	for i, info := range all.Infos() {
		twin := info.Twin
		if twin == "" {
			twin = "-"
		}
		var line []string
		for _, l := range strings.Split(stdout, "\n") {
			if f := strings.Fields(l); len(f) > 3 && f[0] == info.Name {
				line = f
			}
		}
		if len(line) == 0 || line[1] != info.Family || line[2] != twin || !strings.Contains(stdout, all.Table[i].Model.Doc()) {
			t.Errorf("list shows %s as %q, want family %s, twin %s and its doc", info.Name, line, info.Family, twin)
		}
	}
	if !strings.Contains(stdout, "cpu.n") {
		t.Error("list lacks the parameters")
	}
	code, stdout, _ = runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "mpbench ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "bash completion") {
		t.Errorf("completion bash: exit %d", code)
	}
}

// TestInterruptKeepsCellsAndLeavesNoChild sends SIGINT to a real mpbench
// process (this test binary as main) in the middle of a run.
func TestInterruptKeepsCellsAndLeavesNoChild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	exe, _ := os.Executable()
	// procpool at c = 2: the cell runner has worker processes of its own
	// when the signal comes, and none of them may outlive mpbench.
	cmd := exec.Command(exe, "run", "--cores", "2", "--models", "procpool", "--workloads", "cpu",
		"--param", "cpu.tasks=4", "--param", "cpu.n=20000000", "--trials", "50", "--warmup", "0", "--out", out, "-q", "--report")
	cmd.Env = append(os.Environ(), envMain+"=1")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Wait until the sequential cell is on disk and the goroutines cell runs.
	deadline := time.Now().Add(60 * time.Second)
	var kids []int
	for time.Now().Before(deadline) {
		if run, err := runfile.Load(out); err == nil && len(run.Cells) == 1 {
			// The runner and its 2 workers.
			if kids = descendants(cmd.Process.Pid); len(kids) >= 3 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(kids) < 3 {
		t.Fatalf("no cell completed with a runner and its workers in flight in time (%d descendants); stderr: %s", len(kids), stderr.String())
	}
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("exit took %v after SIGINT", d)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130; stderr: %s", code, err, stderr.String())
	}
	// Workers die by Pdeathsig when their runner is killed, a moment after
	// mpbench itself has exited: give them the 2 s the issue allows. A
	// zombie waiting for init to reap it runs nothing and counts as gone.
	deadline = time.Now().Add(2 * time.Second)
	for _, pid := range kids {
		for running(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if running(pid) {
			st, _ := worker.StatusField(pid, "State")
			t.Errorf("child %d outlived mpbench by 2 s (state %s)", pid, st)
		}
	}
	run, err := runfile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "interrupted" || len(run.Cells) != 1 || len(run.Cells[0].Trials) != 50 {
		t.Fatalf("status %q, %d cells", run.Status, len(run.Cells))
	}
	// --report: an interrupted run is not drawn, and says how to draw it.
	if !strings.Contains(stderr.String(), "report not drawn: the run was interrupted (draw it with: mpbench report "+out+")") {
		t.Errorf("stderr does not say the report was not drawn: %s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted run drew a report: %v", err)
	}
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	st, err := worker.StatusField(pid, "State")
	return err == nil && !strings.HasPrefix(st, "Z")
}

// descendants returns the PIDs of every living descendant of pid.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command name: state, ppid.
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 1 && f[0] != "Z" {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for c, pp := range parent {
			if pp == p {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(pid)
	return out
}
