package procpool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/proc"
	"github.com/mpbench/mpbench/workloads"
)

// WorkerRole is the proc role of a pool worker.
const WorkerRole = "procpool-worker"

const (
	// handshakeTimeout bounds the start of a worker: exec, runtime start,
	// config and hello.
	handshakeTimeout = 10 * time.Second
	// teardownGrace is how long a worker has to exit after its input
	// ends before it is killed. A race-enabled child sleeps a second at
	// exit, so it is longer than that.
	teardownGrace = 2 * time.Second
	// maxFrameTasks bounds the tasks one frame may carry (64 MiB of
	// pairs), whatever --chunk asks.
	maxFrameTasks = proc.MaxFrameTasks
)

func init() { proc.Register(WorkerRole, runWorker) }

// pool is c started workers that have said hello.
type pool struct {
	g     *proc.Group
	rd    []*proc.FrameReader
	wr    []*proc.FrameWriter
	pairs bool
	start *proc.StartStats
}

// usesPairs reports whether any task has a second argument: such a
// workload takes the starmap path.
func usesPairs(tasks []workloads.Task) bool {
	for _, t := range tasks {
		if t.B != 0 {
			return true
		}
	}
	return false
}

// startPool starts cfg.Cores workers and configures each for frames of at
// most frameTasks tasks.
func startPool(ctx context.Context, name string, cfg models.Config, frameTasks int) (*pool, error) {
	if cfg.Cores < 1 {
		return nil, fmt.Errorf("%s: %d cores", name, cfg.Cores)
	}
	specs := make([]proc.Spec, cfg.Cores)
	for i := range specs {
		specs[i] = proc.Spec{Role: WorkerRole}
	}
	stats := proc.NewStartStats(len(specs))
	g, err := proc.StartGroup(ctx, specs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &pool{g: g, pairs: usesPairs(cfg.Workload.Tasks), start: stats}
	wl := []byte(cfg.Workload.Workload.Name)
	hello := make([]func(context.Context) error, len(g.Procs))
	for i, w := range g.Procs {
		rd := proc.NewFrameReader(w.Data, 8*frameTasks)
		wr := proc.NewFrameWriter(w.Data)
		// Allocate and touch the frame buffers now, not in compute.
		rd.Reserve(8 * frameTasks)
		wr.Reserve(max(proc.FrameHeaderSize+16*frameTasks, (proc.FrameHeaderSize+16)*asyncWindow))
		p.rd, p.wr = append(p.rd, rd), append(p.wr, wr)
		hello[i] = func(context.Context) error {
			if err := wr.WriteControl(proc.FrameConfig, uint64(frameTasks), wl); err != nil {
				return err
			}
			h, err := proc.ReadHello(rd, w.Pid)
			stats.Hello(i, w, h)
			return err
		}
	}
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := g.Run(hctx, hello...); err != nil {
		g.Close(0)
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("workers did not say hello within %v", handshakeTimeout)
		}
		return nil, fmt.Errorf("%s: start workers: %w", name, err)
	}
	return p, nil
}

// unexpected describes a frame a receiver did not expect.
func unexpected(pid int, f proc.Frame, want string) error {
	if f.Kind == proc.FrameError {
		return fmt.Errorf("%w: pid %d: %s", proc.ErrChildFailed, pid, f.Payload)
	}
	return fmt.Errorf("%w: worker pid %d sent %v seq %d (%d items), want %s", proc.ErrProtocol, pid, f.Kind, f.Seq, f.Count(), want)
}

func (p *pool) close() error { return p.g.Close(teardownGrace) }

// metrics returns the start figures of the pool with extra.
func (p *pool) metrics(extra map[string]float64) map[string]float64 {
	m := p.start.Metrics()
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// runWorker is the body of a pool worker: config, hello, then one results
// frame per tasks frame until the parent closes the channel.
func runWorker(_ context.Context, c *proc.Child) error {
	rd := proc.NewFrameReader(c.Data, 0)
	wr := proc.NewFrameWriter(c.Data)
	err := serve(rd, wr)
	if err != nil {
		// Best effort: the parent reads this as the worker's error.
		_ = wr.WriteControl(proc.FrameError, 0, []byte(err.Error()))
	}
	return err
}

func serve(rd *proc.FrameReader, wr *proc.FrameWriter) error {
	b, err := proc.ServeSetup(rd, wr)
	if err != nil {
		return err
	}
	wl, tasks, results := b.Workload, b.Tasks, b.Results
	done := uint64(0)
	// held is when the oldest reply not yet written began computing.
	var held time.Time
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return nil // the parent ended the session
		}
		if err != nil {
			return fmt.Errorf("read tasks: %w", err)
		}
		start := time.Now()
		switch f.Kind {
		case proc.FrameArgs, proc.FramePairs:
			if tasks, err = f.Tasks(tasks); err != nil {
				return err
			}
			wl.Apply(tasks, results)
			wr.AppendResults(f.Seq, results[:len(tasks)])
			done += uint64(len(tasks))
		case proc.FrameDone:
			wr.AppendControl(proc.FrameDone, done, nil)
		default:
			return fmt.Errorf("%w: unexpected %v frame", proc.ErrProtocol, f.Kind)
		}
		if held.IsZero() {
			held = start
		}
		// Reply now unless another whole request is already here and the
		// replies held so far are young: a pipelined stream of small
		// requests shares its writes, and a reply is never held back
		// more than maxHold, however long the next request computes.
		if !rd.Ready() || wr.Pending() >= 64<<10 || time.Since(held) >= maxHold {
			if err := wr.Flush(); err != nil {
				return fmt.Errorf("write results: %w", err)
			}
			held = time.Time{}
		}
	}
}

// maxHold bounds how long a worker holds computed replies back to share a
// write with the next ones.
const maxHold = 20 * time.Microsecond
