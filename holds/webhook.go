package holds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookOptions configure a WebhookPublisher.
type WebhookOptions struct {
	// URL receives one POST per command, the command as JSON, with an
	// Idempotency-Key header set to its command_id.
	URL string
	// Timeout bounds one request.
	// Default: 10s
	Timeout time.Duration
	// MaxAttempts bounds the tries per command within one Publish call;
	// the Holder calls Publish again until it succeeds.
	// Default: 5
	MaxAttempts int
	// HTTPClient sends the requests.
	// Default: http.DefaultClient with Timeout
	HTTPClient *http.Client
}

// WebhookPublisher POSTs commands to a URL. 2xx is success; 408, 429 and
// 5xx are retried with backoff (honouring Retry-After); other answers
// fail the call.
type WebhookPublisher struct {
	o WebhookOptions
}

// ErrWebhookURL is returned by NewWebhookPublisher without a URL.
var ErrWebhookURL = errors.New("holds.webhook.url: missing")

// NewWebhookPublisher builds a webhook publisher.
func NewWebhookPublisher(o WebhookOptions) (*WebhookPublisher, error) {
	if o.URL == "" {
		return nil, ErrWebhookURL
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Timeout}
	}
	return &WebhookPublisher{o: o}, nil
}

// WebhookError is a non-2xx answer.
type WebhookError struct {
	Status     int
	RetryAfter time.Duration
}

func (e *WebhookError) Error() string { return fmt.Sprintf("webhook answered HTTP %d", e.Status) }

// Temporary reports whether a retry may succeed.
func (e *WebhookError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// Publish implements Publisher, one command at a time, in order.
func (p *WebhookPublisher) Publish(ctx context.Context, cmds []Command) error {
	for i := range cmds {
		if err := p.send(ctx, &cmds[i]); err != nil {
			return fmt.Errorf("webhook %s for %s: %w", cmds[i].Command, cmds[i].AccountID, err)
		}
	}
	return nil
}

func (p *WebhookPublisher) send(ctx context.Context, c *Command) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	delay := 100 * time.Millisecond
	var last error
	for attempt := 1; ; attempt++ {
		last = p.post(ctx, c.CommandID, body)
		var we *WebhookError
		if last == nil {
			return nil
		}
		if errors.As(last, &we) && !we.Temporary() {
			return last
		}
		if attempt >= p.o.MaxAttempts || ctx.Err() != nil {
			return last
		}
		d := delay/2 + rand.N(delay/2+1)
		if errors.As(last, &we) && we.RetryAfter > d {
			d = we.RetryAfter
		}
		delay = min(2*delay, 10*time.Second)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(last, ctx.Err())
		case <-t.C:
		}
	}
}

func (p *WebhookPublisher) post(ctx context.Context, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	resp, err := p.o.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	we := &WebhookError{Status: resp.StatusCode}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
		we.RetryAfter = time.Duration(s) * time.Second
	}
	return we
}
