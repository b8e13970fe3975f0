package main

import (
	"sync"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/worker"
)

// registry holds every model of the table in models/all, in its order.
var registry = all.Registry()

var registerOnce sync.Once

// registerRoles registers the cell runner of the models in reg (the
// registry; a test binary may serve more); model packages register their
// worker roles in their init functions.
func registerRoles(reg models.Registry) {
	registerOnce.Do(func() { worker.Register(harness.CellRoleName, harness.CellRole(reg)) })
}
