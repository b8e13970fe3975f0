package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/mpbench/mpbench/harness"
)

// ErrNoData is wrapped when a run has nothing to draw: no cells, or only
// failed ones.
var ErrNoData = errors.New("nothing to draw")

// ErrOutput is wrapped when the report folder cannot be used (a file is in
// its place).
var ErrOutput = errors.New("cannot write the report there")

// Index file names in a report folder.
const (
	IndexHTML = "index.html"
	IndexMD   = "index.md"
)

// Check reports whether a run has something to draw.
func Check(r *harness.Run) error {
	if len(r.Cells) == 0 {
		return fmt.Errorf("the run has no cells: %w", ErrNoData)
	}
	for i := range r.Cells {
		if passed(&r.Cells[i]) {
			return nil
		}
	}
	c := &r.Cells[0]
	why := c.Error
	if why == "" {
		why = "no trials"
	}
	return fmt.Errorf("all %d cells failed (first: %s: %s): %w", len(r.Cells), c.Key(), why, ErrNoData)
}

// DefaultLabels names runs by their host; hosts that repeat get "#2", "#3".
func DefaultLabels(runs []*harness.Run) []string {
	out := make([]string, len(runs))
	seen := map[string]int{}
	for i, r := range runs {
		h := r.Env.Host
		if h == "" {
			h = "run"
		}
		seen[h]++
		out[i] = h
		if seen[h] > 1 {
			out[i] = h + "#" + strconv.Itoa(seen[h])
		}
	}
	// A later duplicate renames the first too, so that none is bare.
	for i, r := range runs {
		if h := r.Env.Host; seen[h] > 1 && out[i] == h {
			out[i] = h + "#1"
		}
	}
	return out
}

// File is one file of a report.
type File struct {
	Name string
	Data []byte
}

// Render draws the report of runs (several are overlaid, each named by
// its label; nil labels mean DefaultLabels) without touching the disk:
// six PNG charts per workload, then index.md and index.html, last.
func Render(runs []*harness.Run, labels []string) ([]File, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no runs: %w", ErrNoData)
	}
	if len(labels) != len(runs) {
		labels = DefaultLabels(runs)
	}
	for i, r := range runs {
		if err := Check(r); err != nil {
			if len(runs) > 1 {
				return nil, fmt.Errorf("run %s: %w", labels[i], err)
			}
			return nil, err
		}
	}
	idx := buildIndex(runs, labels)
	var charts []*Chart
	for _, w := range idx.Workloads {
		charts = append(charts, w.Charts...)
	}
	files, err := drawAll(charts)
	if err != nil {
		return nil, err
	}
	md, err := idx.markdown()
	if err != nil {
		return nil, err
	}
	html, err := idx.html()
	if err != nil {
		return nil, err
	}
	return append(files, File{IndexMD, md}, File{IndexHTML, html}), nil
}

// drawAll draws charts into PNGs, on as many CPUs as Go may use: each
// chart has its own plot and canvas.
func drawAll(charts []*Chart) ([]File, error) {
	files := make([]File, len(charts))
	errs := make([]error, len(charts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(charts)) {
		wg.Go(func() {
			for i := range next {
				var buf bytes.Buffer
				if err := charts[i].fig.writePNG(&buf); err != nil {
					errs[i] = fmt.Errorf("draw %s: %w", charts[i].File, err)
				}
				files[i] = File{charts[i].File, buf.Bytes()}
			}
		})
	}
	for i := range charts {
		next <- i
	}
	close(next)
	wg.Wait()
	return files, errors.Join(errs...)
}

// Write draws the report of runs into dir and returns the path of its
// index.html. Nothing in dir changes unless the whole report was drawn:
// the files are written to a temporary folder first, then renamed into
// place, the index pages last. dir may be a run folder (the report goes
// beside run.json) or a new folder.
func Write(dir string, runs []*harness.Run, labels []string) (string, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return "", fmt.Errorf("%s is a file: %w", dir, ErrOutput)
	}
	files, err := Render(runs, labels)
	if err != nil {
		return "", err
	}
	if err := place(dir, files); err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	return filepath.Join(dir, IndexHTML), nil
}

// place writes files into dir through a temporary folder.
func place(dir string, files []File) (err error) {
	_, statErr := os.Stat(dir)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	tmpParent := dir
	if fresh {
		tmpParent = filepath.Dir(dir)
		if err := os.MkdirAll(tmpParent, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp(tmpParent, ".report.tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil || !fresh {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		if err := writeSynced(filepath.Join(tmp, f.Name), f.Data); err != nil {
			return err
		}
	}
	if fresh {
		if err := os.Chmod(tmp, 0o755); err != nil {
			return err
		}
		return os.Rename(tmp, dir)
	}
	// Into an existing folder: one rename per file, the index pages last
	// (Render returns them last), so an index never names a missing PNG.
	for _, f := range files {
		if err := os.Rename(filepath.Join(tmp, f.Name), filepath.Join(dir, f.Name)); err != nil {
			return err
		}
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
