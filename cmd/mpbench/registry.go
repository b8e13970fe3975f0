package main

import "github.com/mpbench/mpbench/models/all"

// registry holds every model of the table in models/all, in its order.
// mpbench-worker serves the same table in its cell runners.
var registry = all.Registry()
