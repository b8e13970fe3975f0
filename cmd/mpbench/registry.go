package main

import (
	"sync"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/proc"
	"github.com/mpbench/mpbench/models/sequential"
)

// registry is the one table that names every concrete model, in the order
// they appear in tables and charts. A new model is one line here.
var registry = models.Registry{
	sequential.New(),
	goroutines.New(),
}

var registerOnce sync.Once

// registerRoles registers the cell runner; model packages register their
// worker roles in their init functions.
func registerRoles() {
	registerOnce.Do(func() { proc.Register(harness.CellRoleName, harness.CellRole(registry)) })
}
