package cellrun

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/mpbench/mpbench/runfile"
)

// Counters of the warm passes only. getrusage cannot give them: a child's
// counters reach RUSAGE_CHILDREN only once it is reaped, after teardown, so
// they would cover the worker's start too. The cell runner reads instead,
// right before the first warm pass's clock starts and right after the last
// one's stops, its own counters (getrusage(RUSAGE_SELF): every thread, the
// exited ones too) and each live worker's from /proc:
//
//   - faults from /proc/<pid>/stat, fields 10 (minflt) and 12 (majflt),
//     which cover every thread of the process;
//   - context switches from /proc/<pid>/task/<tid>/status, summed over the
//     threads: /proc/<pid>/status holds the main thread's alone (checked on
//     Linux 6.18: a second thread's 200 blocking pipe reads show in the
//     task sum and not there).
//
// A thread's switches count from its first reading, or in full if it
// started between the readings; a thread that exits between them is lost
// (its switches go to the process's signal struct, which /proc shows no
// one but getrusage(RUSAGE_SELF) of the process itself).

// procSample is one process's counters at one reading.
type procSample struct {
	start          string // /proc/<pid>/stat field 22: tells a reused PID apart
	minflt, majflt int64
	threads        map[int][2]int64 // tid → voluntary, involuntary switches
}

// readProc reads pid's counters from /proc.
func readProc(pid int) (procSample, error) {
	var s procSample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 20 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	if s.minflt, err = strconv.ParseInt(f[10-3], 10, 64); err != nil {
		return s, fmt.Errorf("/proc/%d/stat: minflt: %w", pid, err)
	}
	if s.majflt, err = strconv.ParseInt(f[12-3], 10, 64); err != nil {
		return s, fmt.Errorf("/proc/%d/stat: majflt: %w", pid, err)
	}
	s.start = f[22-3]
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return s, err
	}
	s.threads = make(map[int][2]int64, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(dir + "/" + e.Name() + "/status")
		if err != nil {
			continue // the thread exited since ReadDir
		}
		var sw [2]int64
		for _, line := range strings.Split(string(st), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch k {
			case "voluntary_ctxt_switches":
				sw[0], _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			case "nonvoluntary_ctxt_switches":
				sw[1], _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
		s.threads[tid] = sw
	}
	return s, nil
}

// sub returns the counters of s (later) less those of s0 (earlier), thread
// by thread: a thread absent from s0 counts in full, one absent from s is
// lost. Never negative.
func (s procSample) sub(s0 procSample) (minflt, majflt, nvcsw, nivcsw int64) {
	minflt, majflt = max(s.minflt-s0.minflt, 0), max(s.majflt-s0.majflt, 0)
	for tid, sw := range s.threads {
		b := s0.threads[tid]
		nvcsw += max(sw[0]-b[0], 0)
		nivcsw += max(sw[1]-b[1], 0)
	}
	return
}

// warmReading is the counters of the runner and the workers at one moment.
type warmReading struct {
	self    usage
	workers map[int]procSample // the workers read; the others are not
	listed  int
}

// readWarm takes a reading of the runner and the workers' PIDs.
func readWarm(workers []int) warmReading {
	r := warmReading{self: rusage(syscall.RUSAGE_SELF), workers: make(map[int]procSample, len(workers))}
	for _, pid := range workers {
		if pid <= 0 || pid == os.Getpid() {
			continue // the runner is counted already
		}
		r.listed++
		if s, err := readProc(pid); err == nil {
			r.workers[pid] = s
		}
	}
	return r
}

// warmCounters returns the counters from r0 to r1: the runner's and those
// of every worker read at both (the same process: same start time).
func warmCounters(r0, r1 warmReading) *runfile.WarmCounters {
	w := &runfile.WarmCounters{
		MinFlt: max(r1.self.minflt-r0.self.minflt, 0),
		MajFlt: max(r1.self.majflt-r0.self.majflt, 0),
		Nvcsw:  max(r1.self.nvcsw-r0.self.nvcsw, 0),
		Nivcsw: max(r1.self.nivcsw-r0.self.nivcsw, 0),
		Procs:  1,
	}
	for pid, s0 := range r0.workers {
		s1, ok := r1.workers[pid]
		if !ok || s1.start != s0.start {
			continue
		}
		mi, ma, v, iv := s1.sub(s0)
		w.MinFlt, w.MajFlt, w.Nvcsw, w.Nivcsw = w.MinFlt+mi, w.MajFlt+ma, w.Nvcsw+v, w.Nivcsw+iv
		w.Procs++
	}
	w.Unread = max(r0.listed, r1.listed) - (w.Procs - 1)
	return w
}
