package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// tourMark is set in the environment of every run of the fault tour; the
// processes of the run inherit it, and the tour finds them by it.
const tourMark = "MPBENCH_TOUR_MARK"

// tourBinaries builds mpbench and mpbench-worker into one folder, as a user
// installs them, and returns the path of mpbench.
func tourBinaries(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the fault tour builds the executables and needs the go command: ", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/", "github.com/mpbench/mpbench/cmd/mpbench", "github.com/mpbench/mpbench/cmd/mpbench-worker")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "mpbench")
}

// tourRun is one mpbench run of the tour, started in the background with
// its own TMPDIR and mark.
type tourRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	mark   string
	tmp    string
	out    string
	stderr lockedBuffer
	exited chan struct{}
	shm    []string
}

func startTour(t *testing.T, exe string, args ...string) *tourRun {
	t.Helper()
	// Short: the Python Manager's socket lives under it.
	tmp, err := os.MkdirTemp("", "mpt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	r := &tourRun{t: t, mark: fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()), tmp: tmp,
		out: filepath.Join(t.TempDir(), "run"), exited: make(chan struct{}), shm: entries(t, "/dev/shm")}
	// One warm pass a trial (--min-time 0): the tour is about how runs
	// end, and 200 trials of 10 ms of passes would only make it wait.
	r.cmd = exec.Command(exe, append([]string{"run", "-q", "--out", r.out, "--warmup", "0", "--probe", "off", "--min-time", "0"}, args...)...)
	r.cmd.Env = append(os.Environ(), "TMPDIR="+tmp, tourMark+"="+r.mark)
	r.cmd.Stderr = &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.exited
		for _, p := range r.procs() {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	return r
}

type tourProc struct {
	pid  int
	role string // MPBENCH_CHILD_ROLE; "" for mpbench itself and Python
	cmd  string
}

// procs returns the living processes of the run but mpbench itself.
func (r *tourRun) procs() []tourProc {
	want := []byte(tourMark + "=" + r.mark + "\x00")
	ents, _ := os.ReadDir("/proc")
	var out []tourProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == r.cmd.Process.Pid {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		st, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if s := string(st); len(s) == 0 || strings.Fields(s[strings.LastIndexByte(s, ')')+2:])[0] == "Z" {
			continue
		}
		p := tourProc{pid: pid}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte(worker.EnvRole+"=")); ok {
				p.role = string(v)
			}
		}
		cl, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		p.cmd = string(bytes.ReplaceAll(cl, []byte{0}, []byte{' '}))
		out = append(out, p)
	}
	return out
}

// await waits until some processes of the run satisfy ok and returns them.
func (r *tourRun) await(what string, ok func([]tourProc) []tourProc) []tourProc {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := ok(r.procs()); got != nil {
			return got
		}
		select {
		case <-r.exited:
			r.t.Fatalf("mpbench exited before %s: %v\n%s", what, r.cmd.ProcessState, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no %s within 20s: %v", what, r.procs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits for mpbench to exit and returns its exit code.
func (r *tourRun) wait() int {
	r.t.Helper()
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		r.t.Fatalf("mpbench did not exit within 30s:\n%s", r.stderr.String())
	}
	if ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return r.cmd.ProcessState.ExitCode()
}

// checkNothingLeft fails unless, within a few seconds, no process of the
// run remains, its TMPDIR is empty and /dev/shm holds nothing new.
func (r *tourRun) checkNothingLeft() {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.procs()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := r.procs(); len(left) > 0 {
		r.t.Errorf("processes of the run left behind: %+v", left)
	}
	if left := entries(r.t, r.tmp); len(left) > 0 {
		r.t.Errorf("left in the run's TMPDIR: %v", left)
	}
	for _, n := range entries(r.t, "/dev/shm") {
		if !slices.Contains(r.shm, n) {
			r.t.Errorf("new in /dev/shm: %s", n)
		}
	}
}

func entries(t *testing.T, dir string) []string {
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// workers picks the model's processes: at least n worker processes (not
// the cell runner) or, for Python, n processes of pyref.py.
func workers(n int) func([]tourProc) []tourProc {
	return func(ps []tourProc) []tourProc {
		var got []tourProc
		for _, p := range ps {
			if p.role != "" && p.role != "cell" || strings.Contains(p.cmd, "pyref.py") {
				got = append(got, p)
			}
		}
		if len(got) < n {
			return nil
		}
		return got
	}
}

// tourFamilies are the model families of the tour: the Go process models
// and, where a Python can run, the Python Manager.
func tourFamilies(t *testing.T) []struct {
	model   string
	procs   int
	workArg string
} {
	fams := []struct {
		model   string
		procs   int
		workArg string
	}{
		{"procpool", 2, "cpu.n=100000"},
		{"shm", 2, "cpu.n=100000"},
		{"manager", 3, "cpu.n=100000"}, // the manager process and two workers
	}
	if _, err := py.Find(); err == nil {
		fams = append(fams, struct {
			model   string
			procs   int
			workArg string
		}{"py-manager", 3, "cpu.n=20000"}) // the interpreter, the Manager's server, a worker
	} else {
		t.Logf("the py-manager stops of the tour are left out: %v", err)
	}
	return fams
}

// TestFaultTour runs the built executables and ends runs the ways a run
// ends early: a worker killed (the cell fails, the run goes on), mpbench
// killed (SIGKILL), Ctrl-C (SIGINT: exit 130, completed cells kept). After
// each, nothing of the run may remain: no process, nothing in its TMPDIR,
// nothing new in /dev/shm.
func TestFaultTour(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("the fault tour runs models on 2 cores; this machine has 1 CPU")
	}
	if cpus, err := worker.AllowedCPUs(); err != nil || len(cpus) < 2 {
		t.Skipf("the fault tour runs models on 2 cores; this process may use %d CPUs (%v)", len(cpus), err)
	}
	exe := tourBinaries(t)
	common := func(model, param string) []string {
		cores := "2"
		if strings.HasPrefix(model, "py-") {
			cores = "1"
		}
		// The baseline, sequential, runs all its trials first; the
		// model's cell, which starts its workers in every trial, takes
		// several times as long, and the stop comes in its middle.
		args := []string{"--models", model, "--workloads", "cpu", "--cores", cores, "--param", param, "--trials", "200"}
		if strings.HasPrefix(model, "py-") {
			// py-sequential's baseline runs first, an interpreter per trial:
			// the budget ends it in seconds, and leaves the model seconds
			// of trials to be stopped in.
			args = append(args, "--cell-budget", "2s")
		}
		return args
	}

	t.Run("worker killed", func(t *testing.T) {
		r := startTour(t, exe, "--models", "procpool,goroutines", "--workloads", "cpu", "--cores", "2",
			"--param", "cpu.n=100000", "--trials", "200")
		ws := r.await("procpool's workers", workers(2))
		syscall.Kill(ws[0].pid, syscall.SIGKILL)
		if code := r.wait(); code != exitFailure {
			t.Errorf("exit %d, want 1 (a cell failed):\n%s", code, r.stderr.String())
		}
		run, err := runfile.Load(r.out)
		if err != nil {
			t.Fatal(err)
		}
		var failed, ran []string
		for _, c := range run.Cells {
			if c.Failed() {
				failed = append(failed, c.Model)
			} else {
				ran = append(ran, c.Model)
			}
		}
		if !slices.Equal(failed, []string{"procpool"}) || !slices.Contains(ran, "goroutines") {
			t.Errorf("failed %v, passed %v: want procpool failed and the run gone on to goroutines", failed, ran)
		}
		r.checkNothingLeft()
	})

	for _, f := range tourFamilies(t) {
		t.Run("mpbench killed/"+f.model, func(t *testing.T) {
			r := startTour(t, exe, common(f.model, f.workArg)...)
			r.await(f.model+"'s processes", workers(f.procs))
			r.cmd.Process.Signal(syscall.SIGKILL)
			r.wait()
			// The cell runner had no time to remove its folders: a later
			// run sweeps them.
			deadline := time.Now().Add(5 * time.Second)
			for len(r.procs()) > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			later := exec.Command(r.cmd.Path, "run", "-q", "--probe", "off", "--out", r.out+"-later", "--models", "goroutines", "--cores", "1",
				"--workloads", "square", "--param", "square.tasks=100", "--trials", "1", "--warmup", "0")
			later.Env = r.cmd.Env
			if out, err := later.CombinedOutput(); err != nil {
				t.Fatalf("a later run: %v\n%s", err, out)
			}
			r.checkNothingLeft()
		})
		t.Run("interrupted/"+f.model, func(t *testing.T) {
			r := startTour(t, exe, common(f.model, f.workArg)...)
			r.await(f.model+"'s processes", workers(f.procs))
			r.cmd.Process.Signal(syscall.SIGINT)
			if code := r.wait(); code != exitInterrupted {
				t.Errorf("exit %d, want 130:\n%s", code, r.stderr.String())
			}
			run, err := runfile.Load(r.out)
			if err != nil {
				t.Fatal(err)
			}
			// The baselines run first: sequential, and py-sequential for a
			// Python model.
			want := []string{"sequential"}
			if strings.HasPrefix(f.model, "py-") {
				want = append(want, "py-sequential")
			}
			var kept []string
			for _, c := range run.Cells {
				if !c.Failed() {
					kept = append(kept, c.Model)
				}
			}
			if run.Status != "interrupted" || len(run.Cells) != len(want) || !slices.Equal(kept, want) {
				t.Errorf("run file: status %q, cells %v; want interrupted with the baselines %v kept", run.Status, kept, want)
			}
			r.checkNothingLeft()
		})
	}
}
