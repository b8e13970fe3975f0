package runfile

// Names of the parts of an Attribution, in the order charts stack them.
const (
	PartWorkerStart = "worker_start"
	PartPageFaults  = "page_faults"
	PartWakeups     = "wakeups"
	PartWithheld    = "withheld"
	PartIdleEdges   = "idle_edges"
	PartRemainder   = "remainder"
)

// AttributionParts lists the part names in stacking order; the remainder
// is last.
var AttributionParts = []string{PartWorkerStart, PartPageFaults, PartWakeups, PartWithheld, PartIdleEdges, PartRemainder}

// Attribution splits a cell's lost core time per task (Summary's
// OverheadNsPerTask: (c·T(model, c) − T(baseline)) / tasks) into what
// the machine's primitive costs and the workers' accounts explain
// (harness.Attribute; docs/measurements.md has the formulas). Optional
// within version 1: absent in older files and where the cell has no
// baseline.
type Attribution struct {
	// LostNsPerTask is the lost core time per task it splits.
	LostNsPerTask float64 `json:"lost_ns_per_task"`
	// Parts holds one entry per name of AttributionParts but the
	// remainder, in that order. A part whose input is missing has no
	// value and says why: it is absent, not zero.
	Parts []AttributionPart `json:"parts"`
	// RemainderNsPerTask is LostNsPerTask less the parts that have a
	// value: what no measured cost explains (the model's own work outside
	// task functions, idling and waiting, and every absent part).
	RemainderNsPerTask float64 `json:"remainder_ns_per_task"`
	// Exceeds is set when the parts add up to more than the lost time
	// (RemainderNsPerTask is then negative, never clipped).
	Exceeds bool `json:"exceeds,omitempty"`
	// CountersScope says what the counters behind page_faults and wakeups
	// cover: "warm passes" (the runner and its listed workers over the
	// timed warm passes, Trial.Warm) or, in files without those, "trial"
	// (setup, compute and teardown).
	CountersScope string `json:"counters_scope,omitempty"`
	// Notes say what the figures include that they should not, or leave
	// out.
	Notes []string `json:"notes,omitempty"`
}

// AttributionPart is one part of an Attribution: the median over trials
// of its core time per task, or nil with the reason it is absent.
type AttributionPart struct {
	Name      string   `json:"name"`
	NsPerTask *float64 `json:"ns_per_task,omitempty"`
	// Reason says why the part is absent, or, with a value, what it is
	// made of where that is not the usual (e.g. 0 because the workers
	// start in setup).
	Reason string `json:"reason,omitempty"`
}

// Part returns the part of a named name, or nil. For PartRemainder it
// returns a part holding RemainderNsPerTask.
func (a *Attribution) Part(name string) *AttributionPart {
	if a == nil {
		return nil
	}
	if name == PartRemainder {
		v := a.RemainderNsPerTask
		return &AttributionPart{Name: PartRemainder, NsPerTask: &v}
	}
	for i := range a.Parts {
		if a.Parts[i].Name == name {
			return &a.Parts[i]
		}
	}
	return nil
}

// PartLabels are the words reports use for each part.
var PartLabels = map[string]string{
	PartWorkerStart: "worker start",
	PartPageFaults:  "page faults",
	PartWakeups:     "wake-ups / context switches",
	PartWithheld:    "CPU capacity withheld",
	PartIdleEdges:   "workers idle at the ends of a pass (start latency, tail)",
	PartRemainder:   "remainder (waiting between chunks, the model's own work)",
}
