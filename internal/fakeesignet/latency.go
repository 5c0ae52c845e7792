package fakeesignet

import (
	"net/http"
	"strings"
	"time"
)

// WithLatency delays every client-management request (under /v1/esignet/client-mgmt/) by d
// before h answers it, as a remote eSignet behind a network and a database would; discovery,
// tokens and the /_fake views answer at once. A request whose client gives up while it waits
// gets no answer. d <= 0 returns h unchanged.
func WithLatency(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, clientMgmtPath+"/") {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
