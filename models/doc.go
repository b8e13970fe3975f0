// Package models defines what a concurrency model is to mpbench: the Model
// interface, the per-trial Session, and the small helpers every model shares
// (automatic chunk sizes).
//
// A trial has three phases that the harness times separately:
//
//	setup     Model.Setup: start workers, map memory, start a manager
//	compute   Session.Compute: first task handed out → last result back
//	teardown  Session.Teardown: stop and reap workers, unmap, remove sockets
//
// The harness validates the results Compute returns against the workload's
// reference checksum between compute and teardown, outside every timed
// phase. Concrete models live in sub-packages (models/goroutines,
// models/procpool, …); the harness sees them only through this interface,
// and models/all holds the one table that names them all.
package models
