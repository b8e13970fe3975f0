package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// mpbench works with two companion executables, each built and installed
// beside it: mpbench-draw draws reports, and mpbench-worker is every cell
// runner and worker process. Keeping them apart keeps each one's imports
// to what it needs: mpbench links the CLI (cobra, a progress bar), the
// statistics and the fits; mpbench-draw the plotting library; and
// mpbench-worker, started anew for every worker of every trial, only the
// models, the workloads and the worker platform, so that a worker's start
// is the model's cost and little else.

// workerCommand is the name of the executable of cell runners and workers,
// and envWorker names it ahead of the one beside mpbench and the one on
// PATH.
const (
	workerCommand = "mpbench-worker"
	envWorker     = "MPBENCH_WORKER"
)

// findCompanion returns the path of the executable name: $env if set, else
// the one beside this executable, else the one on PATH. what says what it
// is needed for, in the error when none is found.
func findCompanion(name, env, what string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		// exec would look a bare name up on PATH instead.
		return filepath.Abs(p)
	}
	var beside string
	if exe, err := os.Executable(); err == nil {
		beside = filepath.Join(filepath.Dir(exe), name)
		if isExecutable(beside) == nil {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s needs the %s executable, found neither at %s nor on PATH "+
		"(make build puts it in bin/; CGO_ENABLED=0 go install github.com/mpbench/mpbench/cmd/... installs it; or set %s)",
		what, name, beside, env)
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
