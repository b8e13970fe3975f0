package render

import (
	"hash/fnv"
	"image/color"
	"math"
	"slices"
	"sort"

	"github.com/mpbench/mpbench/runfile"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Image size and resolution of every chart. At 144 dpi one point is two
// pixels, so the font sizes below are half their height in pixels; they
// stay readable when the image is shown at half its size.
const (
	ImageWidth  = 1800 // px
	ImageHeight = 1125 // px
	imageDPI    = 144
)

// Font sizes (points) and line widths.
var (
	titleSize   = vg.Points(19)
	labelSize   = vg.Points(16.5)
	tickSize    = vg.Points(15)
	legendSize  = vg.Points(15)
	captionSize = vg.Points(13)
	valueSize   = vg.Points(14)

	lineWidth   = vg.Points(2.5)
	glyphRadius = vg.Points(6.5)
)

// Style is how one model is drawn on every chart of every report.
type Style struct {
	Color  color.RGBA
	Marker Shape
}

// Shape is a marker shape. Every shape is a closed outline, so each has a
// filled and a hollow form.
type Shape int

// The marker shapes.
const (
	Circle Shape = iota
	Square
	TriangleUp
	TriangleDown
	Diamond
	Pentagon
	Hexagon
	Star
	Plus
	Cross
	numShapes
)

func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 255}
}

// markerShapes are the shapes of the marker names a run file records
// (runfile.Markers).
var markerShapes = map[string]Shape{
	"circle": Circle, "square": Square, "triangle-up": TriangleUp, "triangle-down": TriangleDown,
	"diamond": Diamond, "pentagon": Pentagon, "hexagon": Hexagon, "star": Star, "plus": Plus, "cross": Cross,
}

// fallbackColors serve models that no run file of a report describes.
var fallbackColors = []color.RGBA{
	rgb(0x1B9E77), rgb(0x7570B3), rgb(0xD95F02), rgb(0x4E79A7),
	rgb(0xB07AA1), rgb(0x9C755F), rgb(0x59A14F), rgb(0xE15759),
	rgb(0x2F4B7C), rgb(0xF28E2B), rgb(0x76B7B2), rgb(0xB8860B),
}

// palette is the style of every model of a report.
type palette map[string]Style

// newPalette gives every model of runs its style: the colour and marker
// its run file records from the model table (the first run that records
// it wins, so a model looks the same in every run overlaid), else one
// from the fallback palette.
//
// Note: the fallback serves run files made before mpbench recorded its
// models. It goes over those models by name, giving each the colour and
// marker a hash of its name picks, or the next ones that no other model of
// the report has yet: a model keeps its style from report to report as
// long as nothing else takes it first, and no two models of one report
// share a colour while the palette lasts.
func newPalette(runs []*runfile.Run) palette {
	p := palette{}
	for _, r := range runs {
		for _, m := range r.Models {
			if _, done := p[m.Name]; done || m.Check() != nil {
				continue
			}
			red, green, blue, _ := m.RGB()
			p[m.Name] = Style{Color: color.RGBA{R: red, G: green, B: blue, A: 255}, Marker: markerShapes[m.Marker]}
		}
	}
	var rest []string
	for _, r := range runs {
		for _, name := range append(slices.Clone(r.Config.Models), modelsOfCells(r)...) {
			if _, done := p[name]; !done && !slices.Contains(rest, name) {
				rest = append(rest, name)
			}
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		p[name] = p.fallback(name)
	}
	return p
}

func modelsOfCells(r *runfile.Run) []string {
	var out []string
	for _, c := range r.Cells {
		out = append(out, c.Model)
	}
	return out
}

// fallback picks a style for a model no run file describes: the colour
// and marker the hash of its name points at, or the next ones not yet
// taken in p.
func (p palette) fallback(name string) Style {
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	colour := fallbackColors[v%uint32(len(fallbackColors))]
	for i := range fallbackColors {
		c := fallbackColors[(int(v%uint32(len(fallbackColors)))+i)%len(fallbackColors)]
		if !p.hasColor(c) {
			colour = c
			break
		}
	}
	shape := Shape((v / 16) % uint32(numShapes))
	for i := range int(numShapes) {
		s := Shape((int(shape) + i) % int(numShapes))
		if !p.hasMarker(s) {
			shape = s
			break
		}
	}
	return Style{Color: colour, Marker: shape}
}

func (p palette) hasColor(c color.RGBA) bool {
	for _, st := range p {
		if st.Color == c {
			return true
		}
	}
	return false
}

func (p palette) hasMarker(s Shape) bool {
	for _, st := range p {
		if st.Marker == s {
			return true
		}
	}
	return false
}

// style returns the style of model; one the palette lacks gets its
// fallback.
func (p palette) style(model string) Style {
	if st, ok := p[model]; ok {
		return st
	}
	return p.fallback(model)
}

// style returns the style of model in the view's report.
func (v *view) style(model string) Style {
	if v.pal == nil {
		v.pal = newPalette(v.runs)
	}
	return v.pal.style(model)
}

// runDashes tells overlaid runs apart: the first is solid, the others
// dashed or dotted. A model keeps its colour and marker in every run.
var runDashes = [][]vg.Length{
	nil,
	{vg.Points(10), vg.Points(5)},
	{vg.Points(2.5), vg.Points(4)},
	{vg.Points(12), vg.Points(4), vg.Points(2.5), vg.Points(4)},
}

func runDash(run int) []vg.Length { return runDashes[run%len(runDashes)] }

var (
	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
	bold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}

	white     = color.RGBA{R: 255, G: 255, B: 255, A: 255}
	gray      = rgb(0x777777)
	lightGray = rgb(0xD9D9D9)
	darkGray  = rgb(0x444444)
	gridGray  = rgb(0xE6E6E6)
)

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(f, size), Handler: plot.DefaultTextHandler}
}

// marker draws a model's marker, filled or hollow (white inside, a thick
// coloured outline).
type marker struct {
	shape  Shape
	hollow bool
}

// DrawGlyph implements draw.GlyphDrawer.
func (m marker) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	p := shapePath(m.shape, sty.Radius, pt)
	if m.hollow {
		c.SetColor(color.White)
		c.Fill(p)
		c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: sty.Radius / 2.6})
		c.Stroke(p)
		return
	}
	c.SetColor(sty.Color)
	c.Fill(p)
	c.SetLineStyle(draw.LineStyle{Color: color.White, Width: vg.Points(0.8)})
	c.Stroke(p)
}

// shapePath returns the outline of a shape of radius r centred on pt.
func shapePath(s Shape, r vg.Length, pt vg.Point) vg.Path {
	var p vg.Path
	poly := func(pts []vg.Point) vg.Path {
		for i, q := range pts {
			q = vg.Point{X: pt.X + q.X, Y: pt.Y + q.Y}
			if i == 0 {
				p.Move(q)
			} else {
				p.Line(q)
			}
		}
		p.Close()
		return p
	}
	regular := func(n int, rad vg.Length, rot float64) []vg.Point {
		pts := make([]vg.Point, n)
		for i := range pts {
			a := rot + 2*math.Pi*float64(i)/float64(n)
			pts[i] = vg.Point{X: rad * vg.Length(math.Cos(a)), Y: rad * vg.Length(math.Sin(a))}
		}
		return pts
	}
	switch s {
	case Circle:
		p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		p.Arc(pt, r, 0, 2*math.Pi)
		p.Close()
		return p
	case Square:
		return poly(regular(4, r*1.2, math.Pi/4))
	case TriangleUp:
		return poly(regular(3, r*1.35, math.Pi/2))
	case TriangleDown:
		return poly(regular(3, r*1.35, -math.Pi/2))
	case Diamond:
		return poly(regular(4, r*1.3, 0))
	case Pentagon:
		return poly(regular(5, r*1.15, math.Pi/2))
	case Hexagon:
		return poly(regular(6, r*1.1, 0))
	case Star:
		outer, inner := regular(5, r*1.45, math.Pi/2), regular(5, r*0.62, math.Pi/2+math.Pi/5)
		pts := make([]vg.Point, 0, 10)
		for i := range outer {
			pts = append(pts, outer[i], inner[i])
		}
		return poly(pts)
	case Plus, Cross:
		a, b := r*1.2, r*0.42
		pts := []vg.Point{{X: -b, Y: a}, {X: b, Y: a}, {X: b, Y: b}, {X: a, Y: b}, {X: a, Y: -b}, {X: b, Y: -b},
			{X: b, Y: -a}, {X: -b, Y: -a}, {X: -b, Y: -b}, {X: -a, Y: -b}, {X: -a, Y: b}, {X: -b, Y: b}}
		if s == Cross {
			for i, q := range pts {
				x, y := float64(q.X), float64(q.Y)
				pts[i] = vg.Point{X: vg.Length((x - y) / math.Sqrt2), Y: vg.Length((x + y) / math.Sqrt2)}
			}
		}
		return poly(pts)
	}
	return poly(regular(4, r, math.Pi/4))
}

// glyph returns the glyph style of a model's marker.
func glyph(st Style, hollow bool) draw.GlyphStyle {
	return draw.GlyphStyle{Color: st.Color, Radius: glyphRadius, Shape: marker{st.Marker, hollow}}
}

// tint mixes c with white: f = 0 is c, f = 1 is white.
func tint(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f + 0.5) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 255}
}
