package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Group is the set of children a process model starts for one trial:
// started together, watched together and reaped together. A child that
// exits before Close, whatever its status, is a failure of the group: its
// *ExitError (PID, signal or exit status, last lines of stderr) is kept,
// Failed is closed, and Run kills the rest so that no goroutine stays
// blocked on a dead peer.
type Group struct {
	// Procs are the children in the order of their specs.
	Procs []*Process

	failed   chan struct{}
	failOnce sync.Once
	failErr  error
	closing  atomic.Bool
	killed   atomic.Bool
	closed   bool
	watchers sync.WaitGroup
}

// StartGroup starts one child per spec. If a start fails, the children
// already started are killed and reaped and the error is returned. When ctx
// is done every child's process group is killed (see Start), so ctx must
// outlive the group.
func StartGroup(ctx context.Context, specs []Spec) (*Group, error) {
	g := &Group{failed: make(chan struct{})}
	for _, spec := range specs {
		p, err := Start(ctx, spec)
		if err != nil {
			g.Close(0)
			return nil, err
		}
		g.Procs = append(g.Procs, p)
		g.watchers.Add(1)
		go g.watch(p)
	}
	return g, nil
}

func (g *Group) watch(p *Process) {
	defer g.watchers.Done()
	<-p.done
	if g.closing.Load() || g.killed.Load() {
		return
	}
	err := p.err
	if err == nil {
		err = &ExitError{Role: p.Role, Pid: p.Pid, Status: "exit status 0 before the trial ended", Stderr: p.stderr.String()}
	}
	g.fail(err)
}

func (g *Group) fail(err error) {
	g.failOnce.Do(func() {
		g.failErr = err
		close(g.failed)
	})
}

// Pids returns the children's PIDs.
func (g *Group) Pids() []int {
	pids := make([]int, len(g.Procs))
	for i, p := range g.Procs {
		pids[i] = p.Pid
	}
	return pids
}

// Failed is closed when a child has exited before Close.
func (g *Group) Failed() <-chan struct{} { return g.failed }

// Err returns the first child failure, or nil.
func (g *Group) Err() error {
	select {
	case <-g.failed:
		return g.failErr
	default:
		return nil
	}
}

// CauseWait is how long Cause waits for a child's death to be reaped.
const CauseWait = 3 * time.Second

// Cause returns the child failure behind err: an I/O error on a channel to
// a child is usually the child's death, which is reaped a moment later.
// It waits up to CauseWait for a failure and returns it, or err if none
// comes.
func (g *Group) Cause(err error) error {
	if err == nil {
		return nil
	}
	t := time.NewTimer(CauseWait)
	defer t.Stop()
	select {
	case <-g.failed:
		return g.failErr
	case <-t.C:
		return err
	}
}

// Kill kills every child's process group now. Children that die of it are
// not failures of the group.
func (g *Group) Kill() {
	g.killed.Store(true)
	for _, p := range g.Procs {
		p.Kill()
	}
}

// Run calls every fn on its own goroutine and waits for all of them. The
// context fns get is cancelled as soon as one fails, a child fails or ctx
// is done; Run then kills the children, so that fns blocked in reads or
// writes to them return, and waits for every fn.
//
// It returns ctx's error if ctx ended the run; else the child failure
// (an *ExitError); else the first fn error: one wrapping ErrProtocol as
// it is, any other (an I/O error, usually a child's death seen from its
// channel) through Cause.
func (g *Group) Run(ctx context.Context, fns ...func(ctx context.Context) error) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(rctx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-g.failed:
	case <-rctx.Done():
	}
	// Find the cause before killing anything: the kill would make
	// failures of its own.
	mu.Lock()
	fnErr := firstErr
	mu.Unlock()
	var err error
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case g.Err() != nil:
		err = g.Err()
	case fnErr != nil && errors.Is(fnErr, ErrProtocol):
		err = fnErr
	case fnErr != nil:
		err = g.Cause(fnErr)
	}
	if err != nil {
		cancel()
		g.Kill()
	}
	<-done
	return err
}

// ErrProtocol is wrapped by errors about a child that sent something the
// model did not expect.
var ErrProtocol = errors.New("protocol error")

// Close ends the group: it closes each child's data channel and every
// closer in inputs (the parent's ends of pipes that feed the children):
// the end of input for a worker. Then it waits up to grace for the
// children to exit, kills those that have not, and reaps them all. A child
// that exits from here on is not a failure. Close returns the first child
// failure, else an error naming a child that had to be killed or exited
// with an error after its input ended. Close is idempotent.
func (g *Group) Close(grace time.Duration, inputs ...io.Closer) error {
	if g.closed {
		return nil
	}
	g.closed = true
	g.closing.Store(true)
	for _, c := range inputs {
		c.Close()
	}
	for _, p := range g.Procs {
		if p.Data != nil {
			p.Data.Close()
		}
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	var errs []error
	timedOut := false
wait:
	for _, p := range g.Procs {
		select {
		case <-p.done:
		case <-t.C:
			timedOut = true
			break wait
		}
	}
	if timedOut {
		for _, p := range g.Procs {
			select {
			case <-p.done:
			default:
				errs = append(errs, fmt.Errorf("%s worker pid %d did not exit within %v of its input ending; killed", p.Role, p.Pid, grace))
			}
		}
		g.Kill()
	}
	for _, p := range g.Procs {
		if err := p.Wait(); err != nil {
			errs = append(errs, err)
		}
	}
	g.watchers.Wait()
	if err := g.Err(); err != nil {
		return err
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
