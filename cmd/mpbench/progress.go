package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/reports"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressMode is how a run shows its progress on stderr.
type progressMode int

const (
	progressNone  progressMode = iota // --quiet
	progressBar                       // stderr is a terminal: a bar redrawn in place
	progressLines                     // otherwise (CI, | tee): a line per finished cell
)

// progressModeOf picks the mode for stderr: a bar needs a terminal, and a
// log without one still needs to show that the run is alive.
func progressModeOf(stderr io.Writer, quiet bool) progressMode {
	switch {
	case quiet:
		return progressNone
	case isTerminal(stderr):
		return progressBar
	}
	return progressLines
}

// progress draws "cell i/N", the current cell, its trial and an ETA on
// stderr as a bar, or writes one line per finished cell; in progressNone
// it writes nothing at all.
type progress struct {
	w     io.Writer
	mode  progressMode
	bar   *progressbar.ProgressBar
	now   func() time.Time
	start time.Time
}

// steps per cell, so trials move the bar within a cell.
const steps = 1000

func newProgress(w io.Writer, mode progressMode) *progress {
	return &progress{w: w, mode: mode, now: time.Now}
}

func (p *progress) update(ev harness.Progress) {
	switch p.mode {
	case progressBar:
		p.drawBar(ev)
	case progressLines:
		p.writeLine(ev)
	}
}

// writeLine writes, when a cell finishes, its name, median, the time the
// run has taken and an estimate of the time left (the mean cell time so
// far times the cells left):
//
//	cell 3/40 cpu goroutines c=2: median 14.4ms; elapsed 12s, ETA 2m40s
func (p *progress) writeLine(ev harness.Progress) {
	if p.start.IsZero() {
		p.start = p.now()
	}
	if !ev.Done {
		return
	}
	elapsed := p.now().Sub(p.start)
	eta := elapsed / time.Duration(ev.Index) * time.Duration(ev.Total-ev.Index)
	result := "median " + reports.Duration(ev.MedianNs)
	switch {
	case ev.Err != "":
		result = "FAILED"
	case ev.MedianNs == 0:
		result = "no trials"
	}
	fmt.Fprintf(p.w, "cell %d/%d %s: %s; elapsed %s, ETA %s\n", ev.Index, ev.Total, ev.Cell, result,
		roundDuration(elapsed), roundDuration(eta))
}

// roundDuration keeps a duration readable: whole seconds from 10 s on,
// tenths below.
func roundDuration(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func (p *progress) drawBar(ev harness.Progress) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions(ev.Total*steps,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(24),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	frac := 0
	if ev.Trials > 0 {
		frac = steps * ev.Trial / ev.Trials
	}
	if ev.Done {
		frac = steps
	}
	p.bar.Describe(fmt.Sprintf("cell %d/%d %s (trial %d/%d)", ev.Index, ev.Total, ev.Cell, ev.Trial, ev.Trials))
	_ = p.bar.Set((ev.Index-1)*steps + frac)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
