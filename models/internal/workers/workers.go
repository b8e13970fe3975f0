// Package workers starts, signals and watches the worker processes of the
// multi-process models (shm, manager): a Group of children started through
// models/proc, each with its fd-3 data channel used for one-byte signals
// only (Ready, Go, Done), never for bulk data of the hot path.
//
// A Group reads every child's data channel on its own goroutine, so the
// parent learns at once when a child dies: its channel reaches EOF, the
// child is reaped, and the next Await returns the child's *worker.ExitError
// (role, PID, exit status or signal, stderr tail), wrapped with the model's
// name.
//
// Note: the children are started with a context of the Group's own, not the
// caller's, so that a Setup context that ends after Setup does not kill a
// session's workers; every Group method that waits takes the context of its
// phase instead, and Close always stops and reaps every child.
package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mpbench/mpbench/worker"
	"golang.org/x/sys/unix"
)

// Signals sent over the data channel.
const (
	// Ready is sent by a worker once it is set up and waits for Go.
	Ready byte = 'r'
	// Go is sent by the parent to start the work.
	Go byte = 'g'
	// Done is sent by a worker when its work is finished.
	Done byte = 'd'
)

// ExitGrace is how long Close waits for children to exit after their data
// channel was shut, before it kills them.
const ExitGrace = 2 * time.Second

// ErrEarlyExit is wrapped when a child exited with status 0 while the parent
// still waited for it.
var ErrEarlyExit = errors.New("exited before it was done")

// Group is a set of started children.
type Group struct {
	model  string
	procs  []*worker.Process
	conns  []*os.File // pollable duplicates of each child's data channel
	cancel context.CancelFunc

	readers sync.WaitGroup
	changed chan struct{} // capacity 1: something in the state below changed

	mu       sync.Mutex
	seen     [][256]bool // seen[i][b]: child i sent b
	exitErr  []error     // set once child i has been reaped (nil error: status 0)
	exited   []bool
	reported bool // a child's failure was returned by Await
	killed   bool // Kill was called: exits are expected
	closing  bool // Close has begun: exits are expected
}

// Start starts one child per spec. On error, every child already started is
// killed and reaped. ctx bounds the start only.
func Start(ctx context.Context, model string, specs []worker.Spec) (*Group, error) {
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &Group{
		model:   model,
		cancel:  cancel,
		changed: make(chan struct{}, 1),
		seen:    make([][256]bool, len(specs)),
		exitErr: make([]error, len(specs)),
		exited:  make([]bool, len(specs)),
	}
	for _, spec := range specs {
		if err := ctx.Err(); err != nil {
			g.Close()
			return nil, fmt.Errorf("%s: start workers: %w", model, err)
		}
		if spec.NoData {
			g.Close()
			return nil, fmt.Errorf("%s: start %s: a group member needs its data channel", model, spec.Role)
		}
		p, err := worker.Start(life, spec)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("%s: %w", model, err)
		}
		conn, err := Pollable(p.Data)
		if err != nil {
			p.Kill()
			p.Wait()
			g.Close()
			return nil, fmt.Errorf("%s: %w", model, err)
		}
		g.procs = append(g.procs, p)
		g.conns = append(g.conns, conn)
		g.readers.Add(1)
		go g.read(len(g.procs)-1, p, conn)
	}
	return g, nil
}

// read collects the signals of child i until its data channel closes, then
// reaps the child and records how it exited.
func (g *Group) read(i int, p *worker.Process, conn *os.File) {
	defer g.readers.Done()
	defer conn.Close()
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			g.mu.Lock()
			for _, b := range buf[:n] {
				g.seen[i][b] = true
			}
			g.mu.Unlock()
			g.notify()
		}
		if err != nil {
			break
		}
	}
	// The channel is closed: the child has exited or is about to. One that
	// closed fd 3 but lives on is killed after the grace period.
	select {
	case <-p.Done():
	case <-time.After(ExitGrace):
		p.Kill()
	}
	err := p.Wait()
	g.mu.Lock()
	g.exited[i], g.exitErr[i] = true, err
	g.mu.Unlock()
	g.notify()
}

func (g *Group) notify() {
	select {
	case g.changed <- struct{}{}:
	default:
	}
}

// Len returns the number of children.
func (g *Group) Len() int { return len(g.procs) }

// Pids returns the children's PIDs in start order.
func (g *Group) Pids() []int {
	pids := make([]int, len(g.procs))
	for i, p := range g.procs {
		pids[i] = p.Pid
	}
	return pids
}

// Send writes the signal b to the children with the given indices (all of
// them when none are given).
func (g *Group) Send(b byte, idx ...int) error {
	if len(idx) == 0 {
		idx = g.all()
	}
	for _, i := range idx {
		if _, err := g.conns[i].Write([]byte{b}); err != nil {
			// A child that died is reported by Await with its status.
			if ferr := g.failure(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("%s: signal %s pid %d: %w", g.model, g.procs[i].Role, g.procs[i].Pid, err)
		}
	}
	return nil
}

// Write writes data to child i's data channel (setup-time payloads only).
func (g *Group) Write(i int, data []byte) error {
	if _, err := g.conns[i].Write(data); err != nil {
		if ferr := g.failure(); ferr != nil {
			return ferr
		}
		return fmt.Errorf("%s: write to %s pid %d: %w", g.model, g.procs[i].Role, g.procs[i].Pid, err)
	}
	return nil
}

func (g *Group) all() []int {
	idx := make([]int, len(g.procs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// Await waits until each child with the given indices (all when none are
// given) has sent b. It fails as soon as any child of the group has exited,
// with that child's exit error, or when ctx is done, after killing every
// child.
func (g *Group) Await(ctx context.Context, b byte, idx ...int) error {
	if len(idx) == 0 {
		idx = g.all()
	}
	for {
		if err := g.failure(); err != nil {
			return err
		}
		g.mu.Lock()
		all := true
		for _, i := range idx {
			all = all && g.seen[i][b]
		}
		g.mu.Unlock()
		if all {
			return nil
		}
		select {
		case <-g.changed:
		case <-ctx.Done():
			g.Kill()
			return fmt.Errorf("%s: %w", g.model, ctx.Err())
		}
	}
}

// failure returns the first child exit while the group is expected to run,
// as an error naming the model, and marks it reported.
func (g *Group) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, gone := range g.exited {
		if !gone {
			continue
		}
		g.reported = true
		err := g.exitErr[i]
		if err == nil {
			p := g.procs[i]
			err = fmt.Errorf("%s pid %d: %w", p.Role, p.Pid, ErrEarlyExit)
		}
		return fmt.Errorf("%s: %w", g.model, err)
	}
	return nil
}

// Kill kills every child now. Close still has to be called to reap them;
// it does not report the children Kill killed.
func (g *Group) Kill() {
	g.mu.Lock()
	g.killed = true
	g.mu.Unlock()
	g.cancel()
}

// Close asks every child to exit by shutting the parent's side of its data
// channel (a worker reads EOF), waits up to ExitGrace, kills what is left,
// and reaps everything. It returns the exit errors of children that failed
// on their own and were not already reported by Await.
func (g *Group) Close() error {
	g.mu.Lock()
	already := g.closing
	g.closing = true
	g.mu.Unlock()
	if already {
		return nil
	}
	for _, conn := range g.conns {
		if rc, err := conn.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_WR) })
		}
	}
	timer := time.AfterFunc(ExitGrace, g.cancel)
	g.readers.Wait()
	late := !timer.Stop()
	g.cancel()

	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reported || g.killed {
		return nil
	}
	var errs []error
	for _, err := range g.exitErr {
		if err != nil {
			if late {
				err = fmt.Errorf("%w (killed: no exit within %v of shutdown)", err, ExitGrace)
			}
			errs = append(errs, fmt.Errorf("%s: %w", g.model, err))
		}
	}
	return errors.Join(errs...)
}

// Pollable returns a non-blocking duplicate of f (a data channel), which the
// Go runtime waits on through its poller, so that a goroutine reading it
// holds no thread and no P.
//
// Note: proc hands out the channel as a blocking *os.File, so every read
// holds an OS thread in a system call, and the goroutine it readies can
// wait in that thread's run queue until sysmon retakes the P, which was
// measured at up to milliseconds between a worker's Done and the parent
// seeing it. Through the poller, the wake-up is one epoll event. O_NONBLOCK
// is shared by both fds; proc only closes its own.
func Pollable(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	cerr := rc.Control(func(fd uintptr) {
		nfd, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("dup data channel: %w", err)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, fmt.Errorf("data channel non-blocking: %w", err)
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}

// Signal writes the signal b to the parent (child side: w is the child's
// data channel).
func Signal(w io.Writer, b byte) error {
	_, err := w.Write([]byte{b})
	return err
}

// Next reads the next signal from the parent (child side: r is the child's
// data channel). It returns io.EOF when the parent has closed the channel:
// the child should exit.
func Next(r io.Reader) (byte, error) {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}
