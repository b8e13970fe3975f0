package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// drawCommand is the name of the drawing executable (drawCommand; a
// test holds them equal, since importing render would link what this
// file keeps out).
const drawCommand = "mpbench-draw"

// envDraw names the drawing executable, ahead of the one beside mpbench and
// the one on PATH.
const envDraw = "MPBENCH_DRAW"

// findDrawer returns the path of mpbench-draw (see findCompanion).
func findDrawer() (string, error) {
	return findCompanion(drawCommand, envDraw, "drawing a report")
}

// drawTimeout bounds one drawing: a report of a large sweep takes seconds.
const drawTimeout = 5 * time.Minute

// drawGrace is how long the drawer has after SIGTERM before it is killed:
// it stops drawing at once, but a report already being moved into place is
// finished (fsync'd files, then renames), and that must not be cut short.
const drawGrace = 10 * time.Second

// draw runs the drawing executable at path on the runs at paths (run
// folders or run.json files) into out ("" for the one run's folder), with
// labels (nil for the default), and returns the path of index.html.
//
// The drawer's exit status decides: 0 is a written report; 2 is bad input,
// a usageError with the drawer's own one-line message; 130 is an
// interruption (context.Canceled), with nothing written. Anything else,
// a crash included, is a failure that quotes the drawer's first line of
// panic or its last line. Cancelling ctx (Ctrl-C) sends it SIGTERM: it
// stops drawing and writes nothing, unless the report was already being
// moved into place, which it finishes.
func draw(ctx context.Context, path, out string, paths, labels []string) (string, error) {
	var args []string
	if out != "" {
		args = append(args, "-o", out)
	}
	for _, l := range labels {
		args = append(args, "-label", l)
	}
	args = append(args, "--")
	args = append(args, paths...)
	ctx, cancel := context.WithTimeout(ctx, drawTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = drawCommand
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = drawGrace
	// It dies with mpbench. Pdeathsig follows the thread that forked it,
	// so that thread is held until the drawer is reaped.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runtime.LockOSThread()
	err := cmd.Run()
	runtime.UnlockOSThread()

	// Its exit status, not err: after Cancel, exec reports ctx's error even
	// when the drawer went on to exit 0 (it had begun placing the report).
	code := -1 // not started, or killed by a signal
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	msg, own := drawerMessage(stderr.String())
	switch {
	case code == 0:
		// Also when ctx was cancelled while it finished placing.
		return strings.TrimSpace(stdout.String()), nil
	case code == exitInterrupted, code == -1 && ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return "", fmt.Errorf("interrupted, no report written: %w", context.Canceled)
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return "", fmt.Errorf("%s took over %v and was stopped", drawCommand, drawTimeout)
	case code == exitUsage && own:
		return "", &usageError{errors.New(msg)}
	case msg != "":
		return "", fmt.Errorf("%s failed (%v): %s", drawCommand, err, msg)
	}
	return "", fmt.Errorf("%s: %w", path, err)
}

// drawerMessage picks what to quote of the drawer's stderr: its own
// one-line error ("mpbench-draw: ..."; own is true), else the first line
// of a Go panic or fatal error, else its last line.
func drawerMessage(stderr string) (msg string, own bool) {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return strings.TrimSpace(l), false
		}
	}
	last := strings.TrimSpace(lines[len(lines)-1])
	if m, ok := strings.CutPrefix(last, drawCommand+": "); ok {
		return m, true
	}
	return last, false
}
