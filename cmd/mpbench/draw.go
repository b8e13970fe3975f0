package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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

// Reports are drawn by a second executable, mpbench-draw, run as a child
// of mpbench. mpbench itself does not link the plotting library: every
// worker process of the process models is a fresh exec of mpbench, and
// with gonum/plot, its fonts and its PDF and LaTeX back ends linked in,
// the executable was 23 MB and each worker took 0.7–1.0 ms longer to
// start (exec and package initialisation) before it could take a task.

// findDrawer returns the path of mpbench-draw: $MPBENCH_DRAW if set, else
// the one beside this executable, else the one on PATH.
func findDrawer() (string, error) {
	if p := os.Getenv(envDraw); p != "" {
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", envDraw, p, err)
		}
		return p, nil
	}
	var beside string
	if exe, err := os.Executable(); err == nil {
		beside = filepath.Join(filepath.Dir(exe), drawCommand)
		if isExecutable(beside) == nil {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(drawCommand); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("drawing a report needs the %s executable, found neither at %s nor on PATH "+
		"(make build puts both in bin/; go install github.com/mpbench/mpbench/cmd/... installs both; or set %s)",
		drawCommand, beside, envDraw)
}

func isExecutable(p string) error {
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return err
	case st.IsDir() || st.Mode()&0o111 == 0:
		return errors.New("not an executable file")
	}
	return nil
}

// drawTimeout bounds one drawing: a report of a large sweep takes seconds.
const drawTimeout = 5 * time.Minute

// draw runs the drawing executable at path on the runs at paths (run
// folders or run.json files) into out ("" for the one run's folder), with
// labels (nil for the default), and returns the path of index.html. Its
// errors carry the drawer's one-line message; bad input is a usageError.
// Cancelling ctx (Ctrl-C) stops it with SIGTERM, and it leaves the report
// folder as it was.
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
	cmd.WaitDelay = 2 * time.Second
	// It dies with mpbench, and its SIGTERM handler removes what it had
	// begun to write.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	msg := strings.TrimSpace(stderr.String())
	msg = strings.TrimPrefix(msg[strings.LastIndexByte(msg, '\n')+1:], drawCommand+": ")
	var exit *exec.ExitError
	switch {
	case err == nil:
		return strings.TrimSpace(stdout.String()), nil
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return "", fmt.Errorf("%s took over %v and was stopped", drawCommand, drawTimeout)
	case ctx.Err() != nil:
		return "", fmt.Errorf("interrupted, no report written: %w", context.Canceled)
	case errors.As(err, &exit) && exit.ExitCode() == exitUsage && msg != "":
		return "", &usageError{errors.New(msg)}
	case msg != "":
		return "", fmt.Errorf("%s (%s, %v)", msg, drawCommand, err)
	}
	return "", fmt.Errorf("%s: %w", path, err)
}
