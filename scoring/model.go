package scoring

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// Feature names, in vector order. They are scale-free counts so a model
// fitted on one population transfers to another.
var FeatureNames = []string{
	"conflict_days_14",   // log1p(days other households streamed at the same time as another, last 14 days)
	"conflict_now",       // this session overlaps another household's session now
	"foreign_households", // log1p(persistent households not linked to the owner's, active in 28 days)
	"foreign_days_28",    // log1p(days the most persistent such household was active, last 28 days)
	"foreign_span_28",    // log1p(days from its first to its last activity, last 28 days)
	"foreign_devices",    // log1p(devices belonging only to such households)
	"newcomer_days_7",    // log1p(days a brand-new device at a new place overlapped the household)
	"teleport_days_14",   // log1p(days a device moved faster than any travel allows)
	"foreign_gaps_28",    // log1p(quiet days within that household's span): intermittent use over a long time is a household's habit, a contiguous block is a stay
}

const nFeatures = 9

// Features are the signals the model combines for one event.
type Features [nFeatures]float64

// Model is a logistic model: score = σ(bias + Σ wᵢ·xᵢ). Its output is the
// probability that the account is being shared, calibrated on labelled
// populations the model was fitted on.
type Model struct {
	Version  string    `json:"version"`
	Features []string  `json:"features"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
	// Thresholds are the calibrated score cut-offs for suspected_sharing
	// and sharing; config values override them.
	Thresholds Thresholds `json:"thresholds"`
	// Trained describes the data the model was fitted on.
	Trained map[string]any `json:"trained,omitempty"`
}

//go:embed model.json
var builtinModel []byte

// BuiltinModel returns the model shipped with this build.
func BuiltinModel() (*Model, error) { return ParseModel(builtinModel) }

// LoadModel reads a model file.
func LoadModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading model: %w", err)
	}
	return ParseModel(b)
}

// ErrModelShape is returned for a model whose features don't match this build.
var ErrModelShape = errors.New("model features do not match this build")

// ParseModel decodes and checks a model.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding model: %w", err)
	}
	if len(m.Weights) != nFeatures || len(m.Features) != nFeatures {
		return nil, fmt.Errorf("%w: have %d weights, want %d", ErrModelShape, len(m.Weights), nFeatures)
	}
	for i, f := range m.Features {
		if f != FeatureNames[i] {
			return nil, fmt.Errorf("%w: feature %d is %q, want %q", ErrModelShape, i, f, FeatureNames[i])
		}
	}
	if m.Version == "" {
		return nil, fmt.Errorf("%w: missing version", ErrModelShape)
	}
	if m.Thresholds == (Thresholds{}) {
		m.Thresholds = Thresholds{Suspected: 0.5, Sharing: 0.9}
	}
	if t := m.Thresholds; !(t.Suspected > 0 && t.Suspected < t.Sharing && t.Sharing <= 1) {
		return nil, fmt.Errorf("%w: thresholds %+v", ErrBadThresholds, t)
	}
	return &m, nil
}

// Thresholds map a score to a verdict.
type Thresholds struct {
	Suspected float64 `json:"suspected"`
	Sharing   float64 `json:"sharing"`
}

// Score returns σ(bias + w·x).
func (m *Model) Score(x *Features) float64 {
	z := m.Bias
	for i, w := range m.Weights {
		z += w * x[i]
	}
	return sigmoid(z)
}

// Contributions returns each feature's share of the logit, for explaining.
func (m *Model) Contributions(x *Features) (c Features) {
	for i, w := range m.Weights {
		c[i] = w * x[i]
	}
	return c
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Sample is one labelled feature vector for fitting.
type Sample struct {
	X      Features
	Y      float64 // 1 = the account is being shared at this event
	Weight float64 // sample weight, 0 means 1
}

// FitOptions tune Fit.
type FitOptions struct {
	L2 float64 // ridge penalty on weights (not the bias). Default 1e-3 per sample.
}

// Fit fits a logistic model by maximum penalised likelihood with gonum's
// BFGS. Samples are weighted so every account counts about equally however
// many events it has (the caller sets Weight).
func Fit(samples []Sample, opts FitOptions) (weights []float64, bias float64, err error) {
	if len(samples) == 0 {
		return nil, 0, errors.New("fit: no samples")
	}
	var wsum float64
	for _, s := range samples {
		wsum += weightOf(s)
	}
	l2 := opts.L2
	if l2 == 0 {
		l2 = 1e-3
	}
	// Parameters: [bias, w0..w7].
	nll := func(p []float64) float64 {
		var f float64
		for i := range samples {
			s := &samples[i]
			z := p[0] + floats.Dot(p[1:], s.X[:])
			// log(1+e^z) - y z, computed stably.
			f += weightOf(*s) * (softplus(z) - s.Y*z)
		}
		f /= wsum
		for _, w := range p[1:] {
			f += 0.5 * l2 * w * w
		}
		return f
	}
	grad := func(g, p []float64) {
		for i := range g {
			g[i] = 0
		}
		for i := range samples {
			s := &samples[i]
			z := p[0] + floats.Dot(p[1:], s.X[:])
			r := weightOf(*s) * (sigmoid(z) - s.Y)
			g[0] += r
			for j := 0; j < nFeatures; j++ {
				g[j+1] += r * s.X[j]
			}
		}
		for i := range g {
			g[i] /= wsum
		}
		for j := 1; j < len(p); j++ {
			g[j] += l2 * p[j]
		}
	}
	p := optimize.Problem{Func: nll, Grad: grad}
	res, err := optimize.Minimize(p, make([]float64, nFeatures+1), &optimize.Settings{GradientThreshold: 1e-7}, &optimize.BFGS{})
	if err != nil && res == nil {
		return nil, 0, fmt.Errorf("fit: %w", err)
	}
	return res.X[1:], res.X[0], nil
}

func weightOf(s Sample) float64 {
	if s.Weight == 0 {
		return 1
	}
	return s.Weight
}

func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	if z < -30 {
		return math.Exp(z)
	}
	return math.Log1p(math.Exp(z))
}
