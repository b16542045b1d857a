package verdictstore

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestWriteTimeoutConn(t *testing.T) {
	const timeout = 50 * time.Millisecond
	tests := []struct {
		name     string
		deadline time.Duration // set by the driver; 0 none
		cleared  bool          // and cleared again
		readerAt time.Duration // when the peer starts reading; <0 never
		wantErr  bool
	}{
		{"peer reads", 0, false, 0, false},
		{"peer never reads", 0, false, -1, true},
		{"driver's later deadline wins", 4 * timeout, false, 2 * timeout, false},
		{"driver's deadline passes", timeout / 2, false, -1, true},
		{"driver's deadline cleared", 4 * timeout, true, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, server := net.Pipe() // unbuffered: a write waits for a read
			defer client.Close()
			defer server.Close()
			c := &writeTimeoutConn{Conn: client, timeout: timeout}
			if tc.deadline > 0 {
				if err := c.SetDeadline(time.Now().Add(tc.deadline)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.cleared {
				if err := c.SetDeadline(time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.readerAt >= 0 {
				go func() {
					time.Sleep(tc.readerAt)
					_, _ = io.Copy(io.Discard, server)
				}()
			}
			start := time.Now()
			_, err := c.Write([]byte("data block"))
			if tc.wantErr != (err != nil) {
				t.Fatalf("Write after %v: err = %v, want error %v", time.Since(start), err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Write: %v, want a deadline error", err)
			}
		})
	}
}

// TestDialWithWriteTimeout dials as the driver would, over TLS too, and
// keeps the socket reachable for the driver's liveness check.
func TestDialWithWriteTimeout(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"tcp", false}, {"tls", true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tlsConfig
			if !tc.tls {
				cfg = nil
			}
			dial := dialWithWriteTimeout(time.Second, time.Second, cfg)
			conn, err := dial(context.Background(), srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.(*writeTimeoutConn).SyscallConn(); err != nil {
				t.Fatalf("SyscallConn: %v", err)
			}
			if !tc.tls {
				return
			}
			if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.TrimSpace(string(body)) != "ok" {
				t.Fatalf("body %q over TLS, want ok", body)
			}
		})
	}
}
