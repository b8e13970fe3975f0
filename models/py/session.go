package py

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
)

// Bounds of the waits that do not belong to a measured phase (variables for
// the tests).
var (
	// exitGrace is how long the script may take to exit after its trial,
	// or after it closed its output, before it is killed.
	exitGrace = 10 * time.Second
	// lineGrace is how long a line may trail the script's exit.
	lineGrace = time.Second
)

// maxLine bounds one line from the script.
const maxLine = 1 << 20

// session is one run of pyref.py for one trial.
type session struct {
	in      *Interpreter
	where   string // "pyref.py --pattern pool, cell cpu[n=…,tasks=48] c=2"
	pattern string
	tasks   int
	dir     string
	errPath string // the script's stdout and stderr
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	data    *os.File // read end of the script's fd 3
	lines   chan line
	quit    chan struct{}
	exited  chan struct{}
	waitErr error
	ready   readyLine
	workers []int // the script's workers, from its first pass
	done    bool  // Teardown ran
	passes  int   // passes the script has answered
	// teardown is the script's own teardown time, once it has sent it.
	teardown *time.Duration
}

// line is what the reader goroutine hands over: a line, or the end of the
// data channel (eof) with its error.
type line struct {
	text []byte
	eof  bool
	err  error
}

type readyLine struct {
	Ready          bool   `json:"ready"`
	Python         string `json:"python"`
	Implementation string `json:"implementation"`
	StartMethod    string `json:"start_method"`
}

// passLine is the script's answer to one "go": one pass. The first
// pass's line also carries the setup time and the workers.
type passLine struct {
	SetupNs     *int64  `json:"setup_ns"`
	ComputeNs   *int64  `json:"compute_ns"`
	Passes      int     `json:"passes"`
	Checksum    *uint64 `json:"checksum"`
	Pattern     string  `json:"pattern"`
	Tasks       int     `json:"tasks"`
	CPUNs       int64   `json:"cpu_ns"`
	Workers     []int   `json:"workers"`
	LockUpdates *int64  `json:"lock_updates"`
}

// start writes the script to a temporary folder, starts it and waits for its
// ready line. On error it leaves nothing behind.
func start(ctx context.Context, in *Interpreter, name string, script []byte, args []string, where, pattern string, tasks int) (_ *session, err error) {
	s := &session{in: in, where: where, pattern: pattern, tasks: tasks,
		lines: make(chan line, 4), quit: make(chan struct{}), exited: make(chan struct{})}
	// A folder left by a cell runner killed outright goes now.
	worker.SweepStale(os.TempDir())
	if s.dir, err = worker.MkdirOwned("py"); err != nil {
		return nil, fmt.Errorf("%s: temporary folder: %w", where, err)
	}
	defer func() {
		if err != nil {
			s.kill()
			s.cleanup()
		}
	}()
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, script, 0o644); err != nil {
		return nil, fmt.Errorf("%s: write script: %w", where, err)
	}
	s.errPath = filepath.Join(s.dir, "stderr")
	errFile, err := os.Create(s.errPath)
	if err != nil {
		return nil, fmt.Errorf("%s: stderr file: %w", where, err)
	}
	defer errFile.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%s: data pipe: %w", where, err)
	}
	s.data = r
	defer w.Close()

	// Python's own temporary files (multiprocessing's pymp-* folder, the
	// Manager's socket) go into the session's folder too, which Teardown
	// removes however the script ended.
	//
	// Note: TMPDIR is the folder itself, not a folder in it: the Manager's
	// socket path, TMPDIR/pymp-…/listener-…, must fit the 107 bytes of a
	// unix socket address.
	cmd := exec.Command(in.Path, append([]string{path}, args...)...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "TMPDIR="+s.dir)
	// Note: stdout and stderr go to a file, not a pipe: a worker process the
	// script leaves behind cannot then hold up Wait. A stray print on
	// stdout cannot corrupt results, which travel on fd 3.
	cmd.Stdout, cmd.Stderr = errFile, errFile
	cmd.ExtraFiles = []*os.File{w}
	// The script stays in the cell runner's process group, so the harness's
	// kill of a timed-out cell takes its workers too; Pdeathsig covers a
	// cell runner that dies otherwise, and the script sets it in every
	// process it starts (die_with_parent in pyref.py).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("%s: stdin pipe: %w", where, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", where, in.Path, err)
	}
	s.cmd = cmd
	go s.read()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	w.Close() // the script holds the write end now

	text, err := s.next(ctx, "its ready line")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(text, &s.ready); err != nil || !s.ready.Ready {
		return nil, s.fail(fmt.Sprintf("sent %q where its ready line was due", clip(string(text), 200)))
	}
	return s, nil
}

// read hands the script's lines from fd 3 to s.lines.
func (s *session) read() {
	sc := bufio.NewScanner(s.data)
	sc.Buffer(make([]byte, 4096), maxLine)
	send := func(l line) bool {
		select {
		case s.lines <- l:
			return true
		case <-s.quit:
			return false
		}
	}
	for sc.Scan() {
		if !send(line{text: append([]byte(nil), sc.Bytes()...)}) {
			return
		}
	}
	send(line{eof: true, err: sc.Err()})
}

// next returns the script's next line. It fails when the script exits or
// closes fd 3 first, or when ctx is done.
func (s *session) next(ctx context.Context, what string) ([]byte, error) {
	var grace <-chan time.Time
	lines, exited := s.lines, s.exited
	for {
		select {
		case l := <-lines:
			switch {
			case !l.eof:
				return l.text, nil
			case l.err != nil:
				return nil, s.fail(fmt.Sprintf("bad output before %s: %v", what, l.err))
			}
			// fd 3 closed: the script should be exiting.
			lines = nil
			if exited != nil {
				grace = time.After(exitGrace)
			}
		case <-exited:
			// A line may trail the exit; a worker left behind may keep
			// fd 3 open, so do not wait for its end for ever.
			exited = nil
			if lines == nil {
				return nil, s.fail("exited before sending " + what)
			}
			grace = time.After(lineGrace)
		case <-grace:
			if exited != nil {
				return nil, s.fail("closed its output before sending " + what)
			}
			return nil, s.fail("exited before sending " + what)
		case <-ctx.Done():
			s.kill()
			return nil, fmt.Errorf("%s: %w", s.where, ctx.Err())
		}
	}
}

// fail describes a misbehaving script: where, what, its exit status if it
// has exited, and the last lines of its stderr. It kills the script.
func (s *session) fail(what string) error {
	select {
	case <-s.exited:
	default:
		s.kill()
	}
	msg := s.where + ": " + what
	if st := s.exitStatus(); st != "" {
		msg += " (" + st + ")"
	}
	return errors.New(msg + s.stderrNote())
}

func (s *session) exitStatus() string {
	select {
	case <-s.exited:
	default:
		return ""
	}
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) {
		return ee.ProcessState.String()
	}
	if s.waitErr != nil {
		return s.waitErr.Error()
	}
	return "exit status 0"
}

func (s *session) stderrNote() string {
	b, err := readTail(s.errPath, 8192)
	if err != nil {
		return ""
	}
	if t := lastLines(string(b)); t != "" {
		return "; stderr: " + t
	}
	return "; stderr: (empty)"
}

func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(st.Size()-n, 0)
	b := make([]byte, st.Size()-off)
	_, err = f.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	return b, err
}

// Compute says go and waits for the pass's line: the script's compute
// time of the pass (and, for the first, its setup time) and the checksum
// of the pass's results. Each call is one more pass with the script's same
// pool, processes or manager.
func (s *session) Compute(ctx context.Context) (models.Output, error) {
	// A failed write means the script has gone; next says how.
	_, _ = io.WriteString(s.stdin, "go\n")
	text, err := s.next(ctx, "its trial's result")
	if err != nil {
		return models.Output{}, err
	}
	s.passes++
	first := s.passes == 1
	var tl passLine
	if err := json.Unmarshal(text, &tl); err != nil {
		return models.Output{}, s.fail(fmt.Sprintf("sent a line that is not JSON: %q", clip(string(text), 200)))
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"setup_ns", tl.SetupNs != nil || !first}, {"compute_ns", tl.ComputeNs != nil}, {"checksum", tl.Checksum != nil}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return models.Output{}, s.fail(fmt.Sprintf("sent a result without %s: %q", strings.Join(missing, ", "), clip(string(text), 200)))
	}
	var setup int64
	if first {
		setup = *tl.SetupNs
	}
	if setup < 0 || *tl.ComputeNs < 0 {
		return models.Output{}, s.fail(fmt.Sprintf("sent negative phase times: %q", clip(string(text), 200)))
	}
	if tl.Pattern != s.pattern || tl.Tasks != s.tasks {
		return models.Output{}, s.fail(fmt.Sprintf("ran pattern %q on %d tasks, want %q on %d", tl.Pattern, tl.Tasks, s.pattern, s.tasks))
	}
	if tl.Passes != 0 && tl.Passes != s.passes {
		return models.Output{}, s.fail(fmt.Sprintf("answered pass %d to go number %d", tl.Passes, s.passes))
	}
	if first {
		s.workers = tl.Workers
	}
	out := models.Output{
		Checksum: tl.Checksum,
		Phases: &models.Phases{
			Setup:   time.Duration(setup),
			Compute: time.Duration(*tl.ComputeNs),
		},
		Info: map[string]string{
			"python":         s.ready.Python,
			"python_path":    s.in.Path,
			"implementation": s.ready.Implementation,
			"start_method":   s.ready.StartMethod,
		},
		Workers: s.workers,
		// The script's CPU time over the pass, its workers' once reaped:
		// the harness's own cpu figure sees only the cell runner.
		Metrics: map[string]float64{"py_cpu_ns": float64(tl.CPUNs)},
	}
	if tl.LockUpdates != nil {
		out.Metrics["lock_updates"] = float64(*tl.LockUpdates)
	}
	return out, nil
}

// TeardownTime implements models.TeardownTimer: the script's own teardown
// time, which it sends once its input ends.
func (s *session) TeardownTime() (time.Duration, bool) {
	if s.teardown == nil {
		return 0, false
	}
	return *s.teardown, true
}

// teardownLine is the script's last line of a trial.
type teardownLine struct {
	TeardownNs *int64 `json:"teardown_ns"`
	Passes     int    `json:"passes"`
}

// Teardown ends the script: it closes its stdin, on which the script tears
// its pool down and sends its teardown time, waits for it to exit, kills
// it if it does not, and removes the temporary folder. A script that fails
// or exits without its teardown line is reported.
func (s *session) Teardown() error {
	if s.done {
		return nil
	}
	s.done = true
	defer s.cleanup()
	s.stdin.Close()
	if s.passes > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), exitGrace)
		text, err := s.next(ctx, "its teardown time")
		late := ctx.Err() != nil
		cancel()
		if late {
			return s.fail(fmt.Sprintf("did not exit within %v of its trial", exitGrace))
		}
		if err != nil {
			return err
		}
		var tl teardownLine
		if err := json.Unmarshal(text, &tl); err != nil || tl.TeardownNs == nil || *tl.TeardownNs < 0 {
			return s.fail(fmt.Sprintf("sent %q where its teardown time was due", clip(string(text), 200)))
		}
		if tl.Passes != s.passes {
			return s.fail(fmt.Sprintf("tore down after %d passes, mpbench asked for %d", tl.Passes, s.passes))
		}
		d := time.Duration(*tl.TeardownNs)
		s.teardown = &d
	}
	select {
	case <-s.exited:
	case <-time.After(exitGrace):
		return s.fail(fmt.Sprintf("did not exit within %v of its trial", exitGrace))
	}
	// Workers it left behind, if any, go with it.
	s.killDescendants()
	if s.waitErr != nil {
		return s.fail("failed after its trial")
	}
	return nil
}

// kill kills the script and every process it started, and waits for it.
func (s *session) kill() {
	if s.cmd == nil {
		return
	}
	// Stop the script first so that it starts nothing new while its
	// descendants are collected.
	_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	s.killDescendants()
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// killDescendants kills every living descendant of the script. After the
// script has exited its orphans are no longer its descendants; the
// harness's kill of the cell runner's group remains for those.
func (s *session) killDescendants() {
	if s.cmd == nil {
		return
	}
	for range 3 {
		kids := descendants(s.cmd.Process.Pid)
		if len(kids) == 0 {
			return
		}
		for _, pid := range kids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func (s *session) cleanup() {
	close(s.quit)
	if s.stdin != nil {
		s.stdin.Close()
	}
	if s.data != nil {
		s.data.Close()
	}
	os.RemoveAll(s.dir)
}

// descendants returns the PIDs of the living descendants of pid, from
// /proc.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the command name in parentheses: state, ppid, …
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 > len(b) {
			continue
		}
		f := strings.Fields(string(b[i+2:]))
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}
