package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// WaitDelay bounds how long Wait waits for a killed child's pipes to close.
const WaitDelay = 2 * time.Second

// Spec describes a child to start.
type Spec struct {
	// Role names a role registered with Register in the child.
	Role string
	// Args are handed to the role as Child.Args.
	Args []string
	// Env is added to this process's environment.
	Env []string
	// CPUs confines the child (and all it starts) to these CPUs from
	// birth. Nil means inherit this process's set.
	CPUs []int
	// Files are passed to the child as fd 4, 5, … (Child.Files). Start
	// does not close them; the caller closes its copies after Start.
	Files []*os.File
	// Stdout receives the child's stdout; nil discards it.
	Stdout io.Writer
	// NoData skips the data channel socketpair (fd 3 is then /dev/null).
	NoData bool
	// Path is the executable to start; empty means this process's own
	// (os.Executable), which is how workers start: from the executable
	// of the cell runner that starts them.
	Path string
}

// Process is a started child.
type Process struct {
	Role string
	Pid  int
	// Data is this side of the data channel; nil with Spec.NoData.
	Data *os.File

	cmd     *exec.Cmd
	started int64 // Mono just before the fork
	stderr  stderrTail
	once    sync.Once
	done    chan struct{}
	err     error
	state   *os.ProcessState
}

// ExitError describes a child that did not exit cleanly, or that exited
// before its group was done with it (see Group).
type ExitError struct {
	Role   string
	Pid    int
	Status string // "exit status 1", "signal: killed", …
	Stderr string // the last lines of its stderr

	early bool // it exited with status 0 before Close
}

// ErrEarlyExit is matched (errors.Is) by the *ExitError of a child that
// exited with status 0 while its group still needed it.
var ErrEarlyExit = errors.New("exited before the trial ended")

// Is reports whether target is ErrEarlyExit and e an early exit.
func (e *ExitError) Is(target error) bool { return target == ErrEarlyExit && e.early }

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s worker pid %d: %s", e.Role, e.Pid, e.Status)
	if e.Stderr != "" {
		msg += "; stderr: " + e.Stderr
	}
	return msg
}

// Start starts the executable again in the child role spec.Role. ctx
// bounds the start only: Start fails if ctx is done, and a started child
// lives until it exits or Kill or Stop ends it (see the package's note on
// contexts).
func Start(ctx context.Context, spec Spec) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("worker: start %s: %w", spec.Role, err)
	}
	exe := spec.Path
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("worker: find executable: %w", err)
		}
	}
	cmd := exec.Command(exe, spec.Args...)
	cmd.Env = append(os.Environ(), EnvRole+"="+spec.Role, fmt.Sprintf("%s=%d", EnvFiles, len(spec.Files)))
	cmd.Env = append(cmd.Env, spec.Env...)
	cmd.Stdout = spec.Stdout
	p := &Process{Role: spec.Role, cmd: cmd, done: make(chan struct{})}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = WaitDelay

	var childEnd *os.File
	if spec.NoData {
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		defer devnull.Close()
		childEnd = devnull
	} else {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("worker: socketpair: %w", err)
		}
		// The parent's end is non-blocking, so that Data is pollable: a
		// goroutine waiting on it parks instead of holding a thread and
		// its P in a blocking read (with GOMAXPROCS = c, a P stuck in a
		// read leaves the goroutines it would run waiting for sysmon).
		// The child's end stays blocking.
		if err := unix.SetNonblock(fds[0], true); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return nil, fmt.Errorf("worker: socketpair: %w", err)
		}
		p.Data = os.NewFile(uintptr(fds[0]), "data")
		childEnd = os.NewFile(uintptr(fds[1]), "data-child")
		defer childEnd.Close()
	}
	cmd.ExtraFiles = append([]*os.File{childEnd}, spec.Files...)

	// The child writes its stderr straight into a memfd, read only when
	// someone asks for its tail: a pipe would take a copying goroutine
	// and a parent wake-up per write, and costs about 0.18 ms more per
	// start on one CPU. Without memfd_create, a pipe it is.
	if mf, err := newMemfdTail(); err == nil {
		p.stderr = mf
		cmd.Stderr = mf.f
	} else {
		t := newTail(stderrTailBytes)
		p.stderr = t
		cmd.Stderr = t
	}
	p.started = Mono()
	if err := startPinned(spec.CPUs, cmd.Start); err != nil {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
		if p.Data != nil {
			p.Data.Close()
		}
		p.stderr.finish()
		return nil, fmt.Errorf("worker: start %s: %w", spec.Role, err)
	}
	p.Pid = cmd.Process.Pid
	go p.wait()
	return p, nil
}

func (p *Process) wait() {
	awaitExit(p.Pid)
	err := p.cmd.Wait()
	p.state = p.cmd.ProcessState
	if p.state != nil {
		if ru, ok := p.state.SysUsage().(*syscall.Rusage); ok {
			addReaped(ru)
		}
	}
	if err != nil {
		status := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ProcessState.String()
		}
		p.err = &ExitError{Role: p.Role, Pid: p.Pid, Status: status, Stderr: p.stderr.String()}
	}
	p.stderr.finish()
	close(p.done)
}

// awaitExit returns when the child pid has exited (or at once if that
// cannot be watched), so that the Wait after it does not block.
//
// Note: a goroutine blocked in waitid holds its P in a system call. The
// Go runtime's sysmon thread sleeps only while every P is idle; otherwise
// it polls, and when it takes such a P back (after 10 ms) it starts again
// at one wake-up every 20 µs (about 80 µs with the kernel's timer slack,
// each costing a context switch onto a CPU a worker is computing on). A
// parent that waits for its workers this way keeps that going through
// every trial. Parked on the child's pidfd in the netpoller, the goroutine
// holds no P, and an idle parent lets sysmon sleep.
func awaitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		// A pidfd polls readable once its process has exited.
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		return err != unix.EINTR && (err != nil || n > 0)
	})
}

// Done is closed when the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the child to exit and returns an *ExitError unless it
// exited with status 0. It may be called more than once.
func (p *Process) Wait() error {
	<-p.done
	p.once.Do(func() {
		if p.Data != nil {
			p.Data.Close()
		}
	})
	return p.err
}

// Kill kills the child's process group. It is safe to call after exit.
func (p *Process) Kill() {
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// Stop ends the child gracefully: SIGTERM first (RunChild cancels the
// role's context, so a role can tear down what it holds: workers,
// temporary files, sockets), SIGKILL to its process group if it has not
// exited within grace, and once it has exited, SIGKILL to whatever it left
// in its group. It returns how the child exited, as Wait does, and leaves
// the data channel open for Wait.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(p.Pid, syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			p.Kill()
			<-p.done
		}
	}
	// The group's ID cannot be reused while a member lives, so this hits
	// only stragglers (or nothing: ESRCH).
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	return p.err
}

// Stderr returns the last lines the child wrote to stderr.
func (p *Process) Stderr() string { return p.stderr.String() }

// Usage is resource usage of reaped children.
type Usage struct {
	UserNs, SysNs int64
	// MaxRSSSum is the sum over children of each child's peak resident set
	// (bytes): an upper bound of their combined peak.
	MaxRSSSum int64
	Children  int64
}

var reaped struct {
	user, sys, rss, n atomic.Int64
}

func addReaped(ru *syscall.Rusage) {
	reaped.user.Add(ru.Utime.Nano())
	reaped.sys.Add(ru.Stime.Nano())
	reaped.rss.Add(ru.Maxrss * 1024) // Linux reports KiB
	reaped.n.Add(1)
}

// ReapedUsage returns the totals of every child this process has reaped
// through Process.Wait so far.
func ReapedUsage() Usage {
	return Usage{
		UserNs:    reaped.user.Load(),
		SysNs:     reaped.sys.Load(),
		MaxRSSSum: reaped.rss.Load(),
		Children:  reaped.n.Load(),
	}
}

// stderrTailBytes is how much of a child's stderr its tail looks at.
const stderrTailBytes = 4096

// stderrTail holds what a child wrote to stderr.
type stderrTail interface {
	// String returns the last few lines, joined by " | ".
	String() string
	// finish is called once the child is reaped: the tail is final.
	finish()
}

// memfdTail is a child's stderr as an anonymous memory file.
type memfdTail struct {
	f     *os.File
	mu    sync.Mutex
	final *string
}

func newMemfdTail() (*memfdTail, error) {
	fd, err := unix.MemfdCreate("mpbench-stderr", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &memfdTail{f: os.NewFile(uintptr(fd), "stderr")}, nil
}

func (m *memfdTail) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.final != nil {
		return *m.final
	}
	return m.read()
}

// read returns the last lines of the file's last stderrTailBytes.
func (m *memfdTail) read() string {
	st, err := m.f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-stderrTailBytes, 0)
	buf := make([]byte, st.Size()-off)
	n, _ := m.f.ReadAt(buf, off)
	return lastLines(buf[:n])
}

func (m *memfdTail) finish() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.final == nil {
		s := m.read()
		m.final = &s
		m.f.Close()
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

// String returns the last few lines, joined by " | ".
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return lastLines(t.buf)
}

func (t *tail) finish() {}

// lastLines returns the last five lines of b, joined by " | ".
func lastLines(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.TrimSpace(strings.Join(lines, " | "))
}
