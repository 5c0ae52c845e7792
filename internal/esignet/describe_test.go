package esignet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// marker is text a remote puts into its answers; it must never reach
// Describe's output.
const marker = "MARKER-remote-words 127.9.8.7:6443 internal.svc.cluster.local"

// dialerClient is an http.Client whose dialer never touches the network:
// it fails the way a dial to an unreachable address would.
func dialerClient(dial func(ctx context.Context) error) *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, dial(ctx)
	}}
	return &http.Client{Transport: tr, Timeout: 300 * time.Millisecond}
}

// closedPort returns a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// resetServer accepts TCP connections and resets them at once.
func resetServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	return "http://" + l.Addr().String()
}

// TestDescribeTransportIsOneClass: refused, unreachable, no route, unknown
// host, dial timeout and reset must read the same, or a tenant pointing a
// namespaced provider at internal addresses gets a port scanner.
func TestDescribeTransportIsOneClass(t *testing.T) {
	create := func(base string, hc *http.Client) error {
		c, err := New(Config{BaseURL: base + "/v1/esignet", HTTPClient: hc, AllowInsecureHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(context.Background(), detailFor(V1_8))
		return err
	}
	sysErr := func(errno syscall.Errno) func(context.Context) error {
		return func(context.Context) error {
			return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22},
				Err: os.NewSyscallError("connect", errno)}
		}
	}
	cases := map[string]error{
		"refused":     create(closedPort(t), nil),
		"reset":       create(resetServer(t), nil),
		"no route":    create("http://esignet.invalid", dialerClient(sysErr(syscall.EHOSTUNREACH))),
		"unreachable": create("http://esignet.invalid", dialerClient(sysErr(syscall.ENETUNREACH))),
		"unknown host": create("http://esignet.invalid", dialerClient(func(context.Context) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "internal.svc.cluster.local", IsNotFound: true}}
		})),
		"dial timeout (filtered port)": create("http://esignet.invalid", dialerClient(func(ctx context.Context) error {
			<-ctx.Done()
			return &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
		})),
	}
	for name, err := range cases {
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		got := Describe(err)
		if got != "connection failed" {
			t.Errorf("%s: Describe = %q, want %q (Error: %v)", name, got, "connection failed", err)
		}
		checkNoRemoteWords(t, name, got)
	}
}

// TestDescribeNeverQuotesTheRemote covers every failure class against
// loopback servers whose answers carry marker text.
func TestDescribeNeverQuotesTheRemote(t *testing.T) {
	caPEM, cert := newCA(t)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, okBody) }))
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	_ = caPEM
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, okBody) }))
	plain.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(plain.Close)
	target := newRedirectTarget(t)

	mgmt := func(rp reply) func(t *testing.T) error {
		return func(t *testing.T) error {
			rec := newRecorder(t, rp)
			c := newTestClient(t, rec.srv.URL, V1_8, NewStaticToken("tok-"+marker))
			_, err := c.Create(context.Background(), detailFor(V1_8))
			return err
		}
	}
	token := func(status int, body string) func(t *testing.T) error {
		return func(t *testing.T) error {
			rec := newRecorder(t, reply{Status: status, Body: body})
			cc := newCC(t, rec.srv.URL+"/token", &fakeClock{})
			c := newTestClient(t, "http://127.0.0.1:1", V1_8, cc)
			_, err := c.Create(context.Background(), detailFor(V1_8))
			return err
		}
	}
	discover := func(replies map[string]reply) func(t *testing.T) error {
		return func(t *testing.T) error {
			srv, _ := routes(t, replies)
			c := newTestClient(t, srv.URL, V1_8, nil)
			_, err := c.Discover(context.Background(), "")
			return err
		}
	}
	tests := []struct {
		name string
		call func(t *testing.T) error
		want string
	}{
		{"validation errors", mgmt(reply{Status: 200, Body: errBody(
			"invalid_redirect_uri", "request.redirectUris[0]: "+marker,
			"invalid_claim", marker,
			"Not A Code "+marker, "x",
			"invalid_claim", "again")}),
			"HTTP 200: eSignet error codes: invalid_redirect_uri, invalid_claim"},
		{"only foreign codes", mgmt(reply{Status: 200, Body: errBody("<b>"+marker+"</b>", marker)}),
			"HTTP 200: eSignet error codes: none recognised"},
		{"unknown_error with exception text", mgmt(reply{Status: 200, Body: errBody("unknown_error",
			"Connection to 127.9.8.7:5432 refused. "+marker)}), "HTTP 200: eSignet error codes: unknown_error"},
		{"503", mgmt(reply{Status: 503}), "HTTP 503: empty response body"},
		{"502 html page", mgmt(reply{Status: 502, Header: map[string]string{"Content-Type": "text/html; " + marker},
			Body: "<html>" + marker + "</html>"}), "HTTP 502: response is not an eSignet JSON envelope"},
		{"200 html page", mgmt(reply{Status: 200, Body: "<html>" + marker + "</html>"}),
			"HTTP 200: response is not an eSignet JSON envelope"},
		{"415 problem detail", mgmt(reply{Status: 415, Body: `{"title":"` + marker + `","detail":"` + marker + `"}`}),
			"HTTP 415: response is not an eSignet JSON envelope"},
		{"401 challenge", mgmt(reply{Status: 401, Header: map[string]string{
			"WWW-Authenticate": `Bearer error="invalid_token", error_description="` + marker + `"`}}),
			"HTTP 401: management token rejected (invalid_token)"},
		{"401 odd challenge", mgmt(reply{Status: 401, Header: map[string]string{
			"WWW-Authenticate": `Bearer error="Bad.Token-127.9.8.7"`}}),
			"HTTP 401: management token rejected"},
		{"403", mgmt(reply{Status: 403}), "HTTP 403: token lacks scope add_oidc_client (required for POST)"},
		{"200 neither", mgmt(reply{Status: 200, Body: `{"responseTime":"` + marker + `","response":null,"errors":[]}`}),
			"HTTP 200: envelope has neither a response with clientId nor errors"},
		{"oversized", mgmt(reply{Status: 200, Body: strings.Repeat(" ", maxBody+1)}), "HTTP 200: response body exceeds 1048576 bytes"},
		{"redirect", mgmt(reply{Status: 302, Header: map[string]string{"Location": target.srv.URL + "/" + marker}}),
			"HTTP 302: eSignet answered with a redirect; refusing to follow it"},
		{"untrusted certificate", func(t *testing.T) error {
			c, err := New(Config{BaseURL: tlsSrv.URL + "/v1/esignet"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Create(context.Background(), detailFor(V1_8))
			return err
		}, "TLS handshake failed (certificate not trusted)"},
		{"https to a plain-http port", func(t *testing.T) error {
			c, err := New(Config{BaseURL: strings.Replace(plain.URL, "http:", "https:", 1) + "/v1/esignet"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Create(context.Background(), detailFor(V1_8))
			return err
		}, "connection failed"},
		{"answer timeout", func(t *testing.T) error {
			c, err := New(Config{BaseURL: slow.URL + "/v1/esignet", AllowInsecureHTTP: true,
				HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Create(context.Background(), detailFor(V1_8))
			return err
		}, "timed out"},
		{"token 401", token(401, `{"error":"invalid_client","error_description":"`+marker+`"}`),
			"token endpoint: HTTP 401: invalid_client"},
		{"token 400 odd code", token(400, `{"error":"`+marker+`"}`), "token endpoint: HTTP 400"},
		{"token 200 garbage", token(200, "<html>"+marker), "token endpoint: HTTP 200: response has no access_token"},
		{"token not bearer", token(200, `{"access_token":"x","token_type":"`+marker+`"}`),
			"token endpoint: HTTP 200: token_type is not Bearer"},
		{"token refused", func(t *testing.T) error {
			cc := newCC(t, closedPort(t)+"/token", &fakeClock{})
			_, err := cc.Token(context.Background())
			return err
		}, "token endpoint: connection failed"},
		{"discovery", discover(map[string]reply{
			"/.well-known/openid-configuration":                 {Status: 200, Body: "<html>" + marker},
			"/v1/esignet/oidc/.well-known/openid-configuration": {Status: 200, Body: `{"issuer":"` + marker + `"}`}}),
			"no usable discovery document: HTTP 200: response is not a JSON document; " +
				"discovery document: missing or non-absolute issuer, authorization_endpoint, token_endpoint, jwks_uri"},
		{"explicit discovery URL rejected", func(t *testing.T) error {
			c := newTestClient(t, "https://127.0.0.1:1", V1_8, nil)
			_, err := c.Discover(context.Background(), "ftp://internal.svc.cluster.local:21/"+marker)
			return err
		}, "no usable discovery document: invalid URL: not an absolute https URL (or http where allowed)"},
		{"wrapped by the controller", func(t *testing.T) error {
			return fmt.Errorf("reading eSignet's discovery document: %w", &RequestError{Op: "discover", Method: "GET",
				Path: "/" + marker, Err: &url.Error{Op: "Get", URL: "http://127.9.8.7:6443/", Err: syscall.ECONNREFUSED}})
		}, "connection failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t)
			if err == nil {
				t.Fatal("no error")
			}
			got := Describe(err)
			if got != tt.want {
				t.Errorf("Describe = %q\n        want %q\n(Error: %.300s)", got, tt.want, err)
			}
			checkNoRemoteWords(t, tt.name, got)
			for _, srv := range []string{tlsSrv.URL, slow.URL, plain.URL, target.srv.URL} {
				u, _ := url.Parse(srv)
				if strings.Contains(got, u.Port()) {
					t.Errorf("Describe names port %s: %q", u.Port(), got)
				}
			}
		})
	}
}

var ipLike = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|\[?::1\]?|:\d{2,5}\b`)

func checkNoRemoteWords(t *testing.T, name, got string) {
	t.Helper()
	for _, leak := range []string{"MARKER", "remote-words", "internal", "cluster", "127.0.0.1", "localhost",
		"esignet.invalid", "refused", "reset", "no route", "unreachable", "no such host", "dial", "EOF", "tok-"} {
		if strings.Contains(got, leak) {
			t.Errorf("%s: Describe leaks %q: %q", name, leak, got)
		}
	}
	if ipLike.MatchString(got) {
		t.Errorf("%s: Describe holds an address or port: %q", name, got)
	}
}

func TestDescribeNil(t *testing.T) {
	if got := Describe(nil); got != "" {
		t.Errorf("Describe(nil) = %q", got)
	}
	if got := Describe(errors.New("something " + marker)); strings.Contains(got, "MARKER") {
		t.Errorf("foreign error quoted: %q", got)
	}
}
