package main

import (
	"sync"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/models/proc"
)

// registry holds every model of the table in models/all, in its order.
var registry = all.Registry()

var registerOnce sync.Once

// registerRoles registers the cell runner; model packages register their
// worker roles in their init functions.
func registerRoles() {
	registerOnce.Do(func() { proc.Register(harness.CellRoleName, harness.CellRole(registry)) })
}
