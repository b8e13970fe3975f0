package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

// ExitGrace is how long a model's workers have to exit after their input
// ends (Close) before they are killed. A race-enabled child sleeps a
// second at exit, so it is longer than that.
const ExitGrace = 2 * time.Second

// HandshakeTimeout is how long a model gives its workers to start: exec,
// runtime start, config, setup, warm-up and hello.
const HandshakeTimeout = 10 * time.Second

// Conn is the parent's side of one child's frame channel.
type Conn struct {
	R *FrameReader
	W *FrameWriter
}

// Group is the set of children a process model starts for one trial:
// started together, handshaken together, watched together and reaped
// together.
//
// A child that exits before Close, whatever its status, is a failure of
// the group: its *ExitError (PID, signal or exit status, last lines of
// stderr) is kept, Failed is closed, and the group kills the other
// children at once, so that nothing stays blocked on a dead peer (a
// worker may die holding a lock or a claimed chunk). Every later Run,
// AwaitDone or Handshake returns that failure.
type Group struct {
	// Procs are the children in the order of their specs.
	Procs []*Process
	// Conns are the parent's sides of the children's frame channels, in
	// the same order: a FrameReader and a FrameWriter on each child's data
	// channel. For a child started with Spec.NoData the model sets its
	// Conn (pipe: a pair of pipes) before the Handshake.
	Conns []Conn

	start    *startStats
	failed   chan struct{}
	failOnce sync.Once
	failErr  error
	reported atomic.Bool // failErr was returned by Run, AwaitDone, Handshake, Go or Err
	closing  atomic.Bool
	killed   atomic.Bool
	closed   bool
	watchers sync.WaitGroup
}

// StartGroup starts one child per spec, each with Start. ctx bounds the
// start only: the children live until Close or Kill (see the package's
// note on contexts). If a start fails, the children already started are
// killed and reaped and the error is returned.
func StartGroup(ctx context.Context, specs []Spec) (*Group, error) {
	g := &Group{failed: make(chan struct{}), start: newStartStats(len(specs))}
	for _, spec := range specs {
		p, err := Start(ctx, spec)
		if err != nil {
			g.Close(0)
			return nil, fmt.Errorf("start workers: %w", err)
		}
		g.Procs = append(g.Procs, p)
	}
	// The watchers start once Procs is complete (a failure kills them
	// all); the frame buffers are allocated once every child runs, so
	// that they do not delay the next start.
	g.Conns = make([]Conn, len(g.Procs))
	for i, p := range g.Procs {
		g.watchers.Add(1)
		go g.watch(p)
		if p.Data != nil {
			g.Conns[i] = Conn{R: NewFrameReader(p.Data, 0), W: NewFrameWriter(p.Data)}
		}
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
		err = &ExitError{Role: p.Role, Pid: p.Pid, Status: "exit status 0 before the trial ended", Stderr: p.stderr.String(), early: true}
	}
	g.fail(err)
	g.Kill()
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

// Err returns the first child failure, or nil. A caller that gets the
// failure here reports it (a model's Compute returns it): Close does not
// return it again.
func (g *Group) Err() error {
	err := g.failure()
	if err != nil {
		g.reported.Store(true)
	}
	return err
}

// failure returns the first child failure, or nil.
func (g *Group) failure() error {
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

// reason returns why a phase that ctx bounds ended with err (nil if it
// ended only through ctx or a child failure): ctx's error if ctx is done;
// else the child failure; else err as it is when it wraps ErrProtocol, and
// otherwise (an I/O error, usually a child's death seen from its channel)
// through Cause. A child failure returned here is not returned again by
// Close.
func (g *Group) reason(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case g.failure() != nil:
		err = g.failure()
	case errors.Is(err, ErrProtocol):
	default:
		err = g.Cause(err)
	}
	if f := g.failure(); f != nil && err == f {
		g.reported.Store(true)
	}
	return err
}

// Kill kills every child's process group now. Children that die of it are
// not failures of the group, and Close does not report them.
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
	if fnErr != nil || ctx.Err() != nil || g.failure() != nil {
		err = g.reason(ctx, fnErr)
	}
	if err != nil {
		cancel()
		g.Kill()
	}
	<-done
	return err
}

// Config is what the handshake tells one child: its config frame's seq
// and payload (a workload's name, a frame capacity, a task count: the
// model's choice), and Tasks, sent after the config as pairs frames of at
// most HandshakeFrameTasks tasks, seq counting from 0, before the child
// says hello (ReadTasks reads them).
type Config struct {
	Seq     uint64
	Payload []byte
	Tasks   []workloads.Task
}

// HandshakeFrameTasks is the most tasks one frame of Config.Tasks carries:
// a frame that fits a FrameReader's read buffer, decoded in place.
const HandshakeFrameTasks = 4000

// Handshake writes each child i the config configFor(i) on Conns[i] and
// reads its hello (child side: Setup), all children at once, and records
// how long each took to start (StartMetrics). timeout bounds it, and so
// does ctx. On an error the children are killed (Close still reaps them);
// the error is the child failure behind it, if any (see Run).
func (g *Group) Handshake(ctx context.Context, timeout time.Duration, configFor func(i int) Config) error {
	fns := make([]func(context.Context) error, len(g.Procs))
	for i, p := range g.Procs {
		cfg, c := configFor(i), g.Conns[i]
		fns[i] = func(context.Context) error {
			c.W.AppendControl(FrameConfig, cfg.Seq, cfg.Payload)
			for lo := 0; lo < len(cfg.Tasks); lo += HandshakeFrameTasks {
				c.W.AppendTasks(uint64(lo), cfg.Tasks[lo:min(lo+HandshakeFrameTasks, len(cfg.Tasks))], true)
				if err := c.W.Flush(); err != nil {
					return err
				}
			}
			if err := c.W.Flush(); err != nil {
				return err
			}
			h, err := readHello(c.R, p.Pid)
			g.start.hello(i, p, h)
			return err
		}
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := g.Run(hctx, fns...); err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("workers did not say hello within %v", timeout)
		}
		return fmt.Errorf("start workers: %w", err)
	}
	return nil
}

// StartMetrics returns the group's start figures, recorded by Handshake:
//   - worker_start_ms: the wall time from the start of the group to the
//     last child ready, less that child's warm-up, per child started
//     (what starting a process costs, children started one after another
//     but running side by side);
//   - worker_exec_ms: the mean time from a child's Start to its RunChild
//     (fork, exec, the Go runtime's start and package initialisation);
//   - worker_handshake_ms: the mean time from a child's RunChild to its
//     hello, less its warm-up (its config, setup and buffers);
//   - worker_warmup_ms: the longest warm-up.
//
// The map is new on every call: a model adds its own figures to it.
func (g *Group) StartMetrics() map[string]float64 { return g.start.metrics() }

// Go sends a go frame to the children with the given indices (every child
// when none are given): the start of their part of the trial (child side:
// AwaitGo). On an error the children are killed; the error is the child
// failure behind it, if any.
func (g *Group) Go(idx ...int) error {
	for _, i := range g.indices(idx) {
		if err := g.Conns[i].W.WriteControl(FrameGo, 0, nil); err != nil {
			err = g.reason(context.Background(), fmt.Errorf("go to %s pid %d: %w", g.Procs[i].Role, g.Procs[i].Pid, err))
			g.Kill()
			return err
		}
	}
	return nil
}

// AwaitDone waits for a done frame from each child with the given indices
// (every child when none are given). It reads them in the calling
// goroutine, one child after another, from channels the Go runtime waits
// on in its netpoller (see the package's note on waiting). It fails as
// soon as any child of the group fails, with that failure, or when ctx is
// done, with ctx's error; the children are then killed.
func (g *Group) AwaitDone(ctx context.Context, idx ...int) error {
	return g.awaitDone(ctx, nil, idx)
}

// AwaitDoneAccounts is AwaitDone for children that keep accounts
// (GoDoneAccount): it returns each one's account, in the order of idx, or
// nil accounts when a done frame carried none.
func (g *Group) AwaitDoneAccounts(ctx context.Context, idx ...int) ([]models.Account, error) {
	idx = g.indices(idx)
	accts, all := make([]models.Account, 0, len(idx)), true
	err := g.awaitDone(ctx, func(f Frame) {
		a, ok := DoneAccount(f, int(f.Seq))
		accts, all = append(accts, a), all && ok
	}, idx)
	if err != nil || !all {
		return nil, err
	}
	return accts, nil
}

func (g *Group) awaitDone(ctx context.Context, each func(Frame), idx []int) error {
	// A failure or ctx kills the children, which ends the read below.
	stop := context.AfterFunc(ctx, g.Kill)
	defer stop()
	var err error
	for _, i := range g.indices(idx) {
		if err = g.failure(); err != nil {
			break
		}
		var f Frame
		if f, err = g.Conns[i].R.Next(); err == nil && f.Kind != FrameDone {
			err = Unexpected(g.Procs[i].Pid, f, "done")
		}
		if err != nil {
			break
		}
		if each != nil {
			each(f)
		}
	}
	if err != nil {
		err = g.reason(ctx, err)
		g.Kill()
	}
	return err
}

func (g *Group) indices(idx []int) []int {
	if len(idx) > 0 {
		return idx
	}
	idx = make([]int, len(g.Procs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// ErrProtocol is wrapped by errors about a child that sent something the
// model did not expect.
var ErrProtocol = errors.New("protocol error")

// Unexpected describes a frame that child pid sent when the parent wanted
// want: the child's own error when it is an error frame (ErrChildFailed),
// else an ErrProtocol.
func Unexpected(pid int, f Frame, want string) error {
	if f.Kind == FrameError {
		return fmt.Errorf("%w: pid %d: %s", ErrChildFailed, pid, f.Payload)
	}
	return fmt.Errorf("%w: worker pid %d sent %v seq %d (%d items), want %s", ErrProtocol, pid, f.Kind, f.Seq, f.Count(), want)
}

// Close ends the group: it closes every closer in inputs (the parent's
// ends of what feeds the children: pipes, a task queue) and each child's
// data channel: the end of input for a worker. Then it waits up to grace
// for the children to exit, kills those that have not, and reaps them all.
// A child that exits from here on is not a failure.
//
// Close reports what no earlier call did: a child failure that Run,
// AwaitDone, Handshake, Go or Err has not returned; else, unless the group was
// killed (Kill, or a phase that failed), an error naming a child that had
// to be killed or that exited with an error after its input ended. Close
// is idempotent.
func (g *Group) Close(grace time.Duration, inputs ...io.Closer) error {
	if g.closed {
		return nil
	}
	g.closed = true
	g.closing.Store(true)
	killed := g.killed.Load()
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
	if err := g.failure(); err != nil && !g.reported.Load() {
		return err
	}
	if killed || len(errs) == 0 {
		return nil
	}
	return errs[0]
}
