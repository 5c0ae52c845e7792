// Command fake-esignet serves the strict eSignet fake of package
// internal/fakeesignet as a standalone process, for demos and black-box tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/fakepms"
)

const usageText = `fake-esignet serves a strict fake of MOSIP eSignet: the client-management API
(/v1/esignet/client-mgmt/...), the relying-party OIDC endpoints (discovery,
JWKS, /authorize auto-approving a demo user, token, userinfo) and a Keycloak
client-credentials endpoint (/realms/mosip/protocol/openid-connect/token).

Read-only inspection endpoints (not part of eSignet):
  GET /_fake/clients        every registered client (JSON, sorted by id)
  GET /_fake/clients/{id}   one client, 404 if unknown
  GET /_fake/counters       request counts per "METHOD /path-pattern"
  GET /_fake/pms/clients    with --pms: the fake PMS's clients

Flags:
`

// config is the parsed command line.
type config struct {
	addr, tlsCert, tlsKey, publicURL string
	latency                          time.Duration
	opts                             fakeesignet.Options
	pms                              *fakepms.Config // --pms
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fake-esignet:", err)
		return 2
	}
	if err := serve(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "fake-esignet:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("fake-esignet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8088", "listen address (host:port; port 0 picks a free one)")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate file; with --tls-key serves HTTPS")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private-key file for --tls-cert")
	fs.StringVar(&cfg.publicURL, "public-url", "", "root URL clients use (default derived from --addr and TLS)")
	fs.StringVar(&cfg.opts.Generation, "generation", "v1.8", "eSignet behaviour to mimic: v1.2 … v1.8")
	fs.BoolVar(&cfg.opts.AuthDisabled, "auth-disabled", false, "accept client-management calls without a token")
	fs.Func("claims", "comma-separated claims_supported (default: eSignet v1.8 list)", listFlag(&cfg.opts.Claims))
	fs.Func("acrs", "comma-separated allowed ACRs (default: the seven mosip:idp:acr:* values)", listFlag(&cfg.opts.ACRs))
	fs.Func("client", "management client ID:SECRET[:SCOPE1,SCOPE2] (repeatable; default scopes add_oidc_client,update_oidc_client)",
		func(v string) error {
			mc, err := parseClient(v)
			cfg.opts.ManagementClients = append(cfg.opts.ManagementClients, mc)
			return err
		})
	fs.Var(&optionalBool{p: &cfg.opts.JTIRequired}, "jti-required", "client-assertion jti single-use (default true for v1.7+)")
	fs.Func("pms", pmsUsage, cfg.setPMS)
	fs.DurationVar(&cfg.latency, "latency", 0, "delay every client-management request by this much before answering (e.g. 20ms; 0: none)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if cfg.latency < 0 {
		return nil, fmt.Errorf("--latency %s is negative", cfg.latency)
	}
	return cfg, cfg.opts.Validate()
}

func listFlag(dst *[]string) func(string) error {
	return func(v string) error {
		*dst = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*dst = append(*dst, s)
			}
		}
		return nil
	}
}

// parseClient reads ID:SECRET[:SCOPES]; the secret may itself contain ':'
// only when scopes are given.
func parseClient(v string) (fakeesignet.ManagementClient, error) {
	id, rest, ok := strings.Cut(v, ":")
	if !ok || id == "" || rest == "" {
		return fakeesignet.ManagementClient{}, fmt.Errorf("--client %q: want ID:SECRET[:SCOPE1,SCOPE2]", v)
	}
	mc := fakeesignet.ManagementClient{ID: id, Secret: rest, Scopes: []string{"add_oidc_client", "update_oidc_client"}}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		mc.Secret = rest[:i]
		mc.Scopes = nil
		if err := listFlag(&mc.Scopes)(rest[i+1:]); err != nil {
			return fakeesignet.ManagementClient{}, err
		}
	}
	return mc, nil
}

// optionalBool is a bool flag that remembers whether it was set.
type optionalBool struct{ p **bool }

func (o *optionalBool) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatBool(**o.p)
}

func (o *optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*o.p = &b
	return nil
}

func (o *optionalBool) IsBoolFlag() bool { return true }

// serve listens, prints the URL once ready and shuts down cleanly when ctx ends.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	cfg.opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	fake := fakeesignet.New(cfg.opts)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	url := cfg.publicURL
	if url == "" {
		url = rootURL(ln.Addr().(*net.TCPAddr), cfg.tlsCert != "")
	}
	fake.SetURL(url)
	srv := &http.Server{Handler: cfg.withPMS(fakeesignet.WithLatency(fake, cfg.latency), fake, url), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			errc <- srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	fmt.Fprintf(stdout, "fake-esignet %s listening on %s\n", fake.Generation(), url)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// rootURL names the listener; an unspecified host is reached via loopback.
func rootURL(a *net.TCPAddr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, strconv.Itoa(a.Port)))
}
