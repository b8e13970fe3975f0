package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	t.Setenv("PATH", t.TempDir())
	_, err := findDrawer()
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
// with its own one-line message; a cancelled draw is an interruption.
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

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = draw(ctx, exe, "", []string{runFolder(t, nil)}, nil)
	if code := exitCode(err); code != exitInterrupted {
		t.Errorf("cancelled: got %v (exit %d), want exit %d", err, code, exitInterrupted)
	}
}
