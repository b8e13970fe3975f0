package infer

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMinP(t *testing.T) {
	for _, c := range []struct {
		m, n int
		want float64
	}{
		{5, 5, 2.0 / 252},
		{3, 3, 0.1},
		{10, 10, 2.0 / 184756},
		{8, 12, 2.0 / 125970},
		{0, 5, 1},
		{1, 1, 1},
	} {
		if got := MinP(c.m, c.n); math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("MinP(%d, %d) = %g, want %g", c.m, c.n, got, c.want)
		}
	}
	// The U test itself reaches MinP on separated samples.
	a, b := []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}
	if p := UTest(a, b, 0.05).P; math.Abs(p-MinP(5, 5)) > 1e-9 {
		t.Errorf("p of separated 5+5 = %g, want %g", p, MinP(5, 5))
	}
}

func TestTrialsFor(t *testing.T) {
	for _, c := range []struct {
		cells int
		alpha float64
		want  int
	}{
		{1, 0.05, 4},  // 2/70 = 0.029
		{10, 0.05, 6}, // 2/924 = 0.0022 ≤ 0.005; 5 gives 0.0079
		{40, 0.05, 7}, // 2/3432 = 0.00058 ≤ 0.00125
		{0, 0.05, 4},
	} {
		if got := TrialsFor(c.cells, c.alpha); got != c.want {
			t.Errorf("TrialsFor(%d, %v) = %d, want %d", c.cells, c.alpha, got, c.want)
		}
	}
}

func TestMinDetectable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	draw := func(n int, spread float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = 1e6 * math.Exp(spread*rng.NormFloat64())
		}
		return out
	}
	if _, ok := MinDetectable(draw(5, 0.01), draw(5, 0.01), 0.005); ok {
		t.Error("5+5 at 0.005: detectable, but MinP is 0.0079")
	}
	// The change found is the one that makes the test reject: shifting
	// the new sample by a little more than it gives p ≤ alpha, by a
	// little less does not (the samples are the old one, no change).
	for _, c := range []struct {
		n      int
		spread float64
		alpha  float64
	}{{10, 0.02, 0.05}, {8, 0.05, 0.005}, {20, 0.01, 0.001}, {6, 0.1, 0.05}} {
		old, new := draw(c.n, c.spread), draw(c.n, c.spread)
		d, ok := MinDetectable(old, new, c.alpha)
		if !ok || !(d > 0) {
			t.Fatalf("%+v: MinDetectable = %v, %v", c, d, ok)
		}
		// The new sample centred on the old (a Hodges–Lehmann shift of
		// zero), then changed by f.
		hl := hlShift(old, new)
		scale := func(f float64) []float64 {
			out := make([]float64, len(new))
			for i, y := range new {
				out[i] = y * math.Exp(-hl) * f
			}
			return out
		}
		if p := UTest(old, scale(1+d*1.02), c.alpha).P; p > c.alpha {
			t.Errorf("%+v: a change of %.4f (just above %.4f) gives p %.4f > alpha", c, d*1.02, d, p)
		}
		if p := UTest(old, scale(1+d*0.5), c.alpha).P; p <= c.alpha {
			t.Errorf("%+v: half the detectable change (%.4f) already gives p %.4f", c, d*0.5, p)
		}
		// More spread, larger detectable change.
		wide := make([]float64, len(new))
		for i, y := range new {
			wide[i] = 1e6 * math.Pow(y/1e6, 3)
		}
		if d3, _ := MinDetectable(old, wide, c.alpha); d3 <= d {
			t.Errorf("%+v: tripled spread of the new sample detects %.4f ≤ %.4f", c, d3, d)
		}
	}
}

func hlShift(old, new []float64) float64 {
	var d []float64
	for _, x := range old {
		for _, y := range new {
			d = append(d, math.Log(y)-math.Log(x))
		}
	}
	return median(d)
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
