package render

import (
	"hash/fnv"
	"image/color"
	"math"

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

// modelStyles fixes the colour and marker of every model mpbench knows or
// will know. The Go models take well separated hues (Okabe–Ito first);
// each py-* model has the marker of the Go model that replaces it and a
// colour of its own.
var modelStyles = map[string]Style{
	"sequential":     {rgb(0x222222), Circle},
	"goroutines":     {rgb(0x0072B2), Square},
	"procpool":       {rgb(0xE69F00), TriangleUp},
	"procpool-async": {rgb(0xD55E00), TriangleDown},
	"pipe":           {rgb(0x009E73), Diamond},
	"queue":          {rgb(0xCC79A7), Pentagon},
	"shm":            {rgb(0x56B4E9), Hexagon},
	"shm-lock":       {rgb(0x882255), Star},
	"manager":        {rgb(0x7A7A00), Plus},
	"manager-batch":  {rgb(0x6A3D9A), Cross},

	"py-sequential": {rgb(0x8C8C8C), Circle},
	"py-pool":       {rgb(0xA6761D), TriangleUp},
	"py-pool-async": {rgb(0x7F3B08), TriangleDown},
	"py-pipe":       {rgb(0x66A61E), Diamond},
	"py-queue":      {rgb(0xE7298A), Pentagon},
	"py-shm-lock":   {rgb(0x17BECF), Star},
	"py-manager":    {rgb(0xE31A1C), Plus},
}

// fallbackColors serve models that modelStyles does not name.
var fallbackColors = []color.RGBA{
	rgb(0x1B9E77), rgb(0x7570B3), rgb(0xD95F02), rgb(0x4E79A7),
	rgb(0xB07AA1), rgb(0x9C755F), rgb(0x59A14F), rgb(0xE15759),
}

// ModelStyle returns the colour and marker of a model: a fixed one for
// every model mpbench knows, and for any other name one picked from a hash
// of the name, so that it too is the same in every report.
func ModelStyle(model string) Style {
	if s, ok := modelStyles[model]; ok {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(model))
	v := h.Sum32()
	return Style{Color: fallbackColors[v%uint32(len(fallbackColors))], Marker: Shape((v / 8) % uint32(numShapes))}
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
func glyph(model string, hollow bool) draw.GlyphStyle {
	st := ModelStyle(model)
	return draw.GlyphStyle{Color: st.Color, Radius: glyphRadius, Shape: marker{st.Marker, hollow}}
}

// tint mixes c with white: f = 0 is c, f = 1 is white.
func tint(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f + 0.5) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 255}
}
