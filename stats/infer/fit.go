package infer

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mpbench/mpbench/stats"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// FitScaling fits Amdahl's law and the USL to speedups measured at cores
// (one speedup per core count). Points at c = 1 hold no information for
// either law (both pass through speedup 1 there) and do not count as
// degrees of freedom, but they do count as core counts.
func FitScaling(cores []int, speedups []float64) (stats.ScalingFit, error) {
	var f stats.ScalingFit
	if len(cores) != len(speedups) {
		return f, fmt.Errorf("fit: %d core counts for %d speedups", len(cores), len(speedups))
	}
	idx := make([]int, len(cores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return cores[idx[a]] < cores[idx[b]] })
	distinct := map[int]bool{}
	var cs, ss []float64 // points with c > 1
	for _, i := range idx {
		c, s := cores[i], speedups[i]
		if c < 1 || !(s > 0) || math.IsInf(s, 0) {
			return f, fmt.Errorf("fit: bad point: %d cores, speedup %v", c, s)
		}
		distinct[c] = true
		p := stats.FitPoint{Cores: c, Speedup: s}
		if c > 1 {
			kf := stats.KarpFlatt(s, c)
			p.KarpFlatt = &kf
			cs, ss = append(cs, float64(c)), append(ss, s)
		}
		f.Points = append(f.Points, p)
	}
	if len(distinct) < stats.MinFitCores {
		list := make([]string, 0, len(distinct))
		for _, p := range f.Points {
			list = append(list, strconv.Itoa(p.Cores))
		}
		f.Reason = fmt.Sprintf("needs at least %d core counts, has %d (%s)", stats.MinFitCores, len(distinct), strings.Join(slices.Compact(list), ", "))
		return f, nil
	}
	f.Available = true
	f.Amdahl = fitAmdahl(cs, ss)
	f.USL = fitUSL(cs, ss)
	top := cs[len(cs)-1]
	for _, k := range []float64{2, 4} {
		c := k * top
		f.Predictions = append(f.Predictions, stats.Prediction{
			Cores: int(c), Amdahl: stats.Amdahl(f.Amdahl.Serial, c), USL: stats.USL(f.USL.Sigma, f.USL.Kappa, c),
		})
	}
	return f, nil
}

// Note: both fits are least squares on the speedups with relative
// residuals, Σ ((S_i − f(c_i)) / S_i)². Timing noise is multiplicative
// (a few per cent of the time, whatever the time), so plain residuals
// would give the largest speedups the largest noise and the most weight,
// and understate the standard errors.

// fitAmdahl minimises the relative squared residuals of
// 1/(s + (1−s)/c) over s in [0, 1]. The objective is one-dimensional and
// bounded, so a grid scan brackets the global minimum and golden-section
// search polishes it.
func fitAmdahl(cs, ss []float64) *stats.AmdahlFit {
	rss := func(s float64) float64 {
		var sum float64
		for i, c := range cs {
			d := (ss[i] - stats.Amdahl(s, c)) / ss[i]
			sum += d * d
		}
		return sum
	}
	const grid = 400
	best := 0
	for i := 1; i <= grid; i++ {
		if rss(float64(i)/grid) < rss(float64(best)/grid) {
			best = i
		}
	}
	lo, hi := math.Max(0, float64(best-1)/grid), math.Min(1, float64(best+1)/grid)
	s := goldenMin(rss, lo, hi)
	if rss(0) < rss(s) {
		s = 0
	}
	a := &stats.AmdahlFit{Serial: s, RMSE: rmse(cs, ss, func(c float64) float64 { return stats.Amdahl(s, c) })}
	if s > 0 {
		m := 1 / s
		a.MaxSpeedup = &m
	}
	if dof := len(cs) - 1; dof > 0 {
		var jj float64
		for i, c := range cs {
			f := stats.Amdahl(s, c)
			j := -(1 - 1/c) * f * f / ss[i] // ∂f/∂s, weighted
			jj += j * j
		}
		if jj > 0 {
			se := math.Sqrt(rss(s) / float64(dof) / jj)
			t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(dof)}.Quantile(0.975)
			l, h := s-t*se, s+t*se
			a.SerialSE, a.CILow, a.CIHigh = &se, &l, &h
		}
	}
	return a
}

// rmse is the root mean square residual of law in speedup units.
func rmse(cs, ss []float64, law func(float64) float64) float64 {
	var sum float64
	for i, c := range cs {
		d := ss[i] - law(c)
		sum += d * d
	}
	return math.Sqrt(sum / float64(len(cs)))
}

func goldenMin(f func(float64) float64, a, b float64) float64 {
	const inv = 0.6180339887498949
	c, d := b-inv*(b-a), a+inv*(b-a)
	for i := 0; i < 200 && b-a > 1e-12; i++ {
		if f(c) < f(d) {
			b = d
		} else {
			a = c
		}
		c, d = b-inv*(b-a), a+inv*(b-a)
	}
	return (a + b) / 2
}

// fitUSL fits σ and κ ≥ 0. The start is the linearisation
// c/S − 1 = σ(c−1) + κ·c(c−1), solved by least squares without intercept
// (with one parameter dropped when the other would go negative); gonum's
// Nelder–Mead then minimises the relative squared residuals of the
// speedups themselves, which the linearisation weighs unevenly. κ is searched as
// κ·c_max² so both parameters have the same scale.
func fitUSL(cs, ss []float64) *stats.USLFit {
	top := cs[len(cs)-1]
	scale := top * top
	rss := func(sigma, kappa float64) float64 {
		var sum float64
		for i, c := range cs {
			d := (ss[i] - stats.USL(sigma, kappa, c)) / ss[i]
			sum += d * d
		}
		return sum
	}
	sigma0, kappa0 := uslLinear(cs, ss)
	problem := optimize.Problem{Func: func(x []float64) float64 {
		return rss(math.Abs(x[0]), math.Abs(x[1])/scale)
	}}
	best := []float64{sigma0, kappa0 * scale}
	bestF := problem.Func(best)
	for _, start := range [][]float64{{sigma0, kappa0 * scale}, {0, 0}, {0.1, 0.1}} {
		res, err := optimize.Minimize(problem, start, &optimize.Settings{
			Converger:       &optimize.FunctionConverge{Absolute: 1e-15, Iterations: 200},
			FuncEvaluations: 20000,
		}, &optimize.NelderMead{SimplexSize: 0.02})
		if err == nil || res != nil {
			if res != nil && res.F < bestF {
				best, bestF = res.X, res.F
			}
		}
	}
	sigma, kappa := math.Abs(best[0]), math.Abs(best[1])/scale
	u := &stats.USLFit{Sigma: sigma, Kappa: kappa, RMSE: rmse(cs, ss, func(c float64) float64 { return stats.USL(sigma, kappa, c) })}
	if kappa > 0 && sigma < 1 {
		n := math.Sqrt((1 - sigma) / kappa)
		sp := stats.USL(sigma, kappa, n)
		u.PeakCores, u.PeakSpeedup = &n, &sp
	}
	if dof := len(cs) - 2; dof > 0 {
		// Cov = RSS/dof · (JᵀJ)⁻¹ with J = [∂f/∂σ ∂f/∂κ].
		var a, b, d float64
		for i, c := range cs {
			den := 1 + sigma*(c-1) + kappa*c*(c-1)
			js := -c * (c - 1) / (den * den) / ss[i]
			jk := -c * c * (c - 1) / (den * den) / ss[i]
			a, b, d = a+js*js, b+js*jk, d+jk*jk
		}
		if det := a*d - b*b; det > 0 {
			v := rss(sigma, kappa) / float64(dof)
			ses, sek := math.Sqrt(v*d/det), math.Sqrt(v*a/det)
			u.SigmaSE, u.KappaSE = &ses, &sek
		}
	}
	return u
}

// uslLinear solves c/S − 1 = σ(c−1) + κ·c(c−1) by least squares with
// σ, κ ≥ 0.
func uslLinear(cs, ss []float64) (sigma, kappa float64) {
	var xx, xz, zz, xy, zy float64
	for i, c := range cs {
		x, z, y := c-1, c*(c-1), c/ss[i]-1
		xx, xz, zz, xy, zy = xx+x*x, xz+x*z, zz+z*z, xy+x*y, zy+z*y
	}
	if det := xx*zz - xz*xz; det > 0 {
		sigma, kappa = (xy*zz-zy*xz)/det, (zy*xx-xy*xz)/det
		if sigma >= 0 && kappa >= 0 {
			return sigma, kappa
		}
	}
	// One parameter at its bound: fit the other alone, keep the better.
	s1, k2 := math.Max(0, xy/xx), math.Max(0, zy/zz)
	r := func(s, k float64) float64 {
		var sum float64
		for i, c := range cs {
			d := c/ss[i] - 1 - s*(c-1) - k*c*(c-1)
			sum += d * d
		}
		return sum
	}
	if r(s1, 0) <= r(0, k2) {
		return s1, 0
	}
	return 0, k2
}
