package render

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
)

// index is what index.md and index.html show.
type index struct {
	Multi     bool
	Runs      []runInfo
	Workloads []workloadInfo
	Warnings  []string
}

type runInfo struct {
	Label   string
	Env     [][2]string
	Command string
}

type workloadInfo struct {
	Name     string
	Verdicts []string
	Tables   []summaryTable
	Charts   []*Chart
	// Skipped says why a workload has no charts.
	Skipped string
}

type summaryTable struct {
	Label  string // the run's label when runs are overlaid
	Title  string
	Header []string
	Rows   [][]string
}

// tableColumns are the columns of Row shown in the index's tables, found
// by name so that a column added to reports.Header does not shift them
// (the cold column did; the cold-versus-warm chart shows cold passes). The
// HTML template right-aligns columns 1 to 6.
var tableColumns = columnsNamed("model", "cores", "median", "±CI", "speedup", "eff", "overhead/task", "notes")

func columnsNamed(names ...string) []int {
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = slices.Index(reports.Header, n)
		if out[i] < 0 {
			panic("render: no column " + n + " in reports.Header")
		}
	}
	return out
}

func buildIndex(runs []*runfile.Run, labels []string) *index {
	idx := &index{Multi: len(runs) > 1}
	pal := newPalette(runs)
	for i, r := range runs {
		idx.Runs = append(idx.Runs, runInfo{Label: labels[i], Env: envRows(r), Command: commandLine(r.Env.CommandLine)})
		idx.Warnings = append(idx.Warnings, runWarnings(r, prefix(idx.Multi, labels[i]))...)
	}
	for _, wl := range AllWorkloads(runs) {
		w := workloadInfo{Name: wl}
		var in []*runfile.Run
		var inLabels []string
		for i, r := range runs {
			if slices.Contains(reports.Workloads(r), wl) {
				w.Tables = append(w.Tables, summary(r, wl, labels[i], idx.Multi))
				if Largest(r, wl) > 0 {
					in, inLabels = append(in, r), append(inLabels, labels[i])
					w.Verdicts = append(w.Verdicts, prefix(idx.Multi, labels[i])+Verdict(r, wl))
					for _, line := range CeilingSentences(r, wl) {
						w.Verdicts = append(w.Verdicts, prefix(idx.Multi, labels[i])+line)
					}
				}
			}
		}
		if len(in) == 0 {
			w.Skipped = "No chart: every cell of " + wl + " failed."
			idx.Warnings = append(idx.Warnings, "workload "+wl+": every cell failed, nothing drawn")
		} else {
			w.Charts = (&view{runs: in, labels: inLabels, wl: wl, pal: pal}).charts()
		}
		idx.Workloads = append(idx.Workloads, w)
	}
	return idx
}

func prefix(multi bool, label string) string {
	if multi {
		return label + ": "
	}
	return ""
}

func envRows(r *runfile.Run) [][2]string {
	e, c := r.Env, r.Config
	ver := e.Version
	if e.Revision != "" {
		ver += " (" + e.Revision
		if e.Modified {
			ver += ", modified"
		}
		ver += ")"
	}
	rows := [][2]string{
		{"host", e.Host},
		{"CPU", e.CPUModel},
		{"logical CPUs", fmt.Sprintf("%d (allowed: %s)", e.LogicalCPUs, e.AllowedCPUs)},
		{"kernel", e.Kernel},
		{"OS / arch", e.OS + "/" + e.Arch},
		{"Go", e.GoVersion},
		{"mpbench", ver},
		{"status", r.Status},
		{"started", r.Started},
		{"finished", r.Finished},
		{"cores", joinInts(c.Cores)},
		{"models", strings.Join(c.Models, ", ")},
		{"workloads", strings.Join(c.Workloads, ", ")},
		{"trials", fmt.Sprintf("%d measured, %d warm-up per cell", c.Trials, c.Warmup)},
		{"scaling", c.Scaling},
	}
	var out [][2]string
	for _, row := range rows {
		if row[1] != "" {
			out = append(out, row)
		}
	}
	return out
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// commandLine quotes the arguments that a shell would split.
func commandLine(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>*?()[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func runWarnings(r *runfile.Run, pre string) []string {
	var out []string
	if r.Status != "complete" {
		out = append(out, fmt.Sprintf("%srun status is %q: not every cell ran or passed", pre, r.Status))
	}
	if r.Env.Modified {
		out = append(out, pre+"mpbench was built from a modified source tree")
	}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Failed() {
			out = append(out, fmt.Sprintf("%s%s FAILED: %s", pre, c.Key(), c.Error))
		}
		for _, w := range c.Warnings {
			out = append(out, fmt.Sprintf("%s%s: %s", pre, c.Key(), w))
		}
	}
	return out
}

func summary(r *runfile.Run, wl, label string, multi bool) summaryTable {
	t := summaryTable{Title: wl}
	if multi {
		t.Label, t.Title = label, wl+" on "+label
	}
	tasks := 0
	for _, c := range r.Cells {
		if c.Workload == wl && c.Tasks > 0 {
			tasks = c.Tasks
			break
		}
	}
	t.Title += fmt.Sprintf(" (%d tasks, %s scaling; compute phase, median of %d trials)", tasks, r.Config.Scaling, r.Config.Trials)
	for _, i := range tableColumns {
		t.Header = append(t.Header, reports.Header[i])
	}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload != wl {
			continue
		}
		row := reports.Row(c)
		var cols []string
		for _, j := range tableColumns {
			cols = append(cols, row[j])
		}
		t.Rows = append(t.Rows, cols)
	}
	return t
}

// Verdict is one sentence on a workload of a run: the fastest model at
// the largest core count and the model with the lowest overhead per task.
// A cell whose baseline is suspect (runfile.Summary.Suspect: a speedup
// above c beyond its interval) is never named either; the sentence says
// which cells it passed over.
func Verdict(r *runfile.Run, wl string) string {
	top := Largest(r, wl)
	var fast, low *runfile.Cell
	var suspect []string
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload != wl || c.Cores != top || !reports.Drawable(c) {
			continue
		}
		if c.Summary.Suspect(c.Cores) {
			suspect = append(suspect, fmt.Sprintf("%s (%s× against %s: %s)", c.Model, reports.Sig3(*c.Summary.Speedup), runfile.BaselineModel(r.Family(c.Model)), c.Summary.SuspectReason(c.Cores)))
			continue
		}
		if fast == nil || c.Summary.MedianNs < fast.Summary.MedianNs {
			fast = c
		}
		if !r.IsBaseline(c.Model) && c.Summary.OverheadNsPerTask != nil &&
			(low == nil || *c.Summary.OverheadNsPerTask < *low.Summary.OverheadNsPerTask) {
			low = c
		}
	}
	skipped := ""
	if len(suspect) > 0 {
		skipped = fmt.Sprintf(" Not ranked, their baseline suspect: %s.", strings.Join(suspect, ", "))
	}
	if fast == nil {
		if len(suspect) > 0 {
			return fmt.Sprintf("%s at c = %d: no cell to rank.", wl, top) + skipped
		}
		return fmt.Sprintf("%s: no cell passed.", wl)
	}
	s := fmt.Sprintf("%s at c = %d: %s is fastest (median %s", wl, top, fast.Model, reports.Duration(fast.Summary.MedianNs))
	if sp := fast.Summary.Speedup; sp != nil && !r.IsBaseline(fast.Model) {
		s += fmt.Sprintf(", %s× %s", reports.Sig3(*sp), runfile.BaselineModel(r.Family(fast.Model)))
	}
	s += ")"
	if low != nil {
		s += fmt.Sprintf("; %s has the lowest overhead per task (%s).", low.Model, reports.Duration(*low.Summary.OverheadNsPerTask))
	} else {
		s += "; no model has an overhead figure (no parallel model with a sequential baseline)."
	}
	return s + skipped
}

// CeilingSentences is one sentence per parallel model of a workload at
// the run's largest core count that says how much of its speedup the
// machine allowed: its speedup, the effective cores its workers got (its
// ceiling) and its share of them, the threads' (goroutines') effective
// cores in the same run for comparison, and how much of its lost core time
// the attribution leaves unexplained. A suspect cell says so and is given
// no share of a ceiling. Models without accounts get no sentence.
func CeilingSentences(r *runfile.Run, wl string) []string {
	top := Largest(r, wl)
	var threads *runfile.Cell
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload == wl && c.Model == "goroutines" && c.Cores == top && reports.Drawable(c) && c.Summary.EffectiveCores != nil {
			threads = c
		}
	}
	var out []string
	for i := range r.Cells {
		c := &r.Cells[i]
		sm := c.Summary
		if c.Workload != wl || c.Cores != top || !reports.Drawable(c) || r.IsBaseline(c.Model) || sm.Speedup == nil || sm.EffectiveCores == nil {
			continue
		}
		cpus := "CPU"
		if c.Cores > 1 {
			cpus = "CPUs"
		}
		s := fmt.Sprintf("%s %s× at c = %d; the %d %s gave %s effective cores while it ran", c.Model, reports.Sig3(*sm.Speedup), c.Cores, c.Cores, cpus, fmt.Sprintf("%.2f", *sm.EffectiveCores))
		if why := sm.SuspectReason(c.Cores); why != "" {
			s += fmt.Sprintf(" (suspect, %s: its baseline is in doubt, no share of the ceiling given)", why)
		} else if sm.OfCeiling != nil {
			s += fmt.Sprintf(" (%.0f %% of its ceiling)", 100**sm.OfCeiling)
		}
		if threads != nil && threads != c {
			s += fmt.Sprintf("; threads got %.2f of %d.0", *threads.Summary.EffectiveCores, c.Cores)
		}
		if a := sm.Attribution; a != nil && a.LostNsPerTask > 0 {
			if a.Exceeds {
				s += fmt.Sprintf("; of the %s it lost a task, the measured parts explain more than all (by %s)", reports.Duration(a.LostNsPerTask), reports.Duration(-a.RemainderNsPerTask))
			} else {
				s += fmt.Sprintf("; of the %s it lost a task, %.0f %% is unexplained", reports.Duration(a.LostNsPerTask), 100*a.RemainderNsPerTask/a.LostNsPerTask)
			}
		}
		out = append(out, s+".")
	}
	return out
}

func (idx *index) markdown() ([]byte, error) {
	var buf bytes.Buffer
	err := mdTemplate().Execute(&buf, idx)
	return buf.Bytes(), err
}

func (idx *index) html() ([]byte, error) {
	var buf bytes.Buffer
	err := htmlTemplate().Execute(&buf, idx)
	return buf.Bytes(), err
}

// mdCell escapes a table cell of markdown.
func mdCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

var funcs = map[string]any{
	"cell": mdCell,
	"join": strings.Join,
	"sep": func(n int) string {
		return strings.Repeat(" --- |", n)
	},
}

// The templates are parsed on first use, not at init: every worker process
// is this same executable, and parsing them costs each one's start.
var mdTemplate = sync.OnceValue(func() *texttemplate.Template { return mdTemplateParse() })

func mdTemplateParse() *texttemplate.Template {
	return texttemplate.Must(texttemplate.New("md").Funcs(funcs).Parse(`# mpbench report

{{range .Runs}}## {{if $.Multi}}Run {{.Label}}{{else}}Environment{{end}}

| | |
| --- | --- |
{{range .Env}}| {{index . 0}} | {{cell (index . 1)}} |
{{end}}
Command line:

` + "```" + `
{{.Command}}
` + "```" + `

{{end}}## Summary

{{range .Workloads}}{{range .Verdicts}}- {{.}}
{{end}}{{end}}
{{if .Warnings}}## Warnings

{{range .Warnings}}- {{.}}
{{end}}
{{end}}{{range .Workloads}}## Workload {{.Name}}

{{range .Tables}}### {{.Title}}

| {{join .Header " | "}} |
|{{sep (len .Header)}}
{{range .Rows}}|{{range .}} {{cell .}} |{{end}}
{{end}}
{{end}}{{if .Skipped}}{{.Skipped}}

{{end}}{{range .Charts}}### {{.Title}}

![{{.Title}}]({{.File}})

{{join .Caption " "}}

{{end}}{{end}}`))
}

var htmlTemplate = sync.OnceValue(func() *htmltemplate.Template { return htmlTemplateParse() })

func htmlTemplateParse() *htmltemplate.Template {
	return htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mpbench report{{range .Workloads}} · {{.Name}}{{end}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
figure { margin: 1.5rem 0; }
figure img { width: 100%; max-width: 900px; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: .92rem; max-width: 900px; }
.verdict { font-weight: 600; }
.warn li { color: #8a4b00; }
</style>
</head>
<body>
<h1>mpbench report</h1>
{{range .Runs}}<h2>{{if $.Multi}}Run {{.Label}}{{else}}Environment{{end}}</h2>
<table>
{{range .Env}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
<p>Command line:</p>
<pre>{{.Command}}</pre>
{{end}}<h2>Summary</h2>
<ul>
{{range .Workloads}}{{range .Verdicts}}<li class="verdict">{{.}}</li>
{{end}}{{end}}</ul>
{{if .Warnings}}<h2>Warnings</h2>
<ul class="warn">
{{range .Warnings}}<li>{{.}}</li>
{{end}}</ul>
{{end}}{{range .Workloads}}<h2 id="{{.Name}}">Workload {{.Name}}</h2>
{{range .Tables}}<h3>{{.Title}}</h3>
<table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if and (ge $i 1) (le $i 6)}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
{{end}}{{if .Skipped}}<p>{{.Skipped}}</p>
{{end}}{{range .Charts}}<figure>
<img src="{{.File}}" alt="{{.Title}}" width="900">
<figcaption><strong>{{.Title}}.</strong>{{range .Caption}} {{.}}{{end}}</figcaption>
</figure>
{{end}}{{end}}</body>
</html>
`))
}
