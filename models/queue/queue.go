package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// The roles of the queue model's processes.
const (
	ProducerRole = "queue-producer"
	ConsumerRole = "queue-consumer"
)

const (
	// capacity is the slots of each ring: 256 KiB a ring.
	capacity = 8192
	// sentinel is the index of the None item that ends a consumer.
	sentinel = math.MaxUint64
	magic    = 0x6d70_6271_7565_7565 // "mpbqueue"
	pageSize = 4096
)

func init() {
	worker.Register(ProducerRole, runProducer)
	worker.Register(ConsumerRole, runConsumer)
}

// header is the first page of the region.
type header struct {
	magic     uint64
	capacity  uint64
	consumers uint64
	tasks     uint64
	_         [32]byte
	abort     atomic.Uint32
}

func roundPage(n int) int { return (n + pageSize - 1) / pageSize * pageSize }

// region is the shared memory of one trial: a header and two rings.
type region struct {
	mem     []byte
	hdr     *header
	tasks   *ring // producer → consumers
	results *ring // consumers → parent
}

func regionSize(capacity int) int { return pageSize + 2*roundPage(ringSize(capacity)) }

// mapRegion maps the region in fd. create sizes and initialises it.
func mapRegion(fd int, create bool, consumers, tasks int) (*region, error) {
	size := regionSize(capacity)
	flags := unix.MAP_SHARED
	if create {
		if err := unix.Ftruncate(fd, int64(size)); err != nil {
			return nil, fmt.Errorf("queue: size region: %w", err)
		}
	} else {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("queue: stat region: %w", err)
		}
		if st.Size != int64(size) {
			return nil, fmt.Errorf("queue: region of %d bytes, want %d", st.Size, size)
		}
		flags |= unix.MAP_POPULATE // fault it in now, in setup
	}
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, flags)
	if err != nil {
		return nil, fmt.Errorf("queue: map region: %w", err)
	}
	r := &region{mem: mem, hdr: (*header)(unsafe.Pointer(&mem[0]))}
	if create {
		r.hdr.magic, r.hdr.capacity = magic, capacity
		r.hdr.consumers, r.hdr.tasks = uint64(consumers), uint64(tasks)
	} else if r.hdr.magic != magic || r.hdr.capacity != capacity {
		unix.Munmap(mem)
		return nil, fmt.Errorf("queue: region header %#x/%d is not this build's", r.hdr.magic, r.hdr.capacity)
	}
	if r.tasks, err = mapRing(mem, pageSize, capacity, &r.hdr.abort, create); err == nil {
		r.results, err = mapRing(mem, pageSize+roundPage(ringSize(capacity)), capacity, &r.hdr.abort, create)
	}
	if err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	// The consumers are woken at once when tasks arrive; the producer
	// sleeps until the task ring is half empty; the parent sleeps until
	// the result ring is half full or a consumer flushes it.
	r.tasks.writeWake = capacity / 2
	r.results.readWake = capacity / 2
	r.results.writeWake = capacity / 2
	return r, nil
}

// abort stops every process blocked on a ring.
func (r *region) abort() {
	r.hdr.abort.Store(1)
	r.tasks.wakeAll()
	r.results.wakeAll()
}

func (r *region) unmap() { unix.Munmap(r.mem) }

// Model is the queue model.
type Model struct{}

// New returns the queue model.
func New() Model { return Model{} }

// Name implements models.Model.
func (Model) Name() string { return "queue" }

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the runner's tasks and results, the rings, and the producer.
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 24 * models.MiB, Worker: 8 * models.MiB, PerTask: 48, PerTaskCore: 20}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (Model) Doc() string {
	return "1 producer + c consumer processes on a shared-memory ring queue, None sentinels, a result queue the parent drains (Queue producer–consumer)"
}

type session struct {
	cfg     models.Config
	reg     *region
	g       *worker.Group
	results []uint64
	// wake is an eventfd the consumers add to when the parent may be
	// waiting for results (ring.waitItems).
	wake *os.File
	// passes counts Compute calls.
	passes int
}

// Setup creates the region, starts the producer and the consumers, and
// preloads the producer with the tasks.
func (m Model) Setup(ctx context.Context, cfg models.Config) (_ models.Session, err error) {
	if cfg.Cores < 1 {
		return nil, fmt.Errorf("queue: %d cores", cfg.Cores)
	}
	tasks := cfg.Workload.Tasks
	fd, err := unix.MemfdCreate("mpbench-queue", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("queue: memfd_create: %w", err)
	}
	memfd := os.NewFile(uintptr(fd), "queue-region")
	defer memfd.Close() // the children hold their own copies
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("queue: eventfd: %w", err)
	}
	s := &session{cfg: cfg, wake: os.NewFile(uintptr(efd), "queue-wake")}
	if s.reg, err = mapRegion(fd, true, cfg.Cores, len(tasks)); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.reg.abort()
			if s.g != nil {
				s.g.Close(0)
			}
			s.reg.unmap()
			s.wake.Close()
		}
	}()
	specs := []worker.Spec{{Role: ProducerRole, Files: []*os.File{memfd}}}
	// Note: unlike the workers of procpool, pipe and shm, the consumers
	// are not pinned (worker.WorkerCPU). With the producer they are c + 1
	// busy processes on c CPUs, and pinned they kept the producer on one
	// consumer's CPU; square lost more time that way than cpu gained
	// (docs/measurements.md).
	for range cfg.Cores {
		specs = append(specs, worker.Spec{Role: ConsumerRole, Files: []*os.File{memfd, s.wake}})
	}
	if s.g, err = worker.StartGroup(ctx, specs); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	// The producer is preloaded with every task in the handshake, in
	// frames of worker.HandshakeFrameTasks.
	s.g.Conns[0].W.Reserve(worker.FrameHeaderSize + 16*worker.HandshakeFrameTasks)
	wl := []byte(cfg.Workload.Workload.Name)
	err = s.g.Handshake(ctx, worker.HandshakeTimeout, func(i int) worker.Config {
		c := worker.Config{Seq: uint64(len(tasks)), Payload: wl}
		if i == 0 {
			c.Tasks = tasks
		}
		return c
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	s.results = make([]uint64, len(tasks))
	for i := range s.results {
		s.results[i] = 0 // touch the pages now, not in compute
	}
	return s, nil
}

// Compute starts the producer and drains the result ring until every
// result and every consumer's sentinel is in.
func (s *session) Compute(ctx context.Context) (models.Output, error) {
	out, err := s.compute(ctx)
	if err != nil {
		s.reg.abort()
		s.g.Kill()
		return models.Output{}, fmt.Errorf("queue: %w", err)
	}
	return out, nil
}

func (s *session) compute(ctx context.Context) (models.Output, error) {
	// A later pass: every consumer took its sentinel and waits for go,
	// the producer too; the rings are empty.
	if s.passes++; s.passes > 1 {
		idx := make([]int, len(s.g.Procs)-1)
		for i := range idx {
			idx[i] = i + 1
		}
		if err := s.g.Go(idx...); err != nil {
			return models.Output{}, err
		}
	}
	if err := s.g.Go(0); err != nil {
		return models.Output{}, err
	}
	n := uint64(len(s.results))
	consumers := len(s.g.Procs) - 1
	counts := map[int]uint64{}
	var got uint64
	res := s.reg.results
	for got < n || len(counts) < consumers {
		x, y, z, ok := res.tryGet()
		if ok {
			switch {
			case x == sentinel:
				counts[int(z)] = y
			case x < n:
				s.results[x] = y
				got++
			default:
				return models.Output{}, fmt.Errorf("%w: result for task %d of %d", worker.ErrProtocol, x, n)
			}
			continue
		}
		if len(counts) == consumers {
			return models.Output{}, fmt.Errorf("%w: every consumer stopped with %d of %d results in", worker.ErrProtocol, got, n)
		}
		if err := ctx.Err(); err != nil {
			return models.Output{}, err
		}
		select {
		case <-s.g.Failed():
			return models.Output{}, s.g.Err()
		default:
		}
		res.waitItems(s.wake, sleepMax)
	}
	var workers []int
	for _, p := range s.g.Procs[1:] {
		if counts[p.Pid] > 0 {
			workers = append(workers, p.Pid)
		}
	}
	return models.Output{Results: s.results, Workers: workers, Metrics: s.metrics()}, nil
}

func (s *session) metrics() map[string]float64 {
	m := s.g.StartMetrics()
	m["ring_slots"] = capacity
	return m
}

// Teardown wakes every process blocked on a ring, ends their input, reaps
// them and unmaps the region.
func (s *session) Teardown() error {
	// Abort as part of Close, so that a consumer woken by it exits as
	// part of the teardown rather than as a failure.
	err := s.g.Close(worker.ExitGrace, closerFunc(s.reg.abort))
	s.reg.unmap()
	s.wake.Close()
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}

type closerFunc func()

func (f closerFunc) Close() error {
	f()
	return nil
}

// Pids returns the PIDs of the producer and the consumers (tests use it).
func (s *session) Pids() []int { return s.g.Pids() }

// attach maps the region a child got as its first file. A consumer also
// gets the parent's eventfd, through which it wakes the parent when
// results wait.
func attach(c *worker.Child, consumer bool) (*region, *worker.FrameReader, *worker.FrameWriter, error) {
	want := 1
	if consumer {
		want = 2
	}
	if len(c.Files) != want {
		return nil, nil, nil, fmt.Errorf("got %d files, want %d (the region, and a consumer's eventfd)", len(c.Files), want)
	}
	reg, err := mapRegion(int(c.Files[0].Fd()), false, 0, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	if consumer {
		if reg.results.wakeReader, err = eventfdWaker(c.Files[1]); err != nil {
			reg.unmap()
			return nil, nil, nil, fmt.Errorf("eventfd: %w", err)
		}
	}
	return reg, worker.NewFrameReader(c.Data, 0), worker.NewFrameWriter(c.Data), nil
}

// runProducer receives the tasks in the handshake, then on go puts every
// task and one sentinel per consumer on the task ring.
func runProducer(_ context.Context, c *worker.Child) error {
	reg, rd, wr, err := attach(c, false)
	if err != nil {
		return err
	}
	defer reg.unmap()
	var tasks []workloads.Task
	err = worker.Setup(rd, wr, func(cfg worker.Frame) error {
		if cfg.Seq != reg.hdr.tasks {
			return fmt.Errorf("%w: config says %d tasks, region %d", worker.ErrProtocol, cfg.Seq, reg.hdr.tasks)
		}
		tasks, err = worker.ReadTasks(rd, int(cfg.Seq))
		return err
	})
	if err != nil {
		return err
	}
	// One pass per go frame, until the parent ends the session.
	for {
		if err := worker.AwaitGo(rd); err != nil {
			if err == io.EOF {
				return nil // torn down
			}
			return err
		}
		err = produce(reg, tasks)
		if errors.Is(err, errAborted) {
			return nil // the parent gave up on the trial
		}
		if err != nil {
			return err
		}
	}
}

func produce(reg *region, tasks []workloads.Task) error {
	for i, t := range tasks {
		if err := reg.tasks.put(uint64(i), t.A, t.B); err != nil {
			return err
		}
	}
	for range reg.hdr.consumers {
		if err := reg.tasks.put(sentinel, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// runConsumer takes tasks until a sentinel, puts each result on the result
// ring, then puts its own sentinel with its count.
func runConsumer(_ context.Context, c *worker.Child) error {
	reg, rd, wr, err := attach(c, true)
	if err != nil {
		return err
	}
	defer reg.unmap()
	var wl *workloads.Workload
	err = worker.Setup(rd, wr, func(cfg worker.Frame) (err error) {
		wl, err = workloads.Lookup(string(cfg.Payload))
		return err
	})
	if err != nil {
		return err
	}
	// The first pass starts at once; each later one on a go frame, sent
	// once every consumer has put its sentinel, so that no consumer takes
	// another's sentinel.
	for {
		err = consume(reg, wl, uint64(os.Getpid()))
		if errors.Is(err, errAborted) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := worker.AwaitGo(rd); err != nil {
			if err == io.EOF {
				return nil // torn down
			}
			return err
		}
	}
}

func consume(reg *region, wl *workloads.Workload, pid uint64) error {
	var (
		task   [1]workloads.Task
		result [1]uint64
		count  uint64
	)
	for {
		// No flush of the results before sleeping for tasks: the
		// parent, map-like, needs them only at the end, and waking it
		// each time a consumer ran dry (with square, all the time: the
		// one producer is the bottleneck) took CPU from the producer.
		// It wakes when the result ring is half full, and at the end.
		i, a, b, err := reg.tasks.get()
		if err != nil {
			return err
		}
		if i == sentinel {
			break
		}
		task[0] = workloads.Task{A: a, B: b}
		wl.Apply(task[:], result[:])
		if err := reg.results.put(i, result[0], 0); err != nil {
			return err
		}
		count++
	}
	if err := reg.results.put(sentinel, count, pid); err != nil {
		return err
	}
	reg.results.flush()
	return nil
}
