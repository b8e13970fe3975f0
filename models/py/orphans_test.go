package py_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// TestNothingLeftBehind runs a py-manager cell (the interpreter, the
// Manager's server process, a worker) in a cell runner and ends it mid-trial
// the two ways a run ends early: the cell runner killed outright (mpbench
// SIGKILLed: the runner dies by its Pdeathsig) and cancelled (Ctrl-C: the
// runner gets SIGTERM). No process of the cell may remain, and no file
// under TMPDIR but, after a SIGKILL, the session's own folder, which the
// next session sweeps.
func TestNothingLeftBehind(t *testing.T) {
	needPython(t)
	cpus, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"runner killed", "cancelled"} {
		t.Run(how, func(t *testing.T) {
			// Short: the Manager's socket is TMPDIR/mpbench-py-…/pymp-…/listener-….
			tmp, err := os.MkdirTemp("", "mpb")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(tmp)
			t.Setenv("TMPDIR", tmp)
			mark := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
			t.Setenv("MPBENCH_TEST_MARK", mark)
			params, _ := workloads.CPU.Resolve(map[string]int64{"tasks": 8, "n": 30_000_000})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			runner := make(chan int, 1)
			done := make(chan string, 1)
			go func() {
				cell, err := cellrun.Run(ctx, cellrun.Spec{
					Workload: "cpu", Params: params, Scale: 1, Model: "py-manager", Cores: 1, Trials: 3,
				}, cellrun.Options{CPUs: cpus[:1], Timeout: 2 * time.Minute, OnStart: func(pid int) { runner <- pid }})
				done <- fmt.Sprint(cell.Error, err)
			}()
			pid := <-runner
			// The interpreter, the Manager's server, a worker: forked, all
			// three have the interpreter's command line.
			deadline := time.Now().Add(30 * time.Second)
			for len(scripts(mark)) < 3 {
				select {
				case msg := <-done:
					t.Fatalf("the cell ended before its processes all started: %s", msg)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("the cell's processes did not all start: %v", marked(mark))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if how == "runner killed" {
				syscall.Kill(pid, syscall.SIGKILL)
			} else {
				cancel()
			}
			<-done
			deadline = time.Now().Add(5 * time.Second)
			for len(marked(mark)) > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if left := marked(mark); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
				for _, p := range left {
					syscall.Kill(p, syscall.SIGKILL)
				}
			}
			left := entries(tmp)
			if how == "runner killed" {
				// Only the session's folder, owned by the dead runner.
				for _, n := range left {
					if !strings.HasPrefix(n, worker.OwnedDirName("py", pid)) {
						t.Errorf("left in TMPDIR: %s, want only the session's folder", n)
					}
				}
				worker.SweepStale(tmp)
				left = entries(tmp)
			}
			if len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}

// marked returns the PIDs of the living processes whose environment has
// MPBENCH_TEST_MARK=mark.
func marked(mark string) []int {
	want := []byte("MPBENCH_TEST_MARK=" + mark + "\x00")
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			s := string(st)
			if f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]); len(f) > 0 && f[0] == "Z" {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}

// scripts returns the marked processes that run pyref.py.
func scripts(mark string) []int {
	var out []int
	for _, pid := range marked(mark) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && bytes.Contains(b, []byte("pyref.py")) {
			out = append(out, pid)
		}
	}
	return out
}

func entries(dir string) []string {
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
