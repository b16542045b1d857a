// Package tickets opens helpdesk tickets for flagged accounts and reads the
// analysts' decisions back. The Helpdesk seam has three adapters: Request
// Tracker 5 over REST2 (RT), the Zendesk Tickets API (Zendesk, with a local
// fake in zendesktest) and a built-in JSON file queue (FileQueue).
//
// The Manager is the pipeline's ticket actor. Its rules follow how
// helpdesks are worked: queues are served oldest first, a comment
// re-timestamps a ticket and sends it to the back, and a duplicate ticket
// restarts the case. So:
//
//   - an account has at most one open ticket, looked up by external id
//     (RT custom field SharewatchAccount, Zendesk external_id) before any
//     ticket is created, so a restart or a redelivery never duplicates;
//   - new evidence is added to the open ticket as a comment only when the
//     verdict escalates (suspected_sharing → sharing, or ticket → hold) and
//     at most once per CommentMinInterval (24h) of event time;
//   - when the case comes undone (the devices the account was flagged for
//     stream as its household's own: scoring.ReasonFlaggedCameHome), the
//     open ticket gets one comment saying so, and is made urgent if the
//     account is held, since a customer may be held wrongly; this never
//     opens a ticket, and is said again only after a new escalation;
//   - holds are urgent, confirmed sharing is high, the rest normal;
//   - the ticket body has the verdict and score, the reasons in words, a
//     timeline of the account's recent flagged events (places, devices,
//     concurrency) and the command and query that show the full history.
//
// Act writes intents to a durable outbox (see outbox.go) and returns; Run
// sends them, retrying with backoff and honouring Retry-After, so a
// helpdesk outage or rate limit delays tickets but loses none. Outbox
// overflow policy: Act blocks (backpressure), it never drops.
//
// Decisions: RT custom field SharewatchDecision (sharing | not_sharing) with
// the reason in SharewatchReason, on a resolved ticket; Zendesk tag
// sharewatch_sharing or sharewatch_not_sharing on a solved ticket, with the
// reason in its latest comment; FileQueue.Resolve for the file queue.
//
// Metrics, registered on the injected prometheus.Registerer:
//
//   - sharewatch_tickets_opened_total: tickets created.
//   - sharewatch_tickets_updated_total: escalations and undone cases applied
//     (comment and/or priority change).
//   - sharewatch_tickets_open: tickets known to be open.
//   - sharewatch_tickets_oldest_open_age_seconds: age of the oldest open
//     ticket (SLA alert above 86400).
//   - sharewatch_tickets_open_age_seconds (histogram): how long tickets were
//     open when their decision was read back; buckets include 86400.
//   - sharewatch_tickets_helpdesk_errors_total{kind}: failed helpdesk
//     requests: rate_limited, server, client or network.
//   - sharewatch_tickets_outbox_pending: intents not yet sent.
//   - sharewatch_tickets_decisions_total{outcome}: decisions read back.
package tickets
