package py

import (
	"context"
	"fmt"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/scripts/pyref"
	"github.com/mpbench/mpbench/workloads"
)

// Model is one Python multiprocessing pattern run by pyref.py.
type Model struct {
	pattern string
	doc     string
	single  bool
}

// Sequential is py-sequential: the plain loop in one interpreter.
func Sequential() Model {
	return Model{pattern: "sequential", single: true,
		doc: "Python: a plain loop `[f(x) for x in data]` in one interpreter at c = 1"}
}

// Pool is py-pool: Pool(c).map, starmap for pow.
func Pool() Model {
	return Model{pattern: "pool",
		doc: "Python: Pool(c).map / starmap with Pool.map's chunks"}
}

// PoolAsync is py-pool-async: one apply_async per task, then get.
func PoolAsync() Model {
	return Model{pattern: "pool-async",
		doc: "Python: Pool(c), one apply_async per task, then get() on each"}
}

// Pipe is py-pipe: one Pipe per worker, a static split, done messages.
func Pipe() Model {
	return Model{pattern: "pipe",
		doc: "Python: c Processes with one Pipe each, a static split sent in chunks, done messages"}
}

// Queue is py-queue: a producer and c consumers on multiprocessing.Queue.
func Queue() Model {
	return Model{pattern: "queue",
		doc: "Python: producer + c consumers on a multiprocessing.Queue, one item per task, a None sentinel each, a result Queue"}
}

// ShmLock is py-shm-lock: Value + Array guarded by a Lock.
func ShmLock() Model {
	return Model{pattern: "shm-lock",
		doc: "Python: tasks and results in shared arrays; per task `with lock: value.value += 1; array[w] = value.value`"}
}

// Manager is py-manager: Manager().dict() and .list(), one set per result.
func Manager() Model {
	return Model{pattern: "manager",
		doc: "Python: a Manager process; c workers do one d[i] = result per task and one list append"}
}

// All returns every Python model, in the order of their twins in the
// model table (models/all).
func All() []models.Model {
	return []models.Model{Sequential(), Pool(), PoolAsync(), Pipe(), Queue(), ShmLock(), Manager()}
}

// Name implements models.Model: "py-" and the pattern.
func (m Model) Name() string { return "py-" + m.pattern }

// Doc implements models.Model.
func (m Model) Doc() string { return m.doc }

// Family implements models.Family.
func (Model) Family() string { return "py" }

// SingleCore implements models.SingleCore: py-sequential runs at c = 1.
func (m Model) SingleCore() bool { return m.single }

// perTask is the memory each pattern needs per task beyond its base: the
// task and result lists of Python ints (about 90 B a task), plus what the
// pattern keeps per task: a pickled item on a Queue, a proxy call's entry
// in the Manager's dict, an AsyncResult and its pending entry for
// apply_async (about 2 KB).
var perTask = map[string]int64{
	"sequential": 128, "pool": 128, "pool-async": 2800, "pipe": 128,
	"queue": 200, "shm-lock": 96, "manager": 220,
}

// MemoryEstimate implements models.MemoryEstimator: the interpreter and
// its workers (about 25 MB and 10 MB each) and perTask.
//
// Note: peak_rss_bytes undercounts these models (the kernel reports the
// largest of the script's descendants, not their sum), so the worker term
// is taken generously rather than from it.
func (m Model) MemoryEstimate(tasks, cores int) int64 {
	pt, ok := perTask[m.pattern]
	if !ok {
		return models.DefaultFootprint.Bytes(tasks, cores)
	}
	return models.Footprint{Base: 48 * models.MiB, Worker: 16 * models.MiB, PerTask: pt}.Bytes(tasks, cores)
}

// Available implements models.Availability: it reports why no Python 3.8+
// can be run here.
func (Model) Available() error {
	_, err := Find()
	return err
}

// Setup implements models.Model: it starts pyref.py for one trial and waits
// until the script has its task list and says it is ready. The script's own
// setup phase (pool, processes, manager) starts when Compute says go.
func (m Model) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	return m.setup(ctx, cfg, pyref.ScriptName, pyref.Script)
}

// setup is Setup with the script to run, written under name.
func (m Model) setup(ctx context.Context, cfg models.Config, name string, script []byte) (models.Session, error) {
	in, err := Find()
	if err != nil {
		return nil, err
	}
	params := map[string]int64{}
	for k, v := range cfg.Workload.Params {
		params[k] = v
	}
	// Weak scaling multiplies the task count; the script gets the count.
	params["tasks"] = int64(len(cfg.Workload.Tasks))
	chunk := 1
	if !m.single {
		chunk = cfg.ChunkSize()
	}
	args := []string{
		"--pattern", m.pattern, "--workload", cfg.Workload.Workload.Name, "--params", workloads.FormatParams(params),
		"--cores", fmt.Sprint(cfg.Cores), "--chunk", fmt.Sprint(chunk),
		"--trials", "1", "--wait", "--out-fd", "3",
	}
	where := fmt.Sprintf("%s --pattern %s, cell %s[%s] c=%d", name, m.pattern,
		cfg.Workload.Workload.Name, workloads.FormatParams(params), cfg.Cores)
	return start(ctx, in, name, script, args, where, m.pattern, len(cfg.Workload.Tasks))
}
