package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
)

// ErrOutput is wrapped when the report folder cannot be used (a file is in
// its place).
var ErrOutput = errors.New("cannot write the report there")

// Index file names in a report folder.
const (
	IndexHTML = "index.html"
	IndexMD   = "index.md"
)

// File is one file of a report.
type File struct {
	Name string
	Data []byte
}

// Render draws the report of runs (several are overlaid, each named by
// its label; nil labels mean DefaultLabels) without touching the disk:
// seven PNG charts per workload, then index.md and index.html, last. It
// stops drawing, with ctx's error, when ctx is done.
func Render(ctx context.Context, runs []*runfile.Run, labels []string) ([]File, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no runs: %w", reports.ErrNoData)
	}
	if len(labels) != len(runs) {
		labels = reports.DefaultLabels(runs)
	}
	for i, r := range runs {
		if err := reports.Check(r); err != nil {
			if len(runs) > 1 {
				return nil, fmt.Errorf("run %s: %w", labels[i], err)
			}
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	idx := buildIndex(runs, labels)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var charts []*Chart
	for _, w := range idx.Workloads {
		charts = append(charts, w.Charts...)
	}
	files, err := drawAll(ctx, charts)
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
// chart has its own plot and canvas. No chart is begun once ctx is done.
func drawAll(ctx context.Context, charts []*Chart) ([]File, error) {
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
feed:
	for i := range charts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return files, errors.Join(errs...)
}

// Write draws the report of runs into dir and returns the path of its
// index.html. Nothing in dir changes unless the whole report was drawn:
// the files are written to a temporary folder first, then renamed into
// place, the index pages last. dir may be a run folder (the report goes
// beside run.json) or a new folder. When ctx is done before the report is
// drawn, Write returns ctx's error and dir is left as it was.
func Write(ctx context.Context, dir string, runs []*runfile.Run, labels []string) (string, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return "", fmt.Errorf("%s is a file: %w", dir, ErrOutput)
	}
	files, err := Render(ctx, runs, labels)
	if err != nil {
		return "", err
	}
	if err := place(ctx, dir, files); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("write report: %w", err)
	}
	return filepath.Join(dir, IndexHTML), nil
}

// place writes files into dir through a temporary folder. Until the
// first rename into dir it stops, removing the temporary folder, when ctx
// is done; from there on it finishes, so that dir never holds half a new
// report.
func place(ctx context.Context, dir string, files []File) (err error) {
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
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeSynced(filepath.Join(tmp, f.Name), f.Data); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
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
