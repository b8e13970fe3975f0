package render

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart is one PNG of a workload's report.
type Chart struct {
	// File is the PNG's name in the report folder.
	File string
	// Title is what the chart shows, on one line.
	Title string
	// Caption says how to read the chart and names every hollow cell and
	// every missing figure.
	Caption []string
	// notes is how many of the last sentences of Caption name cells.
	notes int
	fig   *figure
}

// note adds sentences that name cells (hollow, missing, not drawn) to the
// caption.
func (c *Chart) note(s ...string) {
	c.Caption = append(c.Caption, s...)
	c.notes += len(s)
}

// chartKinds are the seven charts of a workload, in the order of the index.
var chartKinds = []struct {
	key   string
	build func(*view) *Chart
}{
	{"time", (*view).timeChart},
	{"speedup", (*view).speedupChart},
	{"efficiency", (*view).efficiencyChart},
	{"overhead", (*view).overheadChart},
	{"attribution", (*view).attributionChart},
	{"phases", (*view).phasesChart},
	{"trials", (*view).trialsChart},
}

// view is what the charts of one workload share.
type view struct {
	runs   []*runfile.Run
	labels []string
	wl     string
	// sweep is set when the one run sweeps a parameter of wl: the charts
	// over cores then show the largest swept value, and a granularity
	// chart shows them all.
	sweep *sweepView
	// pal is the style of every model of the report; nil makes one from
	// runs.
	pal palette
}

type sweepView struct {
	full  *runfile.Run
	param string
	shown int64
}

func (v *view) multi() bool { return len(v.runs) > 1 }

// charts returns the seven charts of the view's workload.
func (v *view) charts() []*Chart {
	out := make([]*Chart, 0, len(chartKinds)+1)
	if len(v.runs) == 1 {
		if param := SweptParam(v.runs[0], v.wl); param != "" {
			full := v.runs[0]
			f, shown := focus(full, v.wl, param)
			v = &view{runs: []*runfile.Run{f}, labels: v.labels, wl: v.wl, sweep: &sweepView{full: full, param: param, shown: shown}, pal: v.pal}
		}
	}
	for _, k := range chartKinds {
		c := k.build(v)
		c.File = fileName(v.wl) + "-" + k.key + ".png"
		if v.sweep != nil {
			c.Caption = append([]string{fmt.Sprintf("Cells at %s.%s=%d, the largest value swept (the granularity chart shows every value).", v.wl, v.sweep.param, v.sweep.shown)}, c.Caption...)
		}
		n := len(c.Caption) - c.notes
		c.fig.caption, c.fig.notes = c.Caption[:n], c.Caption[n:]
		out = append(out, c)
	}
	if c := v.coldWarmChart(); c != nil { // only for runs with cold passes
		out = append(out, c)
	}
	if v.sweep != nil {
		c := v.granularityChart()
		c.File = fileName(v.wl) + "-granularity.png"
		n := len(c.Caption) - c.notes
		c.fig.caption, c.fig.notes = c.Caption[:n], c.Caption[n:]
		out = append(out, c)
	}
	return out
}

// fileName keeps letters, digits, '-' and '_' of a name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// machine describes where a run ran: CPU model and logical CPUs.
func machine(r *runfile.Run) string {
	cpu := r.Env.CPUModel
	if cpu == "" {
		cpu = "unknown CPU"
	}
	return fmt.Sprintf("%s, %d logical CPUs", cpu, r.Env.LogicalCPUs)
}

// title is a chart's title: what it shows, then one line per machine.
func (v *view) title(what string) string {
	var ms []string
	for i, r := range v.runs {
		if v.multi() {
			ms = append(ms, v.labels[i]+": "+machine(r))
		} else {
			ms = append(ms, machine(r)+" (host "+r.Env.Host+")")
		}
	}
	return v.wl + " — " + what + "\n" + strings.Join(ms, "\n")
}

// who names a model of a run in captions.
func (v *view) who(run int, model string) string {
	if v.multi() {
		return model + " (" + v.labels[run] + ")"
	}
	return model
}

// category is a bar chart's row label.
func (v *view) category(b Bar) string {
	s := b.Model
	if v.runs[b.Run].IsBaseline(b.Model) {
		s += " (c = 1)"
	}
	if v.multi() {
		s += " · " + v.labels[b.Run]
	}
	return s
}

// legendModels returns one legend entry per model drawn, then one per run
// (its line style) when runs are overlaid, then the hollow marker, labelled
// hollow, when a cell is hollow (hollow is not empty).
func (v *view) legendModels(models []string, withLine bool, hollow string) []legendItem {
	var items []legendItem
	for _, m := range models {
		if withLine {
			items = append(items, legendItem{m, modelThumb(v.style(m))})
		} else {
			items = append(items, legendItem{m, barThumb(v.style(m))})
		}
	}
	if v.multi() && withLine {
		for i, l := range v.labels {
			items = append(items, legendItem{"run " + l, lineThumb{line: draw.LineStyle{Color: darkGray, Width: lineWidth, Dashes: runDash(i)}}})
		}
	}
	if hollow != "" {
		items = append(items, legendItem{hollow, hollowThumb()})
	}
	return items
}

// seriesNotes returns the caption sentences naming hollow points and
// missing core counts of series.
func (v *view) seriesNotes(ss []Series) []string {
	var hol, miss []string
	suspect := false
	for _, s := range ss {
		for _, p := range s.Points {
			suspect = suspect || p.Suspect
			if p.Hollow {
				hol = append(hol, fmt.Sprintf("%s at c = %d (%s)", v.who(s.Run, s.Model), p.Cores, p.Why))
			}
		}
		if len(s.Missing) > 0 {
			var gs []string
			for _, g := range s.Missing {
				gs = append(gs, fmt.Sprintf("c = %d %s", g.Cores, g.Reason))
			}
			miss = append(miss, v.who(s.Run, s.Model)+": "+strings.Join(gs, ", "))
		}
	}
	var out []string
	if len(hol) > 0 {
		out = append(out, hollowWhat(suspect)+strings.Join(hol, "; ")+".")
	}
	if len(miss) > 0 {
		out = append(out, "Missing: "+strings.Join(miss, "; ")+".")
	}
	return out
}

// barNotes returns the caption sentences naming hollow bars and the models
// without a cell at the largest core count.
func (v *view) barNotes(bars []Bar) []string {
	var hol, miss []string
	suspect := false
	for _, b := range bars {
		suspect = suspect || b.Suspect
		if b.Hollow {
			hol = append(hol, fmt.Sprintf("%s at c = %d (%s)", v.who(b.Run, b.Model), b.Cores, b.Why))
		}
	}
	for ri, ms := range Absent(v.runs, v.wl) {
		for _, m := range ms {
			miss = append(miss, fmt.Sprintf("%s has no result at c = %d", v.who(ri, m), Largest(v.runs[ri], v.wl)))
		}
	}
	var out []string
	if len(hol) > 0 {
		out = append(out, hollowWhat(suspect)+strings.Join(hol, "; ")+".")
	}
	if len(miss) > 0 {
		out = append(out, "Missing: "+strings.Join(miss, "; ")+".")
	}
	return out
}

// largestText says at which core count the bar charts are drawn.
func (v *view) largestText() string {
	var cs []string
	for i, r := range v.runs {
		n := Largest(r, v.wl)
		if n == 0 {
			continue
		}
		if v.multi() {
			cs = append(cs, fmt.Sprintf("%s c = %d", v.labels[i], n))
		} else {
			cs = append(cs, fmt.Sprintf("c = %d", n))
		}
	}
	return strings.Join(cs, ", ")
}

// coresOf returns every core count of the view's runs.
func (v *view) coresOf() []int {
	var cs []int
	for _, r := range v.runs {
		for _, c := range runCores(r, v.wl) {
			if !slices.Contains(cs, c) {
				cs = append(cs, c)
			}
		}
	}
	slices.Sort(cs)
	return cs
}

// modelsIn returns the models of series in order, once each.
func modelsIn[T any](xs []T, model func(T) string) []string {
	var out []string
	for _, x := range xs {
		if m := model(x); !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// addSeries draws series as lines with per-point markers; errBars adds
// error bars.
func (v *view) addSeries(p *plot.Plot, ss []Series, errBars bool) {
	// With error bars, series are nudged apart along x so that bars at the
	// same core count do not hide each other: by at most 10 points each
	// (the plot is about 800 points wide) and all together by at most 40 %
	// of the smallest gap between core counts.
	var shift float64
	var drawn []int
	for i, s := range ss {
		if len(s.Points) > 0 {
			drawn = append(drawn, i)
		}
	}
	if cs := v.coresOf(); errBars && len(drawn) > 1 {
		gap := p.X.Max - p.X.Min
		for i := 1; i < len(cs); i++ {
			gap = math.Min(gap, float64(cs[i]-cs[i-1]))
		}
		shift = math.Min(10*(p.X.Max-p.X.Min)/800, 0.4*gap/float64(len(drawn)-1))
	}
	for i, s := range ss {
		dx := 0.0
		if k := slices.Index(drawn, i); k >= 0 {
			dx = (float64(k) - float64(len(drawn)-1)/2) * shift
		}
		st := v.style(s.Model)
		xys := make(plotter.XYs, len(s.Points))
		var g glyphs
		var errs plotter.YErrors
		for i, pt := range s.Points {
			xys[i] = plotter.XY{X: float64(pt.Cores) + dx, Y: pt.Y}
			g.xs = append(g.xs, float64(pt.Cores)+dx)
			g.ys = append(g.ys, pt.Y)
			g.styles = append(g.styles, glyph(st, pt.Hollow))
			errs = append(errs, struct{ Low, High float64 }{pt.Y - pt.Low, pt.High - pt.Y})
		}
		// The line breaks where a core count is missing, so that it never
		// suggests a figure that was not measured.
		for _, seg := range segments(s) {
			for j := range seg {
				seg[j].X += dx
			}
			if len(seg) > 1 {
				l, _ := plotter.NewLine(seg)
				l.LineStyle = draw.LineStyle{Color: st.Color, Width: lineWidth, Dashes: runDash(s.Run)}
				p.Add(l)
			}
		}
		if errBars && len(xys) > 0 {
			eb, _ := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xys, errs})
			eb.LineStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(2)}
			eb.CapWidth = vg.Points(12)
			p.Add(eb)
		}
		p.Add(g)
	}
}

// segments splits a series' points into runs of core counts with no
// missing count between them.
func segments(s Series) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i, pt := range s.Points {
		if i > 0 {
			prev := s.Points[i-1].Cores
			for _, g := range s.Missing {
				if g.Cores > prev && g.Cores < pt.Cores {
					out, cur = append(out, cur), nil
					break
				}
			}
		}
		cur = append(cur, plotter.XY{X: float64(pt.Cores), Y: pt.Y})
	}
	return append(out, cur)
}

// drawnModels returns the models of series that have a point to draw.
func drawnModels(ss []Series) []string {
	var out []string
	for _, s := range ss {
		if len(s.Points) > 0 && !slices.Contains(out, s.Model) {
			out = append(out, s.Model)
		}
	}
	return out
}

// hollowLegend is the legend's entry for hollow cells: "" without any,
// and naming a suspect baseline only where one is drawn.
func hollowLegend(any, suspect bool) string {
	switch {
	case !any:
		return ""
	case suspect:
		return "hollow: noisy (CV > 10%), oversubscribed or suspect baseline"
	}
	return "hollow: noisy (CV > 10%) or oversubscribed"
}

// hollowWhat says in a caption what hollow means in a chart.
func hollowWhat(suspect bool) string {
	if suspect {
		return "Hollow (noisy, oversubscribed or suspect baseline): "
	}
	return "Hollow (noisy or oversubscribed): "
}

func anyHollowPoint(ss []Series) string {
	any, suspect := false, false
	for _, s := range ss {
		for _, p := range s.Points {
			any, suspect = any || p.Hollow, suspect || p.Suspect
		}
	}
	return hollowLegend(any, suspect)
}

func anyHollowBar(bs []Bar) string {
	any, suspect := false, false
	for _, b := range bs {
		any, suspect = any || b.Hollow, suspect || b.Suspect
	}
	return hollowLegend(any, suspect)
}

// coresAxis sets the x axis of a chart over core counts.
func (v *view) coresAxis(p *plot.Plot) {
	cs := v.coresOf()
	p.X.Tick.Marker = coreTicks(cs)
	lo, hi := float64(cs[0]), float64(cs[len(cs)-1])
	pad := 0.3 * math.Max(1, (hi-lo)/10)
	p.X.Min, p.X.Max = lo-pad, hi+pad
}

// logRatio is the spread of values (largest / smallest) above which a
// time axis is logarithmic: there a linear one would flatten the fast
// models against zero.
const logRatio = 20

func (v *view) timeChart() *Chart {
	ss := CoreSeries(v.runs, v.wl, ComputeTime)
	lo, hi := math.Inf(1), 0.0
	for _, s := range ss {
		for _, p := range s.Points {
			lo, hi = math.Min(lo, p.Low), math.Max(hi, p.High)
		}
	}
	c := &Chart{Title: v.wl + ": compute time vs cores"}
	logY := lo > 0 && hi/lo > logRatio
	ylabel := ""
	p := newPlot(v.title("compute time vs cores (median, 95% CI)"), "cores (c)", "")
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Min, p.Y.Max = logRange(lo, hi)
		p.Y.Tick.Marker = logTicks{durTick}
		ylabel = "median compute time (log scale)"
	} else {
		div, unit := timeUnit(hi)
		p.Y.Min, p.Y.Max = 0, hi*1.08
		p.Y.Tick.Marker = linTicks{func(x float64) string { return num(x / div) }}
		ylabel = "median compute time (" + unit + ")"
	}
	p.Y.Label.Text = ylabel
	v.coresAxis(p)
	v.addSeries(p, ss, true)
	// Sequential runs at c = 1 only: its time is drawn across as the
	// baseline that every parallel model must beat.
	base := draw.LineStyle{Color: v.style("sequential").Color, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(3), vg.Points(3)}}
	haveBase := false
	for _, s := range ss {
		if s.Model == "sequential" && len(s.Points) > 0 {
			p.Add(hline{s.Points[0].Y, base})
			haveBase = true
		}
	}
	models := drawnModels(ss)
	c.fig = &figure{plot: p, legend: v.legendModels(models, true, anyHollowPoint(ss))}
	if haveBase {
		c.fig.legend = append(c.fig.legend, legendItem{"sequential time (c = 1), drawn across", lineThumb{line: base}})
	}
	c.Caption = []string{"Median compute time of each model at each core count; error bars are the 95% confidence interval of the median (models are nudged sideways so that bars do not hide each other). Lower is better."}
	if logY {
		c.Caption = append(c.Caption, "Log scale: the times differ by more than 20×.")
	}
	c.note(v.seriesNotes(ss)...)
	return c
}

func (v *view) speedupChart() *Chart {
	ss := CoreSeries(v.runs, v.wl, Speedup)
	cs := v.coresOf()
	hi := float64(cs[len(cs)-1])
	for _, s := range ss {
		for _, p := range s.Points {
			hi = math.Max(hi, p.Y)
			if p.Ceiling != nil {
				hi = math.Max(hi, *p.Ceiling)
			}
		}
	}
	c := &Chart{Title: v.wl + ": speedup vs cores"}
	p := newPlot(v.title("speedup vs cores"), "cores (c)", "speedup over sequential (×)")
	v.coresAxis(p)
	p.Y.Min, p.Y.Max = 0, hi*1.08
	p.Y.Tick.Marker = linTicks{func(x float64) string { return num(x) + "×" }}
	ideal := draw.LineStyle{Color: gray, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(8), vg.Points(5)}}
	base := draw.LineStyle{Color: v.style("sequential").Color, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(3), vg.Points(3)}}
	p.Add(diagonal{ideal}, hline{1, base})
	ceilings := v.addCeilings(p, ss)
	v.addSeries(p, ss, false)
	p.Add(v.endLabels(p, ss, func(y float64) string { return reports.Sig3(y) + "×" }))
	models := drawnModels(ss)
	c.fig = &figure{plot: p, legend: v.legendModels(models, true, anyHollowPoint(ss))}
	c.fig.legend = append(c.fig.legend,
		legendItem{"ideal: speedup = c", lineThumb{line: ideal}},
		legendItem{"sequential baseline (1×)", lineThumb{line: base}})
	if ceilings {
		c.fig.legend = append(c.fig.legend, legendItem{"▬ on thin dashes: the cell's ceiling (its effective cores)", lineThumb{line: ceilingLine(darkGray)}})
	}
	c.Caption = []string{"Speedup of each model over the sequential loop of the same run; the dashed diagonal is ideal scaling, the dotted line at 1× is the sequential baseline. Higher is better; below 1× a model is slower than the plain loop."}
	if ceilings {
		c.Caption = append(c.Caption, "Each short bar on a thin dashed line in a model's colour is that cell's ceiling: the effective cores its workers got from the machine, the most speedup the CPUs allowed while it ran; the gap between a model's point and its bar is the model's own, the gap between the bar and the diagonal the machine's.")
	}
	if fam := v.familyBaselines(); fam != "" {
		p.Y.Label.Text = "speedup over its family's baseline (×)"
		c.fig.legend[len(c.fig.legend)-1].label = "each family's baseline (1×)"
		c.Caption = append(c.Caption, fam)
	}
	if len(models) == 0 {
		c.fig.empty = "no speedup: no passing sequential cell to compare with"
	}
	c.note(v.seriesNotes(ss)...)
	return c
}

// ceilingLine is how a model's ceilings are joined on the speedup chart.
func ceilingLine(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
}

// ceilingGlyph is a ceiling's mark: a short thick horizontal bar, unlike
// every model's marker.
type ceilingGlyph struct{}

func (ceilingGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.StrokeLine2(draw.LineStyle{Color: sty.Color, Width: vg.Points(3)}, pt.X-sty.Radius, pt.Y, pt.X+sty.Radius, pt.Y)
}

// addCeilings draws each series' ceilings (Point.Ceiling) as bars in
// the model's colour joined by a thin dashed line, and reports whether it
// drew any.
func (v *view) addCeilings(p *plot.Plot, ss []Series) bool {
	any := false
	for _, s := range ss {
		var xys plotter.XYs
		for _, pt := range s.Points {
			if pt.Ceiling != nil {
				xys = append(xys, plotter.XY{X: float64(pt.Cores), Y: *pt.Ceiling})
			}
		}
		if len(xys) == 0 {
			continue
		}
		any = true
		st := v.style(s.Model)
		if len(xys) > 1 {
			l, err := plotter.NewLine(xys)
			if err == nil {
				l.LineStyle = ceilingLine(st.Color)
				p.Add(l)
			}
		}
		sc, err := plotter.NewScatter(xys)
		if err == nil {
			sc.GlyphStyle = draw.GlyphStyle{Color: st.Color, Radius: vg.Points(10), Shape: ceilingGlyph{}}
			p.Add(sc)
		}
	}
	return any
}

// familyBaselines is the caption sentence that says which baseline each
// family of the drawn models is measured against, or "" when every model
// is of the Go family (the captions already say sequential).
func (v *view) familyBaselines() string {
	var fams, parts []string
	for ri, r := range v.runs {
		for _, m := range Models(v.runs[ri:ri+1], v.wl) {
			if f := r.Family(m); !slices.Contains(fams, f) {
				fams = append(fams, f)
			}
		}
	}
	if len(fams) == 1 && fams[0] == "go" || len(fams) == 0 {
		return ""
	}
	slices.Sort(fams)
	for _, f := range fams {
		name := map[string]string{"go": "Go models", "py": "Python models (py-*)"}[f]
		if name == "" {
			name = f + " models"
		}
		parts = append(parts, name+" against "+runfile.BaselineModel(f))
	}
	return "Each family is measured against its own baseline in the same run: " + strings.Join(parts, ", ") + "."
}

// endLabels prints each series' figure at its largest core count to the
// right of the point, in the model's colour. It widens the x axis to make
// room.
func (v *view) endLabels(p *plot.Plot, ss []Series, format func(float64) string) stackedNotes {
	var out stackedNotes
	for _, s := range ss {
		if v.runs[s.Run].IsBaseline(s.Model) || len(s.Points) == 0 {
			continue
		}
		last := s.Points[len(s.Points)-1]
		sty := textStyle(bold, valueSize)
		sty.Color = v.style(s.Model).Color
		sty.YAlign = draw.YCenter
		out = append(out, note{float64(last.Cores), last.Y, format(last.Y), sty, vg.Point{X: glyphRadius + vg.Points(8)}, true})
	}
	p.X.Max += 0.09 * (p.X.Max - p.X.Min)
	return out
}

func (v *view) efficiencyChart() *Chart {
	ss := CoreSeries(v.runs, v.wl, Efficiency)
	hi := 1.0
	var super notes
	sty := textStyle(sans, valueSize)
	sty.YAlign = draw.YBottom
	sty.XAlign = draw.XCenter
	for _, s := range ss {
		for _, p := range s.Points {
			hi = math.Max(hi, p.Y)
			if p.Y > 1.005 {
				super = append(super, note{float64(p.Cores), p.Y, strconv.FormatFloat(p.Y, 'f', 2, 64) + " > 1", sty, vg.Point{Y: vg.Points(10)}, true})
			}
		}
	}
	c := &Chart{Title: v.wl + ": efficiency vs cores"}
	p := newPlot(v.title("parallel efficiency vs cores"), "cores (c)", "efficiency = speedup ÷ c")
	v.coresAxis(p)
	p.Y.Min, p.Y.Max = 0, hi*1.12
	p.Y.Tick.Marker = linTicks{num}
	ideal := draw.LineStyle{Color: gray, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(8), vg.Points(5)}}
	p.Add(hline{1, ideal})
	v.addSeries(p, ss, false)
	p.Add(super)
	models := drawnModels(ss)
	c.fig = &figure{plot: p, legend: v.legendModels(models, true, anyHollowPoint(ss))}
	c.fig.legend = append(c.fig.legend, legendItem{"ideal: efficiency 1", lineThumb{line: ideal}})
	c.Caption = []string{"Efficiency is speedup divided by cores: the share of the c cores doing useful work. 1 is ideal."}
	if len(super) > 0 {
		c.Caption = append(c.Caption, "Points above 1 (labelled) beat ideal scaling: superlinear, or noise where they are hollow.")
	}
	if len(models) == 0 {
		c.fig.empty = "no efficiency: no passing sequential cell to compare with"
	}
	c.note(v.seriesNotes(ss)...)
	return c
}

// categoryAxis sets up the y axis of a horizontal bar chart with one row
// per label, the first at the top.
func categoryAxis(p *plot.Plot, labels []string) {
	var ts plot.ConstantTicks
	n := len(labels)
	for i, l := range labels {
		ts = append(ts, plot.Tick{Value: float64(n - 1 - i), Label: l})
	}
	p.Y.Tick.Marker = ts
	// Fewer than three rows are spread as if there were three, so that a
	// lone bar is not a wall.
	extra := float64(max(3-n, 0)) / 2
	p.Y.Min, p.Y.Max = -0.6-extra, float64(n)-0.4+extra
	p.Y.Tick.Length = 0
}

func barEdge(st Style, hollow bool) draw.LineStyle {
	if hollow {
		return draw.LineStyle{Color: st.Color, Width: vg.Points(3)}
	}
	return draw.LineStyle{Color: st.Color, Width: vg.Points(1)}
}

func barFill(st Style, hollow bool) color.Color {
	if hollow {
		return white
	}
	return st.Color
}

func (v *view) overheadChart() *Chart {
	var bars []Bar
	for _, b := range LargestBars(v.runs, v.wl) {
		if !v.runs[b.Run].IsBaseline(b.Model) && b.Overhead != nil {
			bars = append(bars, b)
		}
	}
	c := &Chart{Title: v.wl + ": overhead per task at the largest core count"}
	p := newPlot(v.title("overhead per task at "+v.largestText()), "overhead per task = (c · T(model, c) − T(sequential)) / tasks   (log scale)", "")
	var labels []string
	lo, hi := math.Inf(1), 0.0
	for _, b := range bars {
		labels = append(labels, v.category(b))
		if *b.Overhead > 0 {
			lo, hi = math.Min(lo, *b.Overhead), math.Max(hi, *b.Overhead)
		}
	}
	if hi == 0 {
		lo, hi = 1, 1000
	}
	p.X.Scale = plot.LogScale{}
	lo, hi = logRange(lo, hi)
	lo = lo / 2
	// Room on the right for the printed values.
	p.X.Min, p.X.Max = lo, hi*math.Pow(hi/lo, 0.3)
	p.X.Tick.Marker = logTicks{durTick}
	n := len(bars)
	if n == 0 {
		labels = []string{""}
		c.fig = &figure{empty: "no parallel model to compare with sequential"}
	}
	categoryAxis(p, labels)
	hb := &hbars{thickness: 0.62}
	// Each bar ends in the model's marker, just past its end.
	g := glyphs{offset: vg.Point{X: glyphRadius*1.3 + vg.Points(2)}}
	val := textStyle(bold, valueSize)
	val.YAlign = draw.YCenter
	var ns notes
	var nonPos []string
	for i, b := range bars {
		y := float64(n - 1 - i)
		ov := *b.Overhead
		if ov <= 0 {
			nonPos = append(nonPos, fmt.Sprintf("%s %s", v.who(b.Run, b.Model), reports.Duration(ov)))
			ns = append(ns, note{lo, y, reports.Duration(ov) + " (≤ 0: no overhead, drawn as no bar)", val, vg.Point{X: vg.Points(8)}, false})
			continue
		}
		st := v.style(b.Model)
		hb.bars = append(hb.bars, hbar{y: y, from: lo, to: ov, fill: barFill(st, b.Hollow), edge: barEdge(st, b.Hollow)})
		g.xs, g.ys = append(g.xs, ov), append(g.ys, y)
		g.styles = append(g.styles, glyph(st, b.Hollow))
		ns = append(ns, note{ov, y, reports.Duration(ov), val, vg.Point{X: glyphRadius*2.6 + vg.Points(8)}, false})
	}
	p.Add(hb, g, ns)
	if c.fig == nil {
		c.fig = &figure{}
	}
	c.fig.plot = p
	c.fig.legend = v.legendModels(modelsIn(bars, func(b Bar) string { return b.Model }), false, anyHollowBar(bars))
	c.Caption = []string{"Core time lost per task against ideal scaling, at the largest core count measured: (c · T(model, c) − T(sequential)) / tasks. Lower is better; log scale. Sequential is the baseline (0 by definition) and not drawn."}
	if fam := v.familyBaselines(); fam != "" {
		c.Caption = append(c.Caption, fam)
	}
	if len(nonPos) > 0 {
		c.note("At or below zero (faster than ideal, no bar on a log scale): " + strings.Join(nonPos, "; ") + ".")
	}
	c.note(v.barNotes(bars)...)
	return c
}

func (v *view) phasesChart() *Chart {
	bars := LargestBars(v.runs, v.wl)
	c := &Chart{Title: v.wl + ": phases at the largest core count"}
	lo, hi := math.Inf(1), 0.0
	for _, b := range bars {
		total := b.Setup + b.Compute + b.Teardown
		lo, hi = math.Min(lo, total), math.Max(hi, total)
	}
	// As the time chart: a multi-second bar (manager) would flatten every
	// other model against zero on a linear axis.
	logX := lo > 0 && hi/lo > logRatio
	div, unit := timeUnit(hi)
	xlabel := "median time per trial (" + unit + "): setup + compute + teardown"
	if logX {
		xlabel = "median time per trial: setup + compute + teardown   (log scale)"
	}
	p := newPlot(v.title("where the time goes: phases at "+v.largestText()), xlabel, "")
	var labels []string
	for _, b := range bars {
		labels = append(labels, v.category(b))
	}
	categoryAxis(p, labels)
	at := barAxisX(p, lo, hi, div, logX, 0.6) // where a bar's end is drawn
	n := len(bars)
	hb := &hbars{thickness: 0.62}
	val := textStyle(sans, valueSize)
	val.YAlign = draw.YCenter
	var ns notes
	// Setup and teardown are greys that no model uses, split from compute
	// by thin white lines.
	setupFill, teardownFill := rgb(0xCFCFCF), rgb(0x8C8C8C)
	sep := draw.LineStyle{Color: white, Width: vg.Points(1)}
	for i, b := range bars {
		y := float64(n - 1 - i)
		x := 0.0
		st := v.style(b.Model)
		hb.bars = append(hb.bars,
			hbar{y: y, from: at(x), to: at(x + b.Setup), fill: setupFill, edge: sep},
			hbar{y: y, from: at(x + b.Setup), to: at(x + b.Setup + b.Compute), fill: barFill(st, b.Hollow), edge: barEdge(st, b.Hollow)},
			hbar{y: y, from: at(x + b.Setup + b.Compute), to: at(x + b.Setup + b.Compute + b.Teardown), fill: teardownFill, edge: sep},
		)
		total := b.Setup + b.Compute + b.Teardown
		ns = append(ns, note{total, y, fmt.Sprintf("%s  (setup %s, teardown %s)", reports.Duration(total), reports.Duration(b.Setup), reports.Duration(b.Teardown)), val, vg.Point{X: vg.Points(8)}, false})
	}
	p.Add(hb, ns)
	c.fig = &figure{plot: p}
	c.fig.legend = append(c.fig.legend,
		legendItem{"setup", swatchThumb{fill: setupFill}},
		legendItem{"compute (in the model's colour)", v.stripesThumb(modelsIn(bars, func(b Bar) string { return b.Model }))},
		legendItem{"teardown", swatchThumb{fill: teardownFill}})
	for _, m := range modelsIn(bars, func(b Bar) string { return b.Model }) {
		c.fig.legend = append(c.fig.legend, legendItem{m, barThumb(v.style(m))})
	}
	if h := anyHollowBar(bars); h != "" {
		c.fig.legend = append(c.fig.legend, legendItem{h, swatchThumb{fill: white, edge: draw.LineStyle{Color: darkGray, Width: vg.Points(3)}}})
	}
	if n == 0 {
		c.fig.empty = "no passing cell"
	}
	c.Caption = []string{"Median setup (start workers, map memory), compute and teardown time per trial at the largest core count, sequential at c = 1 for reference; each bar is printed with its total and its setup and teardown."}
	if logX {
		c.Caption = append(c.Caption, "Log scale: the totals differ by more than 20×, so a segment's length is not proportional to its time; the printed figures are.")
	}
	c.note(v.barNotes(bars)...)
	return c
}

func (v *view) trialsChart() *Chart {
	bars := LargestBars(v.runs, v.wl)
	c := &Chart{Title: v.wl + ": trial distribution at the largest core count"}
	lo, hi := math.Inf(1), 0.0
	for _, b := range bars {
		for _, t := range b.Trials {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	logX := lo > 0 && hi/lo > logRatio
	p := newPlot(v.title("compute time of every trial at "+v.largestText()), "", "")
	var labels []string
	for _, b := range bars {
		labels = append(labels, v.category(b))
	}
	categoryAxis(p, labels)
	val := textStyle(sans, valueSize)
	val.YAlign = draw.YCenter
	if logX {
		p.X.Scale = plot.LogScale{}
		lo, hi = logRange(lo, hi)
		p.X.Min, p.X.Max = lo, hi*math.Pow(hi/lo, 0.25)
		p.X.Tick.Marker = logTicks{durTick}
		p.X.Label.Text = "compute time per trial (log scale)"
	} else {
		// The axis spans the trials, not zero: this chart is about spread.
		div, unit := timeUnit(hi)
		span := math.Max(hi-lo, hi*0.02)
		p.X.Min, p.X.Max = math.Max(0, lo-0.08*span), hi+0.45*span
		p.X.Tick.Marker = linTicks{func(x float64) string { return num(x / div) }}
		p.X.Label.Text = "compute time per trial (" + unit + "; the axis does not start at 0)"
	}
	n := len(bars)
	// The plot area is about 330 points high: boxes take half a row.
	width := vg.Length(math.Min(34, 0.5*330/float64(max(n, 1))))
	var ns notes
	for i, b := range bars {
		y := float64(n - 1 - i)
		bp, err := plotter.NewBoxPlot(vg.Points(float64(width)), y, plotter.Values(b.Trials))
		if err != nil {
			continue
		}
		st := v.style(b.Model)
		bp.Horizontal = true
		bp.FillColor = tint(st.Color, 0.55)
		if b.Hollow {
			bp.FillColor = white
		}
		bp.BoxStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(2.5)}
		bp.MedianStyle = draw.LineStyle{Color: darkGray, Width: vg.Points(4)}
		bp.WhiskerStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(2)}
		bp.GlyphStyle = glyph(st, b.Hollow)
		p.Add(bp)
		ns = append(ns, note{bp.Max, y, fmt.Sprintf("median %s, %d trials", reports.Duration(b.Compute), len(b.Trials)), val, vg.Point{X: glyphRadius + vg.Points(10)}, false})
	}
	p.Add(ns)
	c.fig = &figure{plot: p, legend: v.legendModels(modelsIn(bars, func(b Bar) string { return b.Model }), false, anyHollowBar(bars))}
	if n == 0 {
		c.fig.empty = "no passing cell"
	}
	c.Caption = []string{"Every measured trial's compute time at the largest core count (sequential at c = 1 for reference): the box spans the middle half of the trials, the dark bar is the median, whiskers reach the last trial within 1.5 × IQR, and outliers beyond it are drawn as the model's marker."}
	if logX {
		c.Caption = append(c.Caption, "Log scale: the times differ by more than 20×.")
	}
	c.note(v.barNotes(bars)...)
	return c
}

// barAxisX sets p's x axis for horizontal bars of durations from lo to hi
// (ns; div scales the linear axis's labels), log when logX, with room on
// the right for each bar's printed figures: room of the axis's span on a
// log axis, 1 + room of hi on a linear one. It returns where a bar's end
// is drawn: a log axis has no zero, so bars start at its left end.
func barAxisX(p *plot.Plot, lo, hi, div float64, logX bool, room float64) func(float64) float64 {
	if !logX {
		p.X.Min, p.X.Max = 0, hi*(1+room)
		p.X.Tick.Marker = linTicks{func(x float64) string { return num(x / div) }}
		return func(x float64) float64 { return x }
	}
	axMin, axMax := logRange(lo/4, hi)
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = axMin, axMax*math.Pow(axMax/axMin, room)
	p.X.Tick.Marker = logTicks{durTick}
	return func(x float64) float64 { return math.Max(x, axMin) }
}
