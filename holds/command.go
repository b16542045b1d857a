package holds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Command kinds.
const (
	CommandHold    = "hold"
	CommandRelease = "release"
)

// Command is the hold contract: one JSON object per Kafka message, keyed
// by account_id (schema.json is its JSON Schema). Consumers must treat
// command_id as an idempotency key: a command may be published more than
// once (after a crash, a retry, a redelivery) and always with the same id.
type Command struct {
	// Command is hold or release.
	Command   string `json:"command"`
	AccountID string `json:"account_id"`
	// CommandID is CommandID(account_id, event_id, command) for holds; for
	// releases the event is the hold's command_id, so releasing one hold
	// twice gives one id.
	CommandID string `json:"command_id"`
	// Time is when sharewatch issued the command (UTC).
	Time time.Time `json:"time"`
	// Reason is why, in words: the verdict's reasons for a hold, the
	// analyst's or operator's reason for a release.
	Reason string `json:"reason"`
	// Score and Verdict are the verdict that led to the hold (for a
	// release, those of the hold it releases).
	Score        float64 `json:"score"`
	Verdict      string  `json:"verdict"`
	ModelVersion string  `json:"model_version"`
	// TicketRef is the helpdesk ticket, when known ("rt:12").
	TicketRef string `json:"ticket_ref"`
	// EventID is the login event whose verdict led to the hold (for a
	// release, to the hold it releases).
	EventID string `json:"event_id"`
	// EventTime is that event's time.
	EventTime time.Time `json:"event_time"`
	// Actor is who issued it: "sharewatch" for automatic holds, else the
	// analyst or operator.
	Actor string `json:"actor"`
}

// CommandID is the deterministic id of a command: the first 128 bits of
// SHA-256 over account, event and command, hex encoded.
func CommandID(accountID, eventID, command string) string {
	h := sha256.New()
	for _, s := range []string{accountID, eventID, command} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Publisher delivers commands to a hold sink. Publish returns nil only
// when every command is delivered (acknowledged); it may be called again
// with the same commands after a failure.
type Publisher interface {
	Publish(ctx context.Context, cmds []Command) error
}
