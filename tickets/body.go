package tickets

import (
	"container/list"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// reasonText says each reason code in words for analysts. Codes not listed
// are shown as they are.
var reasonText = map[string]string{
	scoring.ReasonConcurrentHouseholds: "another regular household streamed at the same time as this one on recent days",
	scoring.ReasonConcurrentNow:        "this session overlapped a session of another household",
	scoring.ReasonSecondHousehold:      "a second regular household, other than the owner's, uses the account",
	scoring.ReasonManyHouseholds:       "three or more households use the account",
	scoring.ReasonNewDeviceNewPlace:    "a brand-new device at a new place streamed while the household was active",
	scoring.ReasonDeviceTeleport:       "one device moved faster than any travel allows",
	scoring.ReasonTravelKnownDevice:    "the household's own device is away from home (travel)",
	scoring.ReasonHostingNetwork:       "the connection came from a hosting or VPN network, so its location was not used",
	scoring.ReasonCoarseLocation:       "the location was too imprecise to place a person",
	scoring.ReasonPrivateAddress:       "the address was private or not routable",
	scoring.ReasonUnknownLocation:      "the address was not in the GeoIP database",
	scoring.ReasonNewDevice:            "first time this device was seen",
	scoring.ReasonFailedLogin:          "a failed login (opens no session)",
	scoring.ReasonSingleHousehold:      "all activity fits one household",
	scoring.ReasonHouseholdConcurrency: "several sessions at once, all in one household",
	scoring.ReasonTravelHotel:          "a hotel's in-room TV: somebody staying away from home",
	scoring.ReasonTravelBusinessLine:   "a business-only carrier's line (a hotel, an office), not a home",
	scoring.ReasonTravelHomeCarrier:    "a device abroad also used a mobile carrier of the home's country, as a phone roaming from home does",
	scoring.ReasonApartFromHome:        "the other places were used only when one person could have travelled there from the home, never at the same time as it",
	scoring.ReasonScatteredHouseholds:  "three or more lines far apart, each with devices never seen elsewhere, were used within three days",
	scoring.ReasonFlaggedCameHome:      "devices the account was flagged for, as another household's, have since streamed as the household's own: the earlier flag may have been wrong",
	scoring.ReasonHeldShortSpan:        "not called sharing yet: the other household has not lasted long enough to rule out a long stay away",
	scoring.ReasonHeldQuiet:            "not called sharing yet: no streaming at the same time as the household lately, and too few active days",
	scoring.ReasonHeldShortHistory:     "not called sharing yet: the account's history is too short to rule out a trip begun before it",
	scoring.ReasonHeldNotRecent:        "not called sharing yet: no other household streamed in the last week",
}

func isConcurrent(reasons []string) bool {
	return slices.Contains(reasons, scoring.ReasonConcurrentNow) || slices.Contains(reasons, scoring.ReasonConcurrentHouseholds)
}

// seen is one verdict, as much as the timeline needs.
type seen struct {
	Time       time.Time
	EventID    string
	City       string
	Country    string
	Device     string
	Score      float64
	Label      scoring.Label
	Concurrent bool
}

func (s *seen) place() string {
	switch {
	case s.City != "" && s.Country != "":
		return s.City + " (" + s.Country + ")"
	case s.City != "":
		return s.City
	case s.Country != "":
		return s.Country
	}
	return "unknown place"
}

// history keeps the last few flagged verdicts of recently seen accounts,
// bounded in both directions: ringSize per account, maxAccounts accounts
// (least recently seen are forgotten first). It is not safe for concurrent
// use.
type history struct {
	ringSize, maxAccounts int
	lru                   *list.List // of *accountHistory, most recent at front
	byID                  map[string]*list.Element
}

type accountHistory struct {
	id    string
	ring  []seen
	next  int
	count int // verdicts ever added, for the "showing N of M" line
}

func newHistory(ringSize, maxAccounts int) *history {
	return &history{ringSize: ringSize, maxAccounts: maxAccounts, lru: list.New(), byID: map[string]*list.Element{}}
}

func (h *history) add(v *scoring.Verdict) {
	e := h.byID[v.AccountID]
	if e == nil {
		if h.lru.Len() >= h.maxAccounts {
			old := h.lru.Back()
			h.lru.Remove(old)
			delete(h.byID, old.Value.(*accountHistory).id)
		}
		e = h.lru.PushFront(&accountHistory{id: v.AccountID, ring: make([]seen, 0, h.ringSize)})
		h.byID[v.AccountID] = e
	} else {
		h.lru.MoveToFront(e)
	}
	a := e.Value.(*accountHistory)
	// A redelivered event is already in the ring.
	for i := range a.ring {
		if a.ring[i].EventID == v.EventID && v.EventID != "" {
			return
		}
	}
	s := seen{Time: v.Time, EventID: v.EventID, City: v.City, Country: v.Country, Device: v.DeviceID,
		Score: v.Score, Label: v.Verdict, Concurrent: isConcurrent(v.Reasons)}
	if len(a.ring) < h.ringSize {
		a.ring = append(a.ring, s)
	} else {
		a.ring[a.next] = s
		a.next = (a.next + 1) % h.ringSize
	}
	a.count++
}

// recent returns the account's remembered verdicts, oldest first.
func (h *history) recent(account string) ([]seen, int) {
	e := h.byID[account]
	if e == nil {
		return nil, 0
	}
	a := e.Value.(*accountHistory)
	out := make([]seen, 0, len(a.ring))
	out = append(out, a.ring[a.next:]...)
	out = append(out, a.ring[:a.next]...)
	slices.SortStableFunc(out, func(x, y seen) int { return x.Time.Compare(y.Time) })
	return out, a.count
}

// bodyInput is what a ticket body is made from.
type bodyInput struct {
	v              *scoring.Verdict
	action         string // effective action: ticket or hold
	holdSuppressed bool
	timeline       []seen
	total          int
	explainCmd     string
	historySQL     string
	resolveHint    string
}

func subject(v *scoring.Verdict, action string) string {
	prefix := ""
	if action == "hold" {
		prefix = "[HOLD] "
	}
	return fmt.Sprintf("%ssharewatch: account %s — %s (score %.2f)", prefix, v.AccountID, v.Verdict, v.Score)
}

// renderBody is the full ticket text.
func renderBody(in bodyInput) string {
	var b strings.Builder
	v := in.v
	fmt.Fprintf(&b, "Account %s: verdict %s, score %.2f (model %s).\n", v.AccountID, v.Verdict, v.Score, orDash(v.ModelVersion))
	switch {
	case in.action == "hold":
		b.WriteString("Action: the account is held. Review urgently: release it if this is not sharing.\n")
	case in.holdSuppressed:
		b.WriteString("Action: review only. The policy asked for a hold, but none was placed (automatic holds are paused by the blast-radius brake, or turned off); hold manually if confirmed.\n")
	default:
		b.WriteString("Action: review; no hold is in place.\n")
	}
	fmt.Fprintf(&b, "Flagged by event %s at %s.\n", orDash(v.EventID), v.Time.UTC().Format(time.RFC3339))
	writeWhy(&b, v)
	writeTimeline(&b, in.timeline, in.total)
	writeHistory(&b, in)
	if in.resolveHint != "" {
		fmt.Fprintf(&b, "\n%s A not_sharing decision releases any hold.\n", in.resolveHint)
	}
	return b.String()
}

// renderComment is the escalation comment: what changed, and the evidence.
func renderComment(in bodyInput, prev ticketState) string {
	var b strings.Builder
	v := in.v
	from := prev.Label.String()
	if prev.Action == "hold" {
		from += ", held"
	}
	to := v.Verdict.String()
	if in.action == "hold" {
		to += ", held"
	}
	fmt.Fprintf(&b, "Escalated: %s → %s, score %.2f, event %s at %s.\n", from, to, v.Score, orDash(v.EventID), v.Time.UTC().Format(time.RFC3339))
	if in.action == "hold" && prev.Action != "hold" {
		b.WriteString("The account is now held; priority raised to urgent.\n")
	}
	if in.holdSuppressed {
		b.WriteString("The policy asked for a hold, but none was placed (blast-radius brake engaged, or holds turned off).\n")
	}
	writeWhy(&b, v)
	writeTimeline(&b, in.timeline, in.total)
	writeHistory(&b, in)
	return b.String()
}

// renderUndone is the comment on a ticket whose case has come undone: the
// devices the account was flagged for now stream as its household's own
// (see scoring.ReasonFlaggedCameHome).
func renderUndone(in bodyInput, prev ticketState, held bool) string {
	var b strings.Builder
	v := in.v
	fmt.Fprintf(&b, "The case may have come undone: verdict now %s, score %.2f, event %s at %s.\n", v.Verdict, v.Score, orDash(v.EventID), v.Time.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "The devices this ticket is about (flagged %s) have since streamed as the household's own, on its networks.\n", prev.Label)
	if held {
		b.WriteString("The account is held on the earlier evidence: check now whether to release it. Priority urgent.\n")
	} else {
		b.WriteString("The account is not held. Weigh this before deciding; if the stay away explains the case, close it as not sharing.\n")
	}
	writeWhy(&b, v)
	writeTimeline(&b, in.timeline, in.total)
	writeHistory(&b, in)
	return b.String()
}

func writeWhy(b *strings.Builder, v *scoring.Verdict) {
	b.WriteString("\nWhy:\n")
	if v.Explanation != "" {
		fmt.Fprintf(b, "  %s\n", v.Explanation)
	}
	for _, r := range v.Reasons {
		if t, ok := reasonText[r]; ok {
			fmt.Fprintf(b, "  - %s (%s)\n", t, r)
		} else {
			fmt.Fprintf(b, "  - %s\n", r)
		}
	}
}

func writeTimeline(b *strings.Builder, tl []seen, total int) {
	if len(tl) == 0 {
		return
	}
	fmt.Fprintf(b, "\nTimeline (last %d of %d flagged events, UTC):\n", len(tl), total)
	places := map[string]int{}
	devices := map[string]bool{}
	concurrent := 0
	for i := range tl {
		s := &tl[i]
		c := ""
		if s.Concurrent {
			c = "  concurrent"
			concurrent++
		}
		fmt.Fprintf(b, "  %s  %-24s device %-12s %-17s %.2f%s\n", s.Time.UTC().Format("2006-01-02 15:04"), s.place(), orDash(s.Device), s.Label, s.Score, c)
		places[s.place()]++
		if s.Device != "" {
			devices[s.Device] = true
		}
	}
	ps := make([]string, 0, len(places))
	for _, p := range sortedKeys(places) {
		ps = append(ps, fmt.Sprintf("%s ×%d", p, places[p]))
	}
	fmt.Fprintf(b, "  Places: %s. Devices: %d. Concurrent with another household: %d of %d.\n",
		strings.Join(ps, ", "), len(devices), concurrent, len(tl))
}

func writeHistory(b *strings.Builder, in bodyInput) {
	b.WriteString("\nFull history:\n")
	fmt.Fprintf(b, "  %s\n", in.explainCmd)
	fmt.Fprintf(b, "  %s\n", in.historySQL)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func sqlQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
