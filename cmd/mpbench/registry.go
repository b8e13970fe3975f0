package main

import (
	"sync"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/manager"
	"github.com/mpbench/mpbench/models/pipe"
	"github.com/mpbench/mpbench/models/procpool"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/models/queue"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/models/shm"
	"github.com/mpbench/mpbench/worker"
)

// registry is the one table that names every concrete model, in the order
// they appear in tables and charts. A new model is one line here.
var registry = models.Registry{
	sequential.New(),
	goroutines.New(),
	procpool.New(),
	procpool.NewAsync(),
	pipe.New(),
	queue.New(),
	shm.New(),
	shm.NewLock(),
	manager.New(),
	manager.NewBatch(),
	// The Python reference models (family "py"), after the Go models.
	py.Sequential(),
	py.Pool(),
	py.PoolAsync(),
	py.Pipe(),
	py.Queue(),
	py.ShmLock(),
	py.Manager(),
}

var registerOnce sync.Once

// registerRoles registers the cell runner; model packages register their
// worker roles in their init functions.
func registerRoles() {
	registerOnce.Do(func() { worker.Register(harness.CellRoleName, harness.CellRole(registry)) })
}
