package manager

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/workers"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// The worker roles of this package, registered when it is initialised so
// that every binary that can run the models can also serve their
// processes.
const (
	ServerRole = "manager-server"
	WorkerRole = "manager-worker"
)

func init() {
	worker.Register(ServerRole, runServer)
	worker.Register(WorkerRole, runWorker)
}

// MaxBatch is the most results manager-batch sends in one round trip.
const MaxBatch = 8192

// Model is the manager model, or manager-batch when made by NewBatch.
type Model struct{ batch bool }

// New returns the manager model.
func New() Model { return Model{} }

// NewBatch returns the manager-batch model.
func NewBatch() Model { return Model{batch: true} }

// Name implements models.Model.
func (m Model) Name() string {
	if m.batch {
		return "manager-batch"
	}
	return "manager"
}

// Doc implements models.Model.
func (m Model) Doc() string {
	if m.batch {
		return "as manager, but each worker stores a chunk's results in batches (Dict.SetMany, the notes' dict.update on a Manager().dict())"
	}
	return "a manager process serves a dict and a list over a unix socket; c workers store each result with one Dict.Set call (the notes' Manager().dict()/list())"
}

// ErrResults is wrapped when what the parent reads back from the manager
// does not account for every task exactly once.
var ErrResults = errors.New("manager holds wrong results")

// Setup starts the manager process on a fresh private socket, starts c
// workers, hands each its share of the tasks, connects the parent's own
// client, and waits until every process is ready. Once all have connected,
// the socket and its folder are removed: nothing is left on disk during
// compute.
func (m Model) Setup(ctx context.Context, cfg models.Config) (sess models.Session, err error) {
	name := m.Name()
	if cfg.Workload == nil || cfg.Cores < 1 {
		return nil, fmt.Errorf("%s: need a workload and at least 1 core, got %d", name, cfg.Cores)
	}
	sweepStale(os.TempDir())
	dir, path, lnFile, err := listenPrivate()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &session{name: name, dir: dir, n: len(cfg.Workload.Tasks), cores: cfg.Cores}
	defer func() {
		if err != nil {
			s.Teardown()
		}
	}()
	chunk := cfg.ChunkSize()
	mode := "one"
	if m.batch {
		mode = "batch"
	}
	specs := []worker.Spec{{Role: ServerRole, Files: []*os.File{lnFile}}}
	for range cfg.Cores {
		specs = append(specs, worker.Spec{
			Role: WorkerRole,
			Args: []string{cfg.Workload.Workload.Name, mode, strconv.Itoa(chunk), path},
			Env:  []string{"GOMAXPROCS=1"}, // one goroutine making one call at a time
		})
	}
	s.g, err = workers.Start(ctx, name, specs)
	lnFile.Close() // the manager holds the listener now
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, s.g.Kill) // unblocks the writes below
	defer stop()

	tasks := cfg.Workload.Tasks
	for w := range cfg.Cores {
		lo, hi := w*len(tasks)/cfg.Cores, (w+1)*len(tasks)/cfg.Cores
		if err := s.g.Write(1+w, encodeShare(uint64(lo), tasks[lo:hi])); err != nil {
			return nil, s.ctxErr(ctx, err)
		}
	}
	if s.client, err = Dial(path); err != nil {
		return nil, s.ctxErr(ctx, fmt.Errorf("%s: %w", name, err))
	}
	if err := s.g.Await(ctx, workers.Ready); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("%s: remove private folder: %w", name, err)
	}
	return s, nil
}

// encodeShare is a worker's share as sent over its data channel in setup:
// u64 index of its first task, u64 count, count × (u64 A, u64 B).
func encodeShare(lo uint64, tasks []workloads.Task) []byte {
	b := make([]byte, 0, 16+16*len(tasks))
	b = binary.LittleEndian.AppendUint64(b, lo)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(tasks)))
	for _, t := range tasks {
		b = binary.LittleEndian.AppendUint64(b, t.A)
		b = binary.LittleEndian.AppendUint64(b, t.B)
	}
	return b
}

type session struct {
	name     string
	dir      string
	n, cores int
	g        *workers.Group // [0] the manager, [1..c] the workers
	client   *Client
	done     bool
}

// ctxErr prefers the context's error: a failure caused by cancelling is
// reported as the cancellation.
func (s *session) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", s.name, ctx.Err())
	}
	return err
}

func (s *session) workerIdx() []int {
	idx := make([]int, s.cores)
	for i := range idx {
		idx[i] = i + 1
	}
	return idx
}

// Compute starts every worker, waits until each has stored its results in
// the manager and appended its count to the list, then reads the dict back
// and puts the results in task order.
func (s *session) Compute(ctx context.Context) (out models.Output, err error) {
	stop := context.AfterFunc(ctx, s.g.Kill) // unblocks the read-back too
	defer stop()
	defer func() {
		if err != nil {
			s.g.Kill()
			err = s.ctxErr(ctx, err)
		}
	}()
	idx := s.workerIdx()
	t0 := time.Now()
	if err := s.g.Send(workers.Go, idx...); err != nil {
		return out, err
	}
	if err := s.g.Await(ctx, workers.Done, idx...); err != nil {
		return out, err
	}
	stored := time.Since(t0)

	t1 := time.Now()
	results, err := s.readBack()
	if err != nil {
		return out, err
	}
	return models.Output{
		Results: results,
		Workers: s.g.Pids()[1:],
		Metrics: map[string]float64{
			"results_stored_per_s": float64(s.n) / stored.Seconds(),
			"readback_s":           time.Since(t1).Seconds(),
		},
	}, nil
}

// readBack reads every result through the manager and checks that each
// task has exactly one, and that the list holds one count per worker that
// adds up to the tasks.
func (s *session) readBack() ([]uint64, error) {
	results := make([]uint64, s.n)
	have := make([]bool, s.n)
	got := 0
	err := s.client.Dict().Range(func(key []byte, v uint64) error {
		i, err := strconv.ParseUint(string(key), 10, 64)
		if err != nil || i >= uint64(s.n) || have[i] {
			return fmt.Errorf("%s: %w: unexpected key %q", s.name, ErrResults, key)
		}
		results[i], have[i] = v, true
		got++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if got != s.n {
		return nil, fmt.Errorf("%s: %w: %d results for %d tasks", s.name, ErrResults, got, s.n)
	}
	counts, err := s.client.List().Items()
	if err != nil {
		return nil, err
	}
	var sum uint64
	for _, c := range counts {
		sum += c
	}
	if len(counts) != s.cores || sum != uint64(s.n) {
		return nil, fmt.Errorf("%s: %w: list %v, want %d counts adding up to %d", s.name, ErrResults, counts, s.cores, s.n)
	}
	return results, nil
}

// Teardown closes the parent's client, stops and reaps the manager and the
// workers, and removes the private folder if Setup failed before it did.
func (s *session) Teardown() error {
	if s.done {
		return nil
	}
	s.done = true
	var errs []error
	if s.client != nil {
		s.client.Close()
	}
	if s.g != nil {
		errs = append(errs, s.g.Close())
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
	}
	return errors.Join(errs...)
}

// runServer is the body of the manager process: serve the listener it was
// handed as fd 4 until the parent closes the data channel.
func runServer(ctx context.Context, c *worker.Child) error {
	if len(c.Files) != 1 {
		return fmt.Errorf("want one listener fd, got %d", len(c.Files))
	}
	ln, err := net.FileListener(c.Files[0])
	c.Files[0].Close()
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	srv := NewServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close()
	// Wait on the data channel through the poller: a blocking read would
	// hold a P that the connections' goroutines need.
	data, err := workers.Pollable(c.Data)
	if err != nil {
		return err
	}
	defer data.Close()
	if err := workers.Signal(data, workers.Ready); err != nil {
		return err
	}
	parent := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, data)
		parent <- err
	}()
	select {
	case err := <-served:
		return err
	case err := <-parent:
		return err
	case <-ctx.Done():
		return nil
	}
}

// runWorker is the body of a worker: read its share of the tasks from the
// data channel, connect to the manager, say Ready, and on Go compute the
// share chunk by chunk and store each result through the Dict proxy (one
// call per result, or batches for manager-batch); then append its count to
// the list and say Done. Args: workload, "one" or "batch", chunk, socket.
func runWorker(_ context.Context, c *worker.Child) error {
	if len(c.Args) != 4 {
		return fmt.Errorf("want args [workload one|batch chunk socket], got %q", c.Args)
	}
	w, err := workloads.Lookup(c.Args[0])
	if err != nil {
		return err
	}
	batch := c.Args[1] == "batch"
	chunk, err := strconv.Atoi(c.Args[2])
	if err != nil || chunk < 1 {
		return fmt.Errorf("bad chunk %q", c.Args[2])
	}
	lo, tasks, err := readShare(c.Data)
	if err != nil {
		return err
	}
	cl, err := Dial(c.Args[3])
	if err != nil {
		return err
	}
	defer cl.Close()
	// Like every process model's workers, warm up before saying Ready, so
	// a fresh process's slow start is paid in setup (see worker.Warmup). The
	// manager process itself is not warmed: it mostly waits on sockets.
	worker.Warmup()
	if err := workers.Signal(c.Data, workers.Ready); err != nil {
		return err
	}
	for {
		b, err := workers.Next(c.Data)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if b != workers.Go {
			return fmt.Errorf("unexpected signal %q", b)
		}
		if err := store(cl, w.Apply, lo, tasks, chunk, batch); err != nil {
			return err
		}
		if err := workers.Signal(c.Data, workers.Done); err != nil {
			return err
		}
	}
}

// maxShare bounds the tasks a worker accepts from its data channel.
const maxShare = 1 << 28

func readShare(r io.Reader) (uint64, []workloads.Task, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("read share: %w", err)
	}
	lo, n := binary.LittleEndian.Uint64(hdr[:]), binary.LittleEndian.Uint64(hdr[8:])
	if n > maxShare {
		return 0, nil, fmt.Errorf("share of %d tasks (max %d)", n, maxShare)
	}
	buf := make([]byte, 16*n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("read share: %w", err)
	}
	tasks := make([]workloads.Task, n)
	for i := range tasks {
		tasks[i] = workloads.Task{A: binary.LittleEndian.Uint64(buf[16*i:]), B: binary.LittleEndian.Uint64(buf[16*i+8:])}
	}
	return lo, tasks, nil
}

// store computes tasks (task lo+i is tasks[i]) a chunk at a time and stores
// every result under its task index in decimal.
func store(cl *Client, apply func([]workloads.Task, []uint64), lo uint64, tasks []workloads.Task, chunk int, batch bool) error {
	d := cl.Dict()
	results := make([]uint64, min(chunk, len(tasks)))
	var key []byte
	for off := 0; off < len(tasks); off += chunk {
		res := results[:min(chunk, len(tasks)-off)]
		apply(tasks[off:off+len(res)], res)
		base := lo + uint64(off)
		if !batch {
			for j, r := range res {
				key = strconv.AppendUint(key[:0], base+uint64(j), 10)
				if err := setKey(d, key, r); err != nil {
					return err
				}
			}
			continue
		}
		for b := 0; b < len(res); b += MaxBatch {
			part := res[b:min(b+MaxBatch, len(res))]
			first := base + uint64(b)
			err := d.setMany(len(part), func(dst []byte, i int) []byte {
				key = strconv.AppendUint(key[:0], first+uint64(i), 10)
				return appendKey(dst, key)
			}, part)
			if err != nil {
				return err
			}
		}
	}
	return cl.List().Append(uint64(len(tasks)))
}
