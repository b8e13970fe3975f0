package runfile

// CounterNames are the names of a trial's counters, as the run file's
// Trial fields and Summary.Counters spell them, in the order exports
// write them.
var CounterNames = []string{"minflt", "majflt", "nvcsw", "nivcsw"}

// Counters returns the trial's counters by CounterNames' names.
func (t Trial) Counters() map[string]int64 {
	return map[string]int64{"minflt": t.MinFlt, "majflt": t.MajFlt, "nvcsw": t.Nvcsw, "nivcsw": t.Nivcsw}
}

// HasCounters reports whether the trial recorded any counter (a trial of
// a file written before they were recorded has none).
func (t Trial) HasCounters() bool {
	return t.MinFlt != 0 || t.MajFlt != 0 || t.Nvcsw != 0 || t.Nivcsw != 0
}

// WarmCounters are a trial's counters over its warm passes only: from
// right before the first warm pass's clock starts to right after the last
// one's stops (the results' checks between passes included), for the cell
// runner (getrusage RUSAGE_SELF) and each worker process of
// models.Output.Workers it could read from /proc at both ends (faults from
// /proc/<pid>/stat, context switches summed over /proc/<pid>/task/*/status).
// Processes that are not listed as workers (a manager's server, a py-*
// cell's interpreter) are not in them.
type WarmCounters struct {
	MinFlt int64 `json:"minflt"`
	MajFlt int64 `json:"majflt"`
	Nvcsw  int64 `json:"nvcsw"`
	Nivcsw int64 `json:"nivcsw"`
	// Procs is how many processes were counted: the runner and the
	// workers read at both ends.
	Procs int `json:"procs"`
	// Unread is how many listed workers could not be read at both ends
	// (gone, not readable, or a reused PID): not in the counts.
	Unread int `json:"unread,omitempty"`
}
