package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/reports/render"
)

func TestDrawCommandName(t *testing.T) {
	if drawCommand != render.Command {
		t.Errorf("mpbench runs %q, the drawer calls itself %q", drawCommand, render.Command)
	}
}

// TestMpbenchLinksNoPlotter guards the reason mpbench-draw exists: every
// worker process re-executes mpbench, and the plotting library's size and
// package initialisation slowed each one's start (see draw.go).
func TestMpbenchLinksNoPlotter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "gonum.org/v1/plot") || strings.Contains(p, "go-latex") ||
			strings.Contains(p, "go-fonts") || p == "github.com/mpbench/mpbench/reports/render" {
			t.Errorf("mpbench links %s: keep drawing in mpbench-draw", p)
		}
	}
}

func TestFindDrawer(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, drawCommand)
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, nil, 0o644)

	t.Setenv(envDraw, exe)
	if got, err := findDrawer(); err != nil || got != exe {
		t.Errorf("%s set: got %q, %v", envDraw, got, err)
	}
	for _, bad := range []string{filepath.Join(dir, "missing"), plain, dir} {
		t.Setenv(envDraw, bad)
		if _, err := findDrawer(); err == nil || !strings.Contains(err.Error(), envDraw+"="+bad) {
			t.Errorf("%s=%s: got %v, want an error naming it", envDraw, bad, err)
		}
	}

	// Not beside the test binary, so PATH decides.
	t.Setenv(envDraw, "")
	t.Setenv("PATH", dir)
	if got, err := findDrawer(); err != nil || got != exe {
		t.Errorf("on PATH: got %q, %v", got, err)
	}
	// Beside this executable comes before PATH.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	beside := filepath.Join(filepath.Dir(self), drawCommand)
	if err := os.WriteFile(beside, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findDrawer(); err != nil || got != beside {
		t.Errorf("beside %s: got %q, %v", self, got, err)
	}
	os.Remove(beside)

	t.Setenv("PATH", t.TempDir())
	_, err = findDrawer()
	if err == nil || !strings.Contains(err.Error(), "needs the mpbench-draw executable") || !strings.Contains(err.Error(), "make build") {
		t.Errorf("nowhere: got %v, want an error that says how to get it", err)
	}
}

func TestReportWithoutDrawer(t *testing.T) {
	dir := runFolder(t, nil)
	t.Setenv(envDraw, filepath.Join(t.TempDir(), "missing"))
	code, stdout, stderr := runCLI(t, "report", dir)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, envDraw+"=") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q: want 1 and one line naming %s", code, stdout, stderr, envDraw)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("run folder holds %v", got)
	}

	// run --report fails before it runs anything.
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr = runCLI(t, "run", "--cores", "1", "--models", "goroutines", "--workloads", "square",
		"--trials", "3", "--out", out, "-q", "--report")
	if code != exitFailure || !strings.HasPrefix(stderr, "mpbench: --report: ") {
		t.Errorf("run --report: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run --report without a drawer made %s", out)
	}
}

// TestDrawRelaysDrawerErrors: what the drawer refuses is a usage error
// with its own one-line message; a crash is a failure, whatever its exit
// status, quoting the panic.
func TestDrawRelaysDrawerErrors(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope.json")
	_, err = draw(context.Background(), exe, "", []string{missing}, nil)
	var u *usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), "\n") ||
		strings.HasPrefix(err.Error(), drawCommand) {
		t.Errorf("got %v, want a one-line usage error naming %s", err, missing)
	}
	if code := exitCode(err); code != exitUsage {
		t.Errorf("exit code %d, want %d", code, exitUsage)
	}

	// A Go panic exits 2 too; it is not bad input.
	t.Setenv(envTestDrawerPanics, "1")
	_, err = draw(context.Background(), exe, "", []string{runFolder(t, nil)}, nil)
	if code := exitCode(err); code != exitFailure || !strings.Contains(err.Error(), "panic: the drawer crashed (test)") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("crashed drawer: got %q (exit %d), want a one-line failure quoting the panic", err, code)
	}
}

func TestDrawerMessage(t *testing.T) {
	cases := []struct {
		stderr, msg string
		own         bool
	}{
		{"mpbench-draw: no run given\n", "no run given", true},
		{"panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:9 +0x25\nexit status 2\n", "panic: boom", false},
		{"fatal error: out of memory\n\nruntime stack:\n", "fatal error: out of memory", false},
		{"something\nelse\n", "else", false},
		{"", "", false},
	}
	for _, c := range cases {
		if msg, own := drawerMessage(c.stderr); msg != c.msg || own != c.own {
			t.Errorf("drawerMessage(%q) = %q, %v; want %q, %v", c.stderr, msg, own, c.msg, c.own)
		}
	}
}

// TestDrawInterrupted cancels a real drawing part way (Ctrl-C): the drawer
// gets SIGTERM, stops, writes nothing, not even its temporary folder, and
// is gone; mpbench reads it as an interruption (exit 130).
func TestDrawInterrupted(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Sixteen overlaid runs of ten models: about 1 s of drawing here.
	var paths []string
	for range 16 {
		paths = append(paths, "../../reports/render/testdata/synthetic.json")
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "report")
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(150*time.Millisecond, cancel)
	defer timer.Stop()
	start := time.Now()
	_, err = draw(ctx, exe, out, paths, nil)
	if code := exitCode(err); code != exitInterrupted || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v (exit %d) after %v, want an interruption (exit %d)", err, code, time.Since(start), exitInterrupted)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the drawer took %v to stop", d)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("an interrupted drawing left %v", ents)
	}
	if kids := descendants(os.Getpid()); len(kids) != 0 {
		t.Errorf("processes left: %v", kids)
	}
}

// TestRunReportWithOnlyFailedCells: nothing to draw is said, and the run
// exits 1 for its failed cells, not 2 as if the command line were wrong.
func TestRunReportWithOnlyFailedCells(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(t, "run", "--cores", "1", "--models", "goroutines", "--workloads", "cpu",
		"--param", "cpu.n=1000000000", "--trials", "3", "--warmup", "0", "--timeout", "50ms", "--out", out, "-q", "--report")
	if code != exitFailure || !strings.Contains(stderr, "mpbench: report not drawn: all 2 cells failed") || strings.Contains(stderr, "--help") {
		t.Errorf("exit %d, stderr %q: want 1 and a note that nothing was drawn", code, stderr)
	}
	if got := names(t, out); !slices.Equal(got, []string{"run.json"}) {
		t.Errorf("run folder holds %v", got)
	}
}

func TestRunWithoutWorker(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	t.Setenv(envWorker, filepath.Join(t.TempDir(), "missing"))
	code, stdout, stderr := runCLI(t, "run", "-q", "--cores", "1", "--models", "sequential", "--workloads", "square", "--out", out)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, envWorker+"=") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q: want 1 and one line naming %s", code, stdout, stderr, envWorker)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the run folder was made (%v): a run that cannot start cells must write nothing", err)
	}
}
