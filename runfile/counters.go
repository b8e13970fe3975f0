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
