package render

import (
	"cmp"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// figure is one chart as drawn into a PNG: a gonum plot with its title, and
// below the plot (never over the data) a legend laid out in rows and a
// caption.
type figure struct {
	plot    *plot.Plot
	legend  []legendItem
	caption []string // sentences; wrapped to the width when drawn
	notes   []string // sentences naming cells: kept before caption when space is short
	// empty, when set, is written in the middle of a chart with no data.
	empty string
}

type legendItem struct {
	label string
	thumb plot.Thumbnailer
}

// maxCaptionLines bounds the caption drawn in a PNG; the index page has it
// whole.
const maxCaptionLines = 5

// newPlot returns a plot with the report's fonts, widths and grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = textStyle(bold, titleSize)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(12)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(sans, labelSize)
		a.Label.TextStyle.XAlign = draw.XCenter
		a.Label.TextStyle.YAlign = draw.YBottom
		a.Label.Padding = vg.Points(6)
		a.Tick.Label = textStyle(sans, tickSize)
		a.LineStyle.Width = vg.Points(1.2)
		a.Tick.LineStyle.Width = vg.Points(1.2)
		a.Tick.Length = vg.Points(6)
		a.Padding = vg.Points(4)
	}
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.Y.Tick.Label.XAlign, p.Y.Tick.Label.YAlign = draw.XRight, draw.YCenter
	g := plotter.NewGrid()
	g.Vertical = draw.LineStyle{Color: gridGray, Width: vg.Points(1)}
	g.Horizontal = g.Vertical
	p.Add(g)
	return p
}

// writePNG draws the figure into an ImageWidth × ImageHeight PNG.
func (f *figure) writePNG(w io.Writer) error {
	img := vgimg.NewWith(
		vgimg.UseWH(ImageWidth*vg.Inch/imageDPI, ImageHeight*vg.Inch/imageDPI),
		vgimg.UseDPI(imageDPI),
	)
	dc := draw.New(img)
	pad := vg.Points(12)
	area := draw.Crop(dc, pad, -pad, pad/2, -pad)
	title := f.plot.Title.Text
	f.plot.Title.Text = strings.Join(wrapText(f.plot.Title.TextStyle, strings.Split(title, "\n"), area.Max.X-area.Min.X), "\n")
	defer func() { f.plot.Title.Text = title }()

	capSty := textStyle(sans, captionSize)
	capSty.Color = darkGray
	width := area.Max.X - area.Min.X
	desc, notes := wrapText(capSty, f.caption, width), wrapText(capSty, f.notes, width)
	if len(notes) > maxCaptionLines {
		notes = append(notes[:maxCaptionLines-1], "… and more: the report's index page has the full list.")
	}
	if keep := max(maxCaptionLines-len(notes), 0); len(desc) > keep {
		// The notes say what this chart's data lack; a description cut
		// short for them says so (the index page has it whole).
		desc = desc[:keep]
		if keep > 0 {
			desc[keep-1] += " …"
		}
	}
	lines := append(desc, notes...)
	lineH := capSty.Height("Ág") * 1.15
	y := area.Min.Y
	for i := len(lines) - 1; i >= 0; i-- {
		dc.FillText(capSty, vg.Point{X: area.Min.X, Y: y}, lines[i])
		y += lineH
	}
	if len(lines) > 0 {
		y += vg.Points(6)
	}
	y += f.drawLegend(dc, area, y)

	plotArea := draw.Crop(area, 0, 0, y-area.Min.Y+vg.Points(4), 0)
	// Note: the axis labels are drawn here, not by gonum/plot, which
	// reserves room for them at the linear middle of the axis range: near
	// the end of a log axis, squeezing the data.
	var xlabel func()
	if label := f.plot.X.Label.Text; label != "" {
		sty := f.plot.X.Label.TextStyle
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
		bottom := plotArea.Min.Y
		plotArea = draw.Crop(plotArea, 0, 0, sty.Height(label)+vg.Points(6), 0)
		f.plot.X.Label.Text = ""
		defer func() { f.plot.X.Label.Text = label }()
		xlabel = func() {
			dac := f.plot.DataCanvas(plotArea)
			dc.FillText(sty, vg.Point{X: dac.Center().X, Y: bottom + sty.FontExtents().Descent}, label)
		}
	}
	if label := f.plot.Y.Label.Text; label != "" {
		sty := f.plot.Y.Label.TextStyle
		sty.Rotation = math.Pi / 2
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		h := f.plot.Y.Label.TextStyle.Height(label)
		f.plot.Y.Label.Text = ""
		plotArea = draw.Crop(plotArea, h+vg.Points(8), 0, 0, 0)
		dac := f.plot.DataCanvas(plotArea)
		dc.FillText(sty, vg.Point{X: area.Min.X + h/2, Y: dac.Center().Y}, label)
		defer func() { f.plot.Y.Label.Text = label }()
	}
	f.plot.Draw(plotArea)
	if xlabel != nil {
		xlabel()
	}
	if f.empty != "" {
		sty := textStyle(sans, labelSize)
		sty.Color = gray
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		dac := f.plot.DataCanvas(plotArea)
		dc.FillText(sty, dac.Center(), f.empty)
	}
	// Note: BestSpeed makes files about 3% larger and encodes a third
	// faster than the default level.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img.Image())
}

// drawLegend lays the legend items out in centred rows whose bottom is at
// y, and returns the height used.
func (f *figure) drawLegend(dc draw.Canvas, area draw.Canvas, y vg.Length) vg.Length {
	if len(f.legend) == 0 {
		return 0
	}
	sty := textStyle(sans, legendSize)
	sty.YAlign = draw.YCenter
	thumbW, gap, space := vg.Points(38), vg.Points(7), vg.Points(26)
	rowH := sty.Height("Ág") * 1.6
	width := area.Max.X - area.Min.X
	var rows [][]int
	var rowW []vg.Length
	for i, it := range f.legend {
		w := thumbW + gap + sty.Width(it.label)
		if n := len(rows); n == 0 || rowW[n-1]+space+w > width {
			rows = append(rows, []int{i})
			rowW = append(rowW, w)
			continue
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], i)
		rowW[len(rows)-1] += space + w
	}
	top := y + rowH*vg.Length(len(rows))
	for r, row := range rows {
		cy := top - rowH*vg.Length(r) - rowH/2
		x := area.Min.X + (width-rowW[r])/2
		for _, i := range row {
			it := f.legend[i]
			icon := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: cy - rowH*0.32}, Max: vg.Point{X: x + thumbW, Y: cy + rowH*0.32},
			}}
			it.thumb.Thumbnail(&icon)
			dc.FillText(sty, vg.Point{X: x + thumbW + gap, Y: cy}, it.label)
			x += thumbW + gap + sty.Width(it.label) + space
		}
	}
	// A thin rule separates the legend from the axis above it.
	dc.StrokeLine2(draw.LineStyle{Color: lightGray, Width: vg.Points(1)}, area.Min.X, top+vg.Points(4), area.Max.X, top+vg.Points(4))
	return top - y + vg.Points(8)
}

// wrapText breaks sentences into lines no wider than width.
func wrapText(sty text.Style, paras []string, width vg.Length) []string {
	var out []string
	for _, p := range paras {
		line := ""
		for _, word := range strings.Fields(p) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if line != "" && sty.Width(try) > width {
				out = append(out, line)
				line = word
				continue
			}
			line = try
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// Thumbnails for the legend.

// lineThumb is a line with an optional marker in its middle.
type lineThumb struct {
	line  draw.LineStyle
	glyph *draw.GlyphStyle
}

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if t.line.Width > 0 {
		c.StrokeLine2(t.line, c.Min.X, y, c.Max.X, y)
	}
	if t.glyph != nil {
		c.DrawGlyphNoClip(*t.glyph, c.Center())
	}
}

// swatchThumb is a filled box with an outline.
type swatchThumb struct {
	fill color.Color
	edge draw.LineStyle
}

func (t swatchThumb) Thumbnail(c *draw.Canvas) {
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X + vg.Points(4), Y: c.Min.Y}, Max: vg.Point{X: c.Max.X - vg.Points(4), Y: c.Max.Y}}
	pts := []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}}
	c.FillPolygon(t.fill, pts)
	if t.edge.Width > 0 {
		c.StrokeLines(t.edge, append(pts, r.Min))
	}
}

// modelThumb is the legend entry of a model on a line chart: its colour,
// line and marker.
func modelThumb(st Style) lineThumb {
	g := glyph(st, false)
	return lineThumb{glyph: &g, line: draw.LineStyle{Color: st.Color, Width: lineWidth}}
}

// barThumbnail is the legend entry of a model on a bar chart: a bar of its
// colour with its marker.
type barThumbnail struct{ style Style }

func barThumb(st Style) barThumbnail { return barThumbnail{st} }

func (t barThumbnail) Thumbnail(c *draw.Canvas) {
	r := glyphRadius * 1.3
	bar := *c
	bar.Max.X -= 2 * r
	swatchThumb{fill: t.style.Color}.Thumbnail(&bar)
	c.DrawGlyphNoClip(glyph(t.style, false), vg.Point{X: c.Max.X - r, Y: c.Center().Y})
}

// stripes is a swatch split into one stripe per model colour.
type stripes []color.RGBA

// stripesThumb returns the stripes of models' colours.
func (v *view) stripesThumb(models []string) stripes {
	s := make(stripes, len(models))
	for i, m := range models {
		s[i] = v.style(m).Color
	}
	return s
}

func (s stripes) Thumbnail(c *draw.Canvas) {
	if len(s) == 0 {
		return
	}
	x0, x1 := c.Min.X+vg.Points(4), c.Max.X-vg.Points(4)
	w := (x1 - x0) / vg.Length(len(s))
	for i, col := range s {
		a := x0 + w*vg.Length(i)
		c.FillPolygon(col, []vg.Point{{X: a, Y: c.Min.Y}, {X: a, Y: c.Max.Y}, {X: a + w, Y: c.Max.Y}, {X: a + w, Y: c.Min.Y}})
	}
}

// hollowThumb explains the hollow marker.
func hollowThumb() lineThumb {
	g := draw.GlyphStyle{Color: darkGray, Radius: glyphRadius, Shape: marker{Circle, true}}
	return lineThumb{glyph: &g}
}

// Custom plotters.

// hbar is one horizontal bar (or bar segment) of a category chart.
type hbar struct {
	y        float64 // category position
	from, to float64
	fill     color.Color
	edge     draw.LineStyle
}

// hbars draws horizontal bars whose thickness is a share of a category.
type hbars struct {
	bars      []hbar
	thickness float64 // in category units
}

func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, b := range h.bars {
		x0, x1 := trX(b.from), trX(b.to)
		y0, y1 := trY(b.y-h.thickness/2), trY(b.y+h.thickness/2)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
		c.FillPolygon(b.fill, c.ClipPolygonX(pts))
		if b.edge.Width > 0 {
			c.StrokeLines(b.edge, c.ClipLinesX(append(pts, pts[0]))...)
		}
	}
}

// hline is a horizontal reference line across the whole x range.
type hline struct {
	y     float64
	style draw.LineStyle
}

func (l hline) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(l.y)
	if y < c.Min.Y || y > c.Max.Y {
		return
	}
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
}

// diagonal draws y = x across the plot.
type diagonal struct{ style draw.LineStyle }

func (d diagonal) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	lo := math.Max(p.X.Min, p.Y.Min)
	hi := math.Min(p.X.Max, p.Y.Max)
	if hi <= lo {
		return
	}
	c.StrokeLines(d.style, c.ClipLinesXY([]vg.Point{{X: trX(lo), Y: trY(lo)}, {X: trX(hi), Y: trY(hi)}})...)
}

// note is text placed at a data point with an offset in points.
type note struct {
	x, y   float64
	text   string
	style  text.Style
	offset vg.Point
	// halo fills the text's box white first, so that it reads over lines.
	halo bool
}

type notes []note

func (ns notes) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, n := range ns {
		pt := vg.Point{X: trX(n.x) + n.offset.X, Y: trY(n.y) + n.offset.Y}
		if n.halo {
			r := n.style.Rectangle(n.text).Add(pt)
			m := vg.Points(2)
			c.FillPolygon(color.NRGBA{R: 255, G: 255, B: 255, A: 220}, []vg.Point{
				{X: r.Min.X - m, Y: r.Min.Y - m}, {X: r.Min.X - m, Y: r.Max.Y + m},
				{X: r.Max.X + m, Y: r.Max.Y + m}, {X: r.Max.X + m, Y: r.Min.Y - m},
			})
		}
		c.FillText(n.style, pt, n.text)
	}
}

// stackedNotes are notes that, where they share an x and would overlap,
// are pushed apart vertically (upwards, keeping their order in y).
type stackedNotes []note

func (ns stackedNotes) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	type placed struct {
		n    note
		x, y vg.Length
	}
	ps := make([]placed, len(ns))
	for i, n := range ns {
		ps[i] = placed{n, trX(n.x), trY(n.y)}
	}
	slices.SortStableFunc(ps, func(a, b placed) int {
		if a.x != b.x {
			return cmp.Compare(a.x, b.x)
		}
		return cmp.Compare(a.y, b.y)
	})
	gap := func(q placed) vg.Length { return q.n.style.Height(q.n.text) + vg.Points(4) }
	for i := 1; i < len(ps); i++ {
		if ps[i].x == ps[i-1].x && ps[i].y-ps[i-1].y < gap(ps[i]) {
			ps[i].y = ps[i-1].y + gap(ps[i])
		}
	}
	// Pushed up past the plot's top, a column of labels would run into the
	// title: push it back down from the top instead.
	for end := len(ps) - 1; end >= 0; {
		start := end
		for start > 0 && ps[start-1].x == ps[end].x {
			start--
		}
		if top := c.Max.Y - gap(ps[end]); ps[end].y > top {
			ps[end].y = top
			for i := end - 1; i >= start; i-- {
				ps[i].y = min(ps[i].y, ps[i+1].y-gap(ps[i+1]))
			}
		}
		end = start - 1
	}
	var out notes
	for _, q := range ps {
		n := q.n
		n.offset.Y += q.y - trY(n.y)
		out = append(out, n)
	}
	out.Plot(c, p)
}

// glyphs draws one marker per point, each with its own style.
type glyphs struct {
	xs, ys []float64
	styles []draw.GlyphStyle
	offset vg.Point
}

func (g glyphs) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range g.xs {
		c.DrawGlyphNoClip(g.styles[i], vg.Point{X: trX(g.xs[i]) + g.offset.X, Y: trY(g.ys[i]) + g.offset.Y})
	}
}

// Ticks.

// coreTicks labels every core count when there are few of them.
func coreTicks(cores []int) plot.Ticker {
	if len(cores) > 16 {
		return plot.DefaultTicks{}
	}
	var ts plot.ConstantTicks
	for _, c := range cores {
		ts = append(ts, plot.Tick{Value: float64(c), Label: strconv.Itoa(c)})
	}
	return ts
}

// logTicks marks a log axis: labels at 1-2-5 (or denser when the range is
// narrow), minor ticks at every integer multiple of a power of ten.
type logTicks struct{ format func(float64) string }

func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	decades := math.Log10(hi / lo)
	mant := []float64{1}
	switch {
	case decades <= 1.2:
		mant = []float64{1, 2, 3, 4, 5, 6, 8}
	case decades <= 3:
		mant = []float64{1, 2, 5}
	}
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := base * float64(m)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			tk := plot.Tick{Value: v}
			for _, lm := range mant {
				if float64(m) == lm {
					tk.Label = t.format(v)
				}
			}
			ts = append(ts, tk)
		}
	}
	return ts
}

// linTicks marks a linear axis with about seven labels at steps of 1, 2,
// 2.5 or 5 times a power of ten, and a minor tick between labels.
type linTicks struct{ format func(float64) string }

func (t linTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: t.format(lo)}}
	}
	raw := (hi - lo) / 7
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	minor := step / 2
	var ts []plot.Tick
	for k := math.Ceil(lo/minor - 1e-9); k*minor <= hi+1e-9*step; k++ {
		v := k * minor
		if math.Abs(v) < 1e-12*step {
			v = 0
		}
		tk := plot.Tick{Value: v}
		if r := math.Mod(math.Abs(v)/step+1e-9, 1); r < 1e-6 {
			tk.Label = t.format(v)
		}
		ts = append(ts, tk)
	}
	return ts
}

// logRange widens [lo, hi] for a log axis so that whole 1-2-5 steps bound
// it.
func logRange(lo, hi float64) (float64, float64) {
	down := func(v float64) float64 {
		e := math.Pow(10, math.Floor(math.Log10(v)))
		for _, m := range []float64{5, 2, 1} {
			if m*e <= v {
				return m * e
			}
		}
		return e
	}
	up := func(v float64) float64 {
		e := math.Pow(10, math.Floor(math.Log10(v)))
		for _, m := range []float64{1, 2, 5, 10} {
			if m*e >= v*(1-1e-9) {
				return m * e
			}
		}
		return 10 * e
	}
	return down(lo), up(hi)
}

// durTick formats nanoseconds for a tick label: "200ns", "1.5µs", "10ms".
func durTick(ns float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}} {
		if math.Abs(ns) >= u.div {
			return num(ns/u.div) + u.name
		}
	}
	return num(ns) + "ns"
}

// num formats a tick value with at most four significant digits.
func num(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// timeUnit picks the unit in which a linear time axis is labelled.
func timeUnit(maxNs float64) (div float64, name string) {
	switch {
	case maxNs >= 1e9:
		return 1e9, "s"
	case maxNs >= 1e6:
		return 1e6, "ms"
	case maxNs >= 1e3:
		return 1e3, "µs"
	}
	return 1, "ns"
}
