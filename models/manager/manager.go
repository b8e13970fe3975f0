package manager

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/mpbench/mpbench/models"
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

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the manager's dict and list hold every result with its key and entry.
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 24 * models.MiB, Worker: 8 * models.MiB, PerTask: 240}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (m Model) Doc() string {
	if m.batch {
		return "as manager, but each worker stores a chunk's results in batches (Dict.SetMany, dict.update on multiprocessing's Manager().dict())"
	}
	return "a manager process serves a dict and a list over a unix socket; c workers store each result with one Dict.Set call (multiprocessing's Manager().dict()/list())"
}

// ErrResults is wrapped when what the parent reads back from the manager
// does not account for every task exactly once.
var ErrResults = errors.New("manager holds wrong results")

// Setup starts the manager process on a fresh private socket and c
// workers, connects the parent's own client, and hands each worker its
// share of the tasks in the handshake, which ends when every process has
// said hello. Once all have connected, the socket and its folder are
// removed: nothing is left on disk during compute.
func (m Model) Setup(ctx context.Context, cfg models.Config) (sess models.Session, err error) {
	name := m.Name()
	if cfg.Workload == nil || cfg.Cores < 1 {
		return nil, fmt.Errorf("%s: need a workload and at least 1 core, got %d", name, cfg.Cores)
	}
	worker.SweepStale(os.TempDir())
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
	tasks := cfg.Workload.Tasks
	share := func(w int) (lo, hi int) { return w * len(tasks) / cfg.Cores, (w + 1) * len(tasks) / cfg.Cores }
	// The manager process is not warmed up (worker.Warmup): it mostly
	// waits on sockets.
	specs := []worker.Spec{{Role: ServerRole, Files: []*os.File{lnFile}, Env: []string{worker.EnvWarmup + "=0"}}}
	for w := range cfg.Cores {
		lo, _ := share(w)
		specs = append(specs, worker.Spec{
			Role: WorkerRole,
			Args: []string{mode, strconv.Itoa(chunk), path, strconv.Itoa(lo)},
			Env:  []string{"GOMAXPROCS=1"}, // one goroutine making one call at a time
		})
	}
	s.g, err = worker.StartGroup(ctx, specs)
	lnFile.Close() // the manager holds the listener now
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.client, err = Dial(path); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Each worker's config names the workload and is followed by its
	// share of the tasks, a static split.
	wl := []byte(cfg.Workload.Workload.Name)
	err = s.g.Handshake(ctx, worker.HandshakeTimeout, func(i int) worker.Config {
		if i == 0 {
			return worker.Config{}
		}
		lo, hi := share(i - 1)
		return worker.Config{Seq: uint64(hi - lo), Payload: wl, Tasks: tasks[lo:hi]}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("%s: remove private folder: %w", name, err)
	}
	return s, nil
}

type session struct {
	name     string
	dir      string
	n, cores int
	g        *worker.Group // [0] the manager, [1..c] the workers
	client   *Client
	done     bool
	passes   int // Compute calls so far
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
	// A later pass starts from an empty dict and list, as a Python user
	// reusing a manager would clear them: a stale result must not count.
	if s.passes++; s.passes > 1 {
		if err := s.client.Clear(); err != nil {
			return out, fmt.Errorf("%s: clear: %w", s.name, err)
		}
	}
	if err := s.g.Go(idx...); err != nil {
		return out, fmt.Errorf("%s: %w", s.name, err)
	}
	accts, err := s.g.AwaitDoneAccounts(ctx, idx...)
	if err != nil {
		return out, fmt.Errorf("%s: %w", s.name, err)
	}
	stored := time.Since(t0)

	t1 := time.Now()
	results, err := s.readBack()
	if err != nil {
		return out, err
	}
	m := s.g.StartMetrics()
	m["results_stored_per_s"] = float64(s.n) / stored.Seconds()
	m["readback_s"] = time.Since(t1).Seconds()
	return models.Output{Results: results, Workers: s.g.Pids()[1:], Metrics: m, Accounts: accts}, nil
}

// Pids returns the PIDs of the manager and the workers (tests use it).
func (s *session) Pids() []int { return s.g.Pids() }

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
		if err := s.g.Close(worker.ExitGrace); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
	}
	return errors.Join(errs...)
}

// runServer is the body of the manager process: serve the listener it was
// handed as fd 4, say hello, and serve until the parent closes the data
// channel.
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
	data, err := worker.Pollable(c.Data)
	if err != nil {
		return err
	}
	defer data.Close()
	rd := worker.NewFrameReader(data, 0)
	if err := worker.Setup(rd, worker.NewFrameWriter(data), nil); err != nil {
		return err
	}
	parent := make(chan error, 1)
	go func() { parent <- worker.AwaitEnd(rd) }()
	select {
	case err := <-served:
		return err
	case err := <-parent:
		return err
	case <-ctx.Done():
		return nil
	}
}

// runWorker is the body of a worker: the handshake (its config names the
// workload and is followed by its share of the tasks; it connects to the
// manager before it says hello), then on each go it computes the share
// chunk by chunk and stores each result through the Dict proxy (one call
// per result, or batches for manager-batch), appends its count to the
// list, and answers with a done frame. Args: "one" or "batch", chunk,
// socket, the index of its first task.
func runWorker(_ context.Context, c *worker.Child) error {
	if len(c.Args) != 4 {
		return fmt.Errorf("want args [one|batch chunk socket first-task], got %q", c.Args)
	}
	batch := c.Args[0] == "batch"
	chunk, err := strconv.Atoi(c.Args[1])
	if err != nil || chunk < 1 {
		return fmt.Errorf("bad chunk %q", c.Args[1])
	}
	lo, err := strconv.ParseUint(c.Args[3], 10, 64)
	if err != nil {
		return fmt.Errorf("bad first task %q", c.Args[3])
	}
	rd, wr := worker.NewFrameReader(c.Data, 0), worker.NewFrameWriter(c.Data)
	var (
		w     *workloads.Workload
		tasks []workloads.Task
		cl    *Client
	)
	defer func() {
		if cl != nil {
			cl.Close()
		}
	}()
	err = worker.Setup(rd, wr, func(cfg worker.Frame) (err error) {
		if w, err = workloads.Lookup(string(cfg.Payload)); err != nil {
			return err
		}
		if cfg.Seq > maxShare {
			return fmt.Errorf("share of %d tasks (max %d)", cfg.Seq, maxShare)
		}
		if tasks, err = worker.ReadTasks(rd, int(cfg.Seq)); err != nil {
			return err
		}
		cl, err = Dial(c.Args[2])
		return err
	})
	if err != nil {
		return err
	}
	return worker.GoDoneAccount(rd, wr, func(a *models.Account) error { return store(cl, w.Apply, lo, tasks, chunk, batch, a) })
}

// maxShare bounds the tasks a worker accepts in its handshake.
const maxShare = 1 << 28

// store computes tasks (task lo+i is tasks[i]) a chunk at a time and stores
// every result under its task index in decimal, keeping the account of
// each chunk's Apply in a.
func store(cl *Client, apply func([]workloads.Task, []uint64), lo uint64, tasks []workloads.Task, chunk int, batch bool, a *models.Account) error {
	d := cl.Dict()
	results := make([]uint64, min(chunk, len(tasks)))
	var key []byte
	for off := 0; off < len(tasks); off += chunk {
		res := results[:min(chunk, len(tasks)-off)]
		a.Apply(apply, tasks[off:off+len(res)], res)
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
