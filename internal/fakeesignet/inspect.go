package fakeesignet

import (
	"net/http"
)

// The /_fake endpoints are read-only views for demos and black-box tests;
// eSignet itself has no way to read a client back.

func (s *Server) handleFakeClients(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, s.Clients())
}

func (s *Server) handleFakeClient(w http.ResponseWriter, _ *http.Request, id string) {
	rec, ok := s.Client(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such client"})
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleFakeCounters(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"counters": s.Counters(), "clientMgmtCalls": s.ClientMgmtCalls(),
	})
}
