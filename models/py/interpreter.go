package py

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvPython names the interpreter the py-* models run (`mpbench run
// --python PATH` sets it). Empty means python3 in PATH.
//
// Note: the models run inside the cell runner, a child process of
// `mpbench run`; an environment variable set by the parent before the cells
// start is the one route that reaches them without a field in the cell
// spec.
const EnvPython = "MPBENCH_PYTHON"

// MinVersion is the oldest Python the reference scripts support.
var MinVersion = [2]int{3, 8}

// ErrNoPython is wrapped by every reason the py-* models cannot run here.
var ErrNoPython = errors.New("no usable Python")

// Interpreter is a Python found and checked.
type Interpreter struct {
	// Path is the executable run: the interpreter's sys.executable, so that
	// a launcher in front of it (a pyenv shim, a venv's symlink chain) is
	// resolved once, not paid again by every trial.
	Path string
	// Version is sys.version_info as "3.11.7".
	Version string
}

// probeTimeout bounds the version check.
const probeTimeout = 15 * time.Second

var found struct {
	sync.Mutex
	m map[string]result
}

type result struct {
	in  *Interpreter
	err error
}

// Find returns the interpreter $MPBENCH_PYTHON names, or python3 in PATH,
// after checking once per process (and per value of the variable and of
// PATH) that it
// runs and is Python 3.8 or later. Its errors wrap ErrNoPython and name the
// path or the version.
func Find() (*Interpreter, error) {
	asked := os.Getenv(EnvPython)
	key := asked
	if !strings.Contains(asked, "/") {
		key += "\x00" + os.Getenv("PATH") // found through PATH
	}
	found.Lock()
	defer found.Unlock()
	if r, ok := found.m[key]; ok {
		return r.in, r.err
	}
	in, err := probe(asked)
	if found.m == nil {
		found.m = map[string]result{}
	}
	found.m[key] = result{in, err}
	return in, err
}

// probeCode prints the version and sys.executable; Python 2 runs it as well,
// so an old Python is named as such instead of failing with a syntax error.
const probeCode = `import sys; print("%d.%d.%d" % tuple(sys.version_info[:3])); print(sys.executable or "")`

func probe(asked string) (*Interpreter, error) {
	fail := func(format string, args ...any) (*Interpreter, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrNoPython}, args...)...)
	}
	name := "--python " + asked
	path := asked
	switch {
	case asked == "":
		p, err := exec.LookPath("python3")
		if err != nil {
			return fail("python3 not found in PATH; install Python %d.%d or later, or name one with --python PATH", MinVersion[0], MinVersion[1])
		}
		name, path = "python3 ("+p+")", p
	case !strings.Contains(asked, "/"):
		p, err := exec.LookPath(asked)
		if err != nil {
			return fail("%s: not found in PATH", name)
		}
		path = p
	default:
		// Scripts run in a temporary folder: a relative path must not be.
		if abs, err := filepath.Abs(asked); err == nil {
			path = abs
		}
		st, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fail("%s: no such file", name)
		case err != nil:
			return fail("%s: %v", name, err)
		case st.IsDir():
			return fail("%s: is a directory, not an executable", name)
		case st.Mode()&0o111 == 0:
			return fail("%s: not an executable file (mode %v)", name, st.Mode().Perm())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-c", probeCode)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %v", probeTimeout)
		}
		return fail("%s: running it to read its version failed: %v%s", name, err, stderrNote(stderr.String()))
	}
	ver, exe, _ := strings.Cut(strings.TrimSpace(stdout.String()), "\n")
	ver, exe = strings.TrimSpace(ver), strings.TrimSpace(exe)
	major, minor, ok := parseVersion(ver)
	if !ok {
		return fail("%s: did not print a Python version (got %q); is it a Python interpreter?", name, clip(ver, 80))
	}
	if major < MinVersion[0] || major == MinVersion[0] && minor < MinVersion[1] {
		return fail("%s is Python %s; the py-* models need Python %d.%d or later", name, ver, MinVersion[0], MinVersion[1])
	}
	// Note: a venv's sys.executable is the venv's own path, so the venv
	// stays in effect; the scripts need nothing but the standard library.
	if filepath.IsAbs(exe) {
		if st, err := os.Stat(exe); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			path = exe
		}
	}
	return &Interpreter{Path: path, Version: ver}, nil
}

// parseVersion parses "3.11.7".
func parseVersion(s string) (major, minor int, ok bool) {
	f := strings.Split(s, ".")
	if len(f) != 3 {
		return 0, 0, false
	}
	var v [3]int
	for i, p := range f {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		v[i] = n
	}
	return v[0], v[1], true
}

func stderrNote(s string) string {
	if t := lastLines(s); t != "" {
		return "; stderr: " + t
	}
	return ""
}

// lastLines returns the last few non-empty lines of s, joined by " | ".
func lastLines(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	s = strings.Join(lines, " | ")
	if len(s) > 1500 { // keep the end: a traceback ends with the error
		s = "…" + strings.ToValidUTF8(s[len(s)-1500:], "")
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
