package procpool

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
	"golang.org/x/sys/unix"
)

// WorkerRole is the worker role of a pool worker.
const WorkerRole = "procpool-worker"

// maxFrameTasks bounds the tasks one frame may carry (64 MiB of pairs),
// whatever --chunk asks.
const maxFrameTasks = worker.MaxFrameTasks

func init() { worker.Register(WorkerRole, runWorker) }

// pool is c started workers that have said hello.
type pool struct {
	g     *worker.Group
	pairs bool
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
// most frameTasks tasks. A map pool's workers also get queue, the workers'
// end of the shared task queue (see Model.Setup); an async pool's get nil.
func startPool(ctx context.Context, name string, cfg models.Config, frameTasks int, queue *os.File) (*pool, error) {
	if cfg.Cores < 1 {
		return nil, fmt.Errorf("%s: %d cores", name, cfg.Cores)
	}
	specs := make([]worker.Spec, cfg.Cores)
	for i := range specs {
		// Pinned, one CPU each (worker.WorkerCPU).
		specs[i] = worker.Spec{Role: WorkerRole, CPUs: worker.WorkerCPU(i)}
		if queue != nil {
			specs[i].Files = []*os.File{queue}
		}
	}
	g, err := worker.StartGroup(ctx, specs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, c := range g.Conns {
		// Allocate and touch the frame buffers now, not in compute.
		c.R.SetMaxPayload(8 * frameTasks)
		c.R.Reserve(8 * frameTasks)
		c.W.Reserve(max(worker.FrameHeaderSize+16*frameTasks, (worker.FrameHeaderSize+16)*asyncWindow))
	}
	wl := []byte(cfg.Workload.Workload.Name)
	err = g.Handshake(ctx, worker.HandshakeTimeout, func(int) worker.Config {
		return worker.Config{Seq: uint64(frameTasks), Payload: wl}
	})
	if err != nil {
		g.Close(0)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &pool{g: g, pairs: usesPairs(cfg.Workload.Tasks)}, nil
}

// close ends the pool: inputs (a map pool's task queue) and every
// worker's data channel close, and the workers are reaped.
func (p *pool) close(inputs ...io.Closer) error { return p.g.Close(worker.ExitGrace, inputs...) }

// metrics returns the start figures of the pool with extra.
func (p *pool) metrics(extra map[string]float64) map[string]float64 {
	m := p.g.StartMetrics()
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// runWorker is the body of a pool worker. A map worker (given the task
// queue as its one file) takes chunks from the queue (serveMap); an async
// worker answers each request on its data channel (serve).
func runWorker(_ context.Context, c *worker.Child) error {
	rd := worker.NewFrameReader(c.Data, 0)
	wr := worker.NewFrameWriter(c.Data)
	var err error
	switch len(c.Files) {
	case 0:
		err = serve(rd, wr)
	case 1:
		err = serveMap(c.Files[0], rd, wr)
	default:
		err = fmt.Errorf("got %d files, want the task queue or none", len(c.Files))
	}
	if err != nil {
		// Best effort: the parent reads this as the worker's error.
		_ = wr.WriteControl(worker.FrameError, 0, []byte(err.Error()))
	}
	return err
}

func serve(rd *worker.FrameReader, wr *worker.FrameWriter) error {
	b, err := worker.ServeSetup(rd, wr)
	if err != nil {
		return err
	}
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
		case worker.FrameArgs, worker.FramePairs:
			if err = b.Answer(f, wr); err != nil {
				return err
			}
		case worker.FrameDone:
			b.AppendDone(wr)
		default:
			return fmt.Errorf("%w: unexpected %v frame", worker.ErrProtocol, f.Kind)
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

// flushAt is how many bytes of results a map worker holds before it
// writes them; it writes the rest when it takes its sentinel.
const flushAt = 64 << 10

// serveMap is the body of a map worker: config and hello on its data
// channel, then chunks taken from the shared task queue, one message each,
// until its sentinel (a done frame); the results go back on the data
// channel, then a done frame with its count, and it waits for the next
// pass's go frame or the end.
func serveMap(queue *os.File, rd *worker.FrameReader, wr *worker.FrameWriter) error {
	b, err := worker.ServeSetup(rd, wr)
	if err != nil {
		return err
	}
	max := 16 * len(b.Tasks)
	// One message is one frame; a bigger one would be cut short.
	msg := make([]byte, worker.FrameHeaderSize+max)
	clear(msg)
	fd := int(queue.Fd()) // a blocking descriptor: Fd changes nothing
	for {
		n, _, flags, _, err := unix.Recvmsg(fd, msg, nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read task queue: %w", err)
		}
		if n == 0 {
			return nil // the parent closed the queue: teardown
		}
		if flags&unix.MSG_TRUNC != 0 {
			return fmt.Errorf("%w: task message over %d bytes", worker.ErrProtocol, len(msg))
		}
		f, used, err := worker.DecodeFrame(msg[:n], max)
		if err != nil {
			return err
		}
		if used != n {
			return fmt.Errorf("%w: task message of %d bytes holds a %d-byte frame", worker.ErrProtocol, n, used)
		}
		switch f.Kind {
		case worker.FrameArgs, worker.FramePairs:
			if err = b.Answer(f, wr); err != nil {
				return err
			}
			if wr.Pending() >= flushAt {
				if err := wr.Flush(); err != nil {
					return fmt.Errorf("write results: %w", err)
				}
			}
		case worker.FrameDone:
			// The sentinel: the queue holds no more chunks. Stop
			// taking from it, so that every worker gets its own.
			b.AppendDone(wr)
			if err := wr.Flush(); err != nil {
				return fmt.Errorf("write results: %w", err)
			}
			// Wait for the next pass (a go frame on the data channel,
			// sent once every worker has taken its sentinel) or for
			// the end of the session.
			if err := worker.AwaitGo(rd); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unexpected %v frame on the task queue", worker.ErrProtocol, f.Kind)
		}
	}
}
