package esignet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rotatingSource hands out tok-1, tok-2, … and counts Invalidate calls.
type rotatingSource struct {
	mu          sync.Mutex
	n           int
	invalidated []string
}

func (s *rotatingSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		s.n = 1
	}
	return fmt.Sprintf("tok-%d", s.n), nil
}

func (s *rotatingSource) Invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, tok)
	s.n++
}

func TestUnauthorizedRetriesOnceWithFreshToken(t *testing.T) {
	tests := []struct {
		name        string
		ts          func() TokenSource
		replies     []reply
		wantReqs    int
		wantErr     bool
		wantAuthSeq []string
	}{
		{"refresh then success", func() TokenSource { return &rotatingSource{} },
			[]reply{{Status: 401}, {Status: 200, Body: okBody}}, 2, false, []string{"Bearer tok-1", "Bearer tok-2"}},
		{"refresh then 401 again: no third try", func() TokenSource { return &rotatingSource{} },
			[]reply{{Status: 401}}, 2, true, []string{"Bearer tok-1", "Bearer tok-2"}},
		{"static token: no retry", func() TokenSource { return NewStaticToken("static") },
			[]reply{{Status: 401}}, 1, true, []string{"Bearer static"}},
		{"403 is not retried", func() TokenSource { return &rotatingSource{} },
			[]reply{{Status: 403}}, 1, true, []string{"Bearer tok-1"}},
		{"200 + unknown_error auth is not retried", func() TokenSource { return &rotatingSource{} },
			[]reply{{Status: 200, Body: errBody("unknown_error", "Full authentication is required")}}, 1, true, []string{"Bearer tok-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.replies...)
			c := newTestClient(t, rec.srv.URL, V1_8, tt.ts())
			_, err := c.Create(context.Background(), detailFor(V1_8))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && KindOf(err) != KindAuth {
				t.Errorf("kind = %v, want Auth", KindOf(err))
			}
			reqs := rec.requests()
			if len(reqs) != tt.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tt.wantReqs)
			}
			for i, want := range tt.wantAuthSeq {
				if got := reqs[i].Header.Get("Authorization"); got != want {
					t.Errorf("request %d Authorization = %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestConcurrencyLimit(t *testing.T) {
	var inFlight, maxSeen atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		fmt.Fprint(w, okBody)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1/esignet", AllowInsecureHTTP: true, MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Create(context.Background(), detailFor(V1_8)); err != nil {
				t.Error(err)
			}
		})
	}
	// A waiter whose context ends gives up without a request.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	time.Sleep(50 * time.Millisecond) // let two requests occupy the slots
	_, werr := c.Create(ctx, detailFor(V1_8))
	if !errors.Is(werr, context.DeadlineExceeded) || KindOf(werr) != KindTransient {
		t.Errorf("waiting caller: err = %v, want deadline exceeded (transient)", werr)
	}
	close(release)
	wg.Wait()
	if got := maxSeen.Load(); got != 2 {
		t.Errorf("max in-flight = %d, want exactly 2", got)
	}
}

// newCA makes a self-signed CA and a server certificate for 127.0.0.1.
func newCA(t *testing.T) (caPEM []byte, serverCert tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "esignet"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: ipLoopback(), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestCABundleTLS(t *testing.T) {
	caPEM, cert := newCA(t)
	otherCA, _ := newCA(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, okBody)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // expected handshake failures
	srv.StartTLS()
	defer srv.Close()

	tests := []struct {
		name   string
		bundle []byte
		want   Kind // KindNone = success
	}{
		{"own CA", caPEM, KindNone},
		{"other CA only", otherCA, KindTerminal},
		{"system roots", nil, KindTerminal},
	}
	for _, tt := range tests {
		hc, err := NewHTTPClient(tt.bundle, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(Config{BaseURL: srv.URL + "/v1/esignet", HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(context.Background(), detailFor(V1_8))
		if KindOf(err) != tt.want {
			t.Errorf("%s: err = %v (kind %v), want kind %v", tt.name, err, KindOf(err), tt.want)
		}
		var re *RequestError
		if err != nil && (!errors.As(err, &re) || !strings.Contains(err.Error(), "esignet create")) {
			t.Errorf("%s: TLS failure not wrapped with operation: %v", tt.name, err)
		}
	}
}

func TestNewHTTPClient(t *testing.T) {
	if _, err := NewHTTPClient([]byte("not a pem"), 0); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("garbage bundle: err = %v", err)
	}
	hc, err := NewHTTPClient(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 30*time.Second {
		t.Errorf("default timeout = %v", hc.Timeout)
	}
	tr := hc.Transport.(*http.Transport)
	if tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.RootCAs != nil {
		t.Errorf("TLS config = %+v", tr.TLSClientConfig)
	}
}

func TestNetworkErrorsAreWrappedTransient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close() // connection refused from now on
	c := newTestClient(t, url, V1_8, nil)
	_, err := c.Update(context.Background(), detailFor(V1_8))
	var re *RequestError
	if !errors.As(err, &re) || KindOf(err) != KindTransient || re.Op != "update" || re.Method != "PUT" {
		t.Errorf("err = %v (%T)", err, err)
	}

	// A body cut short by a connection reset is transient too.
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		fmt.Fprint(w, `{"responseTime":`)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer cut.Close()
	c = newTestClient(t, cut.URL, V1_8, nil)
	_, err = c.Create(context.Background(), detailFor(V1_8))
	if KindOf(err) != KindTransient || !errors.As(err, &re) {
		t.Errorf("cut body: err = %v (%T)", err, err)
	}
}

func TestOversizedBodyIsMalformed(t *testing.T) {
	big := strings.Repeat(" ", maxBody+10) + okBody
	rec := newRecorder(t, reply{Status: 200, Body: big})
	c := newTestClient(t, rec.srv.URL, V1_8, nil)
	_, err := c.Create(context.Background(), detailFor(V1_8))
	var ae *APIError
	if !errors.As(err, &ae) || !ae.Malformed || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("err = %v", err)
	}
}

func ipLoopback() []net.IP { return []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback} }
