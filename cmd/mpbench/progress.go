package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws "cell i/N", the current cell, its trial and an ETA on
// stderr; disabled, it draws nothing at all.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// steps per cell, so trials move the bar within a cell.
const steps = 1000

func newProgress(w io.Writer, enabled bool) *progress {
	if !enabled {
		return &progress{}
	}
	return &progress{w: w}
}

func (p *progress) update(ev harness.Progress) {
	if p.w == nil {
		return
	}
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
