package pipe

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// WorkerRole is the worker role of a pipe worker.
const WorkerRole = "pipe-worker"

const (
	maxFrameTasks = worker.MaxFrameTasks
	// pipeSize is the capacity asked of each pipe.
	pipeSize = 1 << 20
)

func init() { worker.Register(WorkerRole, runWorker) }

// Model is the pipe model.
type Model struct{}

// New returns the pipe model.
func New() Model { return Model{} }

// Name implements models.Model.
func (Model) Name() string { return "pipe" }

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the runner's tasks and results, and each worker's frames of its share.
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 16 * models.MiB, Worker: 8 * models.MiB, PerTask: 36, PerTaskCore: 28}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (Model) Doc() string {
	return "c worker processes, each streamed its static share over its own pair of pipes until a done frame (Pipe sender/receiver)"
}

// link is the parent's ends of one worker's pipes.
type link struct {
	tasks   *os.File // write end of the task pipe
	results *os.File // read end of the result pipe
	worker.Conn
}

type session struct {
	cfg     models.Config
	g       *worker.Group
	links   []link
	frame   int
	pairs   bool
	results []uint64
}

// setPipeSize asks for a bigger pipe; a refusal (a system limit) leaves
// the default.
func setPipeSize(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) })
	}
}

func usesPairs(tasks []workloads.Task) bool {
	for _, t := range tasks {
		if t.B != 0 {
			return true
		}
	}
	return false
}

// Setup creates two pipes per worker, starts the workers and exchanges
// config and hello with each.
func (m Model) Setup(ctx context.Context, cfg models.Config) (_ models.Session, err error) {
	if cfg.Cores < 1 {
		return nil, fmt.Errorf("pipe: %d cores", cfg.Cores)
	}
	n := len(cfg.Workload.Tasks)
	s := &session{
		cfg:   cfg,
		frame: min(cfg.ChunkSize(), max(n, 1), maxFrameTasks),
		pairs: usesPairs(cfg.Workload.Tasks),
	}
	var childEnds []*os.File
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
		if err != nil {
			s.closeLinks()
			if s.g != nil {
				s.g.Close(0)
			}
		}
	}()
	specs := make([]worker.Spec, cfg.Cores)
	for i := range specs {
		tr, tw, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("pipe: %w", err)
		}
		rr, rw, err := os.Pipe()
		if err != nil {
			tr.Close()
			tw.Close()
			return nil, fmt.Errorf("pipe: %w", err)
		}
		setPipeSize(tw)
		setPipeSize(rr)
		childEnds = append(childEnds, tr, rw)
		l := link{tasks: tw, results: rr, Conn: worker.Conn{R: worker.NewFrameReader(rr, 8*s.frame), W: worker.NewFrameWriter(tw)}}
		// Allocate and touch the frame buffers now, not in compute.
		l.R.Reserve(8 * s.frame)
		l.W.Reserve(worker.FrameHeaderSize + 16*s.frame)
		s.links = append(s.links, l)
		specs[i] = worker.Spec{
			Role: WorkerRole, Files: []*os.File{tr, rw}, NoData: true,
			CPUs: worker.WorkerCPU(i), // pinned, one CPU each
		}
	}
	if s.g, err = worker.StartGroup(ctx, specs); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	// The children hold their ends now; without the parent's copies, a
	// worker's death is an end of file here.
	for _, f := range childEnds {
		f.Close()
	}
	childEnds = nil
	for i, l := range s.links {
		s.g.Conns[i] = l.Conn
	}
	wl := []byte(cfg.Workload.Workload.Name)
	err = s.g.Handshake(ctx, worker.HandshakeTimeout, func(int) worker.Config {
		return worker.Config{Seq: uint64(s.frame), Payload: wl}
	})
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	s.results = make([]uint64, n)
	for i := range s.results {
		s.results[i] = 0 // touch the pages now, not in compute
	}
	return s, nil
}

// Compute streams each worker its share and reads its results back.
func (s *session) Compute(ctx context.Context) (models.Output, error) {
	tasks := s.cfg.Workload.Tasks
	n, c := len(tasks), len(s.links)
	accts := make([]models.Account, c)
	have := make([]bool, c)
	var fns []func(context.Context) error
	for i, l := range s.links {
		pid := s.g.Procs[i].Pid
		lo, hi := i*n/c, (i+1)*n/c
		send := func(context.Context) error {
			for a := lo; a < hi; a += s.frame {
				b := min(a+s.frame, hi)
				if err := l.W.WriteTasks(uint64(a), tasks[a:b], s.pairs); err != nil {
					return err
				}
			}
			return l.W.WriteControl(worker.FrameDone, uint64(hi-lo), nil)
		}
		recv := func(context.Context) error {
			next := lo
			for {
				f, err := l.R.Next()
				if err != nil {
					return err
				}
				switch {
				case f.Kind == worker.FrameDone && next == hi && f.Seq == uint64(hi-lo):
					accts[i], have[i] = worker.DoneAccount(f, hi-lo)
					return nil
				case f.Kind == worker.FrameResults && f.Seq == uint64(next) && f.Count() <= hi-next && f.Count() > 0:
					m := f.Count()
					if err := f.ResultsInto(s.results[next : next+m]); err != nil {
						return err
					}
					next += m
				default:
					return worker.Unexpected(pid, f, fmt.Sprintf("results from %d or done after %d", next, hi))
				}
			}
		}
		fns = append(fns, send, recv)
	}
	if err := s.g.Run(ctx, fns...); err != nil {
		return models.Output{}, fmt.Errorf("pipe: %w", err)
	}
	var workers []int
	for i, p := range s.g.Procs {
		if (i+1)*n/c > i*n/c {
			workers = append(workers, p.Pid)
		}
	}
	return models.Output{Results: s.results, Workers: workers, Metrics: s.metrics(), Accounts: models.AllAccounts(accts, have)}, nil
}

func (s *session) metrics() map[string]float64 {
	m := s.g.StartMetrics()
	m["frame_tasks"] = float64(s.frame)
	return m
}

func (s *session) closeLinks() {
	for _, l := range s.links {
		l.tasks.Close()
		l.results.Close()
	}
}

// Teardown closes every task pipe, the workers' end of input, and reaps
// the workers.
func (s *session) Teardown() error {
	var inputs []io.Closer
	for _, l := range s.links {
		inputs = append(inputs, l.tasks)
	}
	err := s.g.Close(worker.ExitGrace, inputs...)
	for _, l := range s.links {
		l.results.Close()
	}
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	return nil
}

// Pids returns the workers' PIDs (tests use it).
func (s *session) Pids() []int { return s.g.Pids() }

// runWorker is the body of a pipe worker: tasks frames in on fd 4,
// results frames out on fd 5, until the task pipe ends.
func runWorker(_ context.Context, c *worker.Child) error {
	if len(c.Files) != 2 {
		return fmt.Errorf("pipe worker got %d files, want 2 pipes", len(c.Files))
	}
	rd := worker.NewFrameReader(c.Files[0], 0)
	wr := worker.NewFrameWriter(c.Files[1])
	err := serve(rd, wr)
	if err != nil {
		_ = wr.WriteControl(worker.FrameError, 0, []byte(err.Error()))
	}
	return err
}

// flushAt is the most bytes of results a worker holds before it writes.
const flushAt = 64 << 10

func serve(rd *worker.FrameReader, wr *worker.FrameWriter) error {
	b, err := worker.ServeSetup(rd, wr)
	if err != nil {
		return err
	}
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tasks: %w", err)
		}
		switch f.Kind {
		case worker.FrameArgs, worker.FramePairs:
			if err = b.Answer(f, wr); err != nil {
				return err
			}
			// Write the results now unless the next frame is already
			// here: a worker whose share is streamed ahead of it
			// answers in few writes, and so wakes the parent seldom.
			if !rd.Ready() || wr.Pending() >= flushAt {
				err = wr.Flush()
			}
		case worker.FrameDone:
			b.AppendDone(wr)
			err = wr.Flush()
			b.Done = 0
		default:
			return fmt.Errorf("%w: unexpected %v frame", worker.ErrProtocol, f.Kind)
		}
		if err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
}
