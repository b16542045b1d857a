// Package rules maps a verdict to an action with a versioned YAML policy:
// none, ticket (a human reviews the case) or hold (the account is held and
// a ticket is opened). The first matching rule wins. Allowlists by account,
// CIDR and ASN take precedence over every rule, and a rule in dry-run mode
// only logs what it would have done.
package rules

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/sharewatch/sharewatch/scoring"
)

// Action is what the pipeline does about a verdict.
type Action string

// Actions, in increasing severity.
const (
	ActionNone   Action = "none"
	ActionTicket Action = "ticket"
	ActionHold   Action = "hold"
)

func (a Action) severity() int {
	switch a {
	case ActionTicket:
		return 1
	case ActionHold:
		return 2
	}
	return 0
}

// Policy is the YAML policy file.
type Policy struct {
	// Version identifies the policy; it is recorded with every action.
	Version   string    `yaml:"version"`
	Allowlist Allowlist `yaml:"allowlist"`
	Rules     []Rule    `yaml:"rules"`

	cidrs []netip.Prefix
}

// Allowlist exempts accounts, networks and ASNs from every action.
type Allowlist struct {
	Accounts []string `yaml:"accounts"`
	CIDRs    []string `yaml:"cidrs"`
	ASNs     []uint32 `yaml:"asns"`
}

// Rule matches verdicts and names an action.
type Rule struct {
	Name string `yaml:"name"`
	// When: every condition set must hold.
	When Match `yaml:"when"`
	// Action is none, ticket or hold.
	Action Action `yaml:"action"`
	// DryRun logs the match but applies no action (action stays none).
	DryRun bool `yaml:"dry_run"`

	line int
}

// Match conditions; zero values match everything.
type Match struct {
	// Verdict is the least severe verdict that matches, e.g. suspected_sharing.
	Verdict string `yaml:"verdict"`
	// MinScore is the lowest score that matches.
	MinScore float64 `yaml:"min_score"`
	// AnyReason matches when the verdict has at least one of these reasons.
	AnyReason []string `yaml:"any_reason"`
	// AllReasons matches when the verdict has every one of these reasons.
	AllReasons []string `yaml:"all_reasons"`

	label scoring.Label
}

//go:embed default.yml
var defaultPolicy []byte

// Default returns the built-in policy (rules/default.yml).
func Default() *Policy {
	p, err := Parse(defaultPolicy)
	if err != nil {
		panic("rules: built-in policy is invalid: " + err.Error())
	}
	return p
}

// Load reads and validates a policy file.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Sentinel errors of policy validation.
var (
	ErrNoVersion     = errors.New("version is required")
	ErrBadAction     = errors.New("action must be none, ticket or hold")
	ErrBadVerdict    = errors.New("verdict must be ok, travel, suspected_sharing or sharing")
	ErrBadScore      = errors.New("min_score must be between 0 and 1")
	ErrBadCIDR       = errors.New("not a CIDR")
	ErrNoName        = errors.New("rule name is required")
	ErrDuplicateName = errors.New("duplicate rule name")
)

// PolicyError is a validation error at a line of the policy file.
type PolicyError struct {
	Line int
	Err  error
}

func (e *PolicyError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *PolicyError) Unwrap() error { return e.Err }

// Parse decodes and validates a policy. Unknown fields are errors, and every
// error carries the line it refers to.
func Parse(b []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	lines := ruleLines(&root)
	var errs []error
	at := func(line int, err error) { errs = append(errs, &PolicyError{Line: line, Err: err}) }
	if p.Version == "" {
		at(1, ErrNoVersion)
	}
	for i, c := range p.Allowlist.CIDRs {
		pr, err := netip.ParsePrefix(c)
		if err != nil {
			at(lines.cidr(i), fmt.Errorf("allowlist.cidrs: %q: %w", c, ErrBadCIDR))
			continue
		}
		p.cidrs = append(p.cidrs, pr.Masked())
	}
	names := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		r.line = lines.rule(i)
		if r.Name == "" {
			at(r.line, ErrNoName)
		} else if names[r.Name] {
			at(r.line, fmt.Errorf("%w: %q", ErrDuplicateName, r.Name))
		}
		names[r.Name] = true
		switch r.Action {
		case ActionNone, ActionTicket, ActionHold:
		default:
			at(r.line, fmt.Errorf("rule %q: action %q: %w", r.Name, r.Action, ErrBadAction))
		}
		if r.When.Verdict != "" {
			l, err := scoring.ParseLabel(r.When.Verdict)
			if err != nil {
				at(r.line, fmt.Errorf("rule %q: verdict %q: %w", r.Name, r.When.Verdict, ErrBadVerdict))
			}
			r.When.label = l
		}
		if r.When.MinScore < 0 || r.When.MinScore > 1 {
			at(r.line, fmt.Errorf("rule %q: %w", r.Name, ErrBadScore))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &p, nil
}

type nodeLines struct{ rules, cidrs []int }

func (n nodeLines) rule(i int) int {
	if i < len(n.rules) {
		return n.rules[i]
	}
	return 0
}

func (n nodeLines) cidr(i int) int {
	if i < len(n.cidrs) {
		return n.cidrs[i]
	}
	return 0
}

func ruleLines(root *yaml.Node) nodeLines {
	var out nodeLines
	if root == nil || len(root.Content) == 0 {
		return out
	}
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch k.Value {
		case "rules":
			for _, r := range v.Content {
				out.rules = append(out.rules, r.Line)
			}
		case "allowlist":
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "cidrs" {
					for _, c := range v.Content[j+1].Content {
						out.cidrs = append(out.cidrs, c.Line)
					}
				}
			}
		}
	}
	return out
}

// Decision is the outcome of evaluating a verdict.
type Decision struct {
	Action Action
	Rule   string // the matching rule, "" when none matched
	// DryRun is set when a dry-run rule matched: Action is none and
	// WouldAction is what the rule would have done.
	DryRun      bool
	WouldAction Action
	Allowlisted bool
}

// Decide evaluates the policy for a verdict.
func (p *Policy) Decide(v *scoring.Verdict) Decision {
	if p.allowlisted(v) {
		return Decision{Action: ActionNone, Allowlisted: true}
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.When.matches(v) {
			continue
		}
		if r.DryRun {
			return Decision{Action: ActionNone, Rule: r.Name, DryRun: true, WouldAction: r.Action}
		}
		return Decision{Action: r.Action, Rule: r.Name}
	}
	return Decision{Action: ActionNone}
}

func (p *Policy) allowlisted(v *scoring.Verdict) bool {
	if slices.Contains(p.Allowlist.Accounts, v.AccountID) {
		return true
	}
	if v.ASN != 0 && slices.Contains(p.Allowlist.ASNs, v.ASN) {
		return true
	}
	if len(p.cidrs) > 0 {
		if ip, err := netip.ParseAddr(v.IP); err == nil {
			for _, c := range p.cidrs {
				if c.Contains(ip.Unmap()) {
					return true
				}
			}
		}
	}
	return false
}

func (m *Match) matches(v *scoring.Verdict) bool {
	if m.Verdict != "" && v.Verdict < m.label {
		return false
	}
	if v.Score < m.MinScore {
		return false
	}
	if len(m.AnyReason) > 0 && !slices.ContainsFunc(m.AnyReason, func(r string) bool { return slices.Contains(v.Reasons, r) }) {
		return false
	}
	for _, r := range m.AllReasons {
		if !slices.Contains(v.Reasons, r) {
			return false
		}
	}
	return true
}

// Max returns the more severe action.
func Max(a, b Action) Action {
	if b.severity() > a.severity() {
		return b
	}
	return a
}
