package verdictstore

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"
	"time"
)

// dialWithWriteTimeout returns a DialContext for the driver that dials as
// the driver would (TCP, TLS when tlsConfig is set) and bounds every write
// made without a deadline of the driver's own.
//
// Inserts send their data blocks with batch.Flush, which writes with no
// deadline and no context watchdog (only PrepareBatch and Send have those).
// Without a bound, a server that stops reading mid-insert, or a network that
// drops packets, would stall the write until TCP gives up, many minutes
// later, instead of failing the attempt so that it is retried.
func dialWithWriteTimeout(dialTimeout, writeTimeout time.Duration, tlsConfig *tls.Config) func(context.Context, string) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	return func(ctx context.Context, addr string) (net.Conn, error) {
		var (
			c   net.Conn
			err error
		)
		if tlsConfig != nil {
			c, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
		} else {
			c, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		return &writeTimeoutConn{Conn: c, timeout: writeTimeout}, nil
	}
}

// writeTimeoutConn sets a write deadline timeout ahead before each write,
// unless the driver has set a deadline of its own. The driver uses a
// connection from one goroutine at a time; only Close comes from another.
// It passes the socket through SyscallConn, which the driver's pool uses to
// find connections the server has closed.
type writeTimeoutConn struct {
	net.Conn
	timeout time.Duration
	fixed   bool // a write deadline set by the driver is in force
}

func (c *writeTimeoutConn) Write(b []byte) (int, error) {
	if !c.fixed {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(b)
}

func (c *writeTimeoutConn) SetDeadline(t time.Time) error {
	c.fixed = !t.IsZero()
	return c.Conn.SetDeadline(t)
}

func (c *writeTimeoutConn) SetWriteDeadline(t time.Time) error {
	c.fixed = !t.IsZero()
	return c.Conn.SetWriteDeadline(t)
}

// SyscallConn returns the TCP socket's, below TLS if any, as the driver
// would find it on a connection it dialled itself.
func (c *writeTimeoutConn) SyscallConn() (syscall.RawConn, error) {
	conn := c.Conn
	if t, ok := conn.(*tls.Conn); ok {
		conn = t.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}
