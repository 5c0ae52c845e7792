package esignet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenLifetimeClamped: expires_in is the server's word; whatever it
// says, the lifetime stays within [10 s, 24 h], and nonsense (negative,
// zero, non-numeric) means the 60 s default.
func TestTokenLifetimeClamped(t *testing.T) {
	tests := []struct {
		expiresIn string // raw JSON, "" = member absent
		want      time.Duration
	}{
		{"", 60 * time.Second},
		{"300", 300 * time.Second},
		{"299.9", 299900 * time.Millisecond},
		{`"300"`, 300 * time.Second}, // some servers send a string
		{"0", 60 * time.Second},
		{"-5", 60 * time.Second},
		{"-9223372036854775808", 60 * time.Second},
		{"-1e300", 60 * time.Second},
		{"1", time.Second},
		{"0.001", time.Second},
		{"4", 4 * time.Second}, // kept as short as the server says: never an expired token
		{"10", 10 * time.Second},
		{"86400", 24 * time.Hour},
		{"86401", 24 * time.Hour},
		{"9223372036854775807", 24 * time.Hour},
		{"9223372036854775808", 24 * time.Hour},
		{"18446744073709551616", 24 * time.Hour},
		{"1e300", 24 * time.Hour},
		{"1e400", 24 * time.Hour}, // overflows float64 too
		{"1" + fmt.Sprintf("%0400d", 0), 24 * time.Hour},
		{`"NaN"`, 60 * time.Second},
		{`"Infinity"`, 60 * time.Second},
		{`"-Inf"`, 60 * time.Second},
		{`"1e300"`, 24 * time.Hour},
		{`"0x10"`, 60 * time.Second},
		{`"soon"`, 60 * time.Second},
		{`""`, 60 * time.Second},
		{"null", 60 * time.Second},
		{"true", 60 * time.Second},
		{"[300]", 60 * time.Second},
		{`{"s":300}`, 60 * time.Second},
	}
	for _, tt := range tests {
		body := `{"access_token":"tok","token_type":"Bearer"`
		if tt.expiresIn != "" {
			body += `,"expires_in":` + tt.expiresIn
		}
		body += "}"
		tok, got, err := parseTokenResponse(200, []byte(body))
		if err != nil || tok != "tok" {
			t.Errorf("expires_in %s: token %q, err %v", tt.expiresIn, tok, err)
			continue
		}
		if got != tt.want {
			t.Errorf("expires_in %.40s: lifetime %v, want %v", tt.expiresIn, got, tt.want)
		}
	}
}

// TestHugeExpiresInDoesNotRefetch: with a lifetime that overflowed
// time.Duration the token was already expired when cached, so every call
// fetched a new one.
func TestHugeExpiresInDoesNotRefetch(t *testing.T) {
	for _, exp := range []string{"1e300", "9223372036854775807", "1e19"} {
		var fetches atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := fetches.Add(1)
			fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%s}`, n, exp)
		}))
		clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
		cc := newCC(t, srv.URL, clock)
		for range 3 {
			if _, err := cc.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			clock.Add(time.Minute)
		}
		srv.Close()
		if n := fetches.Load(); n != 1 {
			t.Errorf("expires_in %s: %d fetches in 3 minutes, want 1", exp, n)
		}
		// …and it is still refreshed within a day.
		clock.Add(24 * time.Hour)
		cc.mu.Lock()
		expired := !clock.Now().Before(cc.expiry)
		cc.mu.Unlock()
		if !expired {
			t.Errorf("expires_in %s: token still cached after 24 h", exp)
		}
	}
}
