package stats

import (
	"math"
)

// MinFitCores is the fewest distinct core counts a scaling fit needs.
const MinFitCores = 3

// ScalingFit is the scaling analysis of speedups measured over core
// counts: Amdahl's law, the Universal Scalability Law and the Karp–Flatt
// metric. Fits with fewer than MinFitCores core counts are not available,
// and Reason says why; the Karp–Flatt figures of the points are given
// whenever there is a point with c > 1.
type ScalingFit struct {
	Points []FitPoint `json:"points"`
	// Available reports whether Amdahl and USL were fitted.
	Available bool       `json:"available"`
	Reason    string     `json:"reason,omitempty"`
	Amdahl    *AmdahlFit `json:"amdahl,omitempty"`
	USL       *USLFit    `json:"usl,omitempty"`
	// Predictions are extrapolations of both laws beyond the largest
	// measured core count (2× and 4× it): predictions, not measurements.
	Predictions []Prediction `json:"predictions,omitempty"`
}

// FitPoint is one measured core count of a fit.
type FitPoint struct {
	Cores   int     `json:"cores"`
	Speedup float64 `json:"speedup"`
	// KarpFlatt is the experimentally determined serial fraction
	// e = (1/ψ − 1/c) / (1 − 1/c); nil at c = 1, where it is undefined.
	KarpFlatt *float64 `json:"karp_flatt"`
}

// AmdahlFit is the least-squares fit of speedup(c) = 1 / (s + (1−s)/c).
type AmdahlFit struct {
	// Serial is the serial fraction s, constrained to [0, 1].
	Serial float64 `json:"serial"`
	// SerialSE is the standard error of s from the Jacobian of the fit
	// (nil with no residual degree of freedom); CILow..CIHigh is the 95 %
	// Student-t interval s ± t·SE.
	SerialSE *float64 `json:"serial_se"`
	CILow    *float64 `json:"serial_ci_low"`
	CIHigh   *float64 `json:"serial_ci_high"`
	// MaxSpeedup is the limit 1/s as c grows (nil when s = 0).
	MaxSpeedup *float64 `json:"max_speedup"`
	// RMSE is the root mean square residual in speedup units.
	RMSE float64 `json:"rmse"`
}

// USLFit is the least-squares fit of Gunther's Universal Scalability Law,
// speedup(c) = c / (1 + σ(c−1) + κ·c(c−1)), with σ, κ ≥ 0.
type USLFit struct {
	// Sigma is contention (the serialised share), Kappa coherency (the
	// cost of keeping c workers consistent, growing with c²).
	Sigma   float64  `json:"sigma"`
	Kappa   float64  `json:"kappa"`
	SigmaSE *float64 `json:"sigma_se"`
	KappaSE *float64 `json:"kappa_se"`
	// PeakCores is the predicted core count of the highest speedup,
	// √((1−σ)/κ); nil when κ = 0 (speedup grows without a peak).
	PeakCores   *float64 `json:"predicted_peak_cores"`
	PeakSpeedup *float64 `json:"predicted_peak_speedup"`
	RMSE        float64  `json:"rmse"`
}

// Prediction is the speedup both laws predict at a core count that was
// not measured.
type Prediction struct {
	Cores  int     `json:"cores"`
	Amdahl float64 `json:"amdahl_predicted_speedup"`
	USL    float64 `json:"usl_predicted_speedup"`
}

// Amdahl returns 1 / (s + (1−s)/c).
func Amdahl(s, c float64) float64 { return 1 / (s + (1-s)/c) }

// USL returns c / (1 + σ(c−1) + κ·c(c−1)).
func USL(sigma, kappa, c float64) float64 {
	return c / (1 + sigma*(c-1) + kappa*c*(c-1))
}

// KarpFlatt returns the experimentally determined serial fraction of
// speedup psi on c cores, (1/ψ − 1/c) / (1 − 1/c). It is NaN at c ≤ 1.
func KarpFlatt(psi float64, c int) float64 {
	if c <= 1 {
		return math.NaN()
	}
	inv := 1 / float64(c)
	return (1/psi - inv) / (1 - inv)
}
