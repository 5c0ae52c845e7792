package fakeesignet

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// serviceError is an error raised after bean validation: an EsignetException
// (message = code) or, for code unknown_error, an unchecked exception.
type serviceError struct{ code, msg string }

func svcErr(code string) *serviceError { return &serviceError{code: code, msg: code} }

const maxBody = 1 << 20

// clientMgmtHandler serves one client-management endpoint: media types,
// body decoding, bean validation, then the service operation.
func (s *Server) clientMgmtHandler(ep endpoint, k dtoKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		if !mediaTypeIs(r.Header.Get("Content-Type"), "application/json") {
			w.Header().Set("Accept", "application/json")
			writeProblem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type '%s' is not supported.",
				contentTypeOrDefault(r)), r.URL.Path)
			return
		}
		if !acceptsJSON(r.Header.Values("Accept")) {
			s.writeEnvelope(w, nil, []apiError{{ErrorCode: "invalid_request", ErrorMessage: "No acceptable representation"}})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			s.writeUnknown(w, "I/O error while reading input message")
			return
		}
		env, err := decodeClientRequest(body, k)
		var de *decodeError
		if errors.As(err, &de) {
			s.writeUnknown(w, de.msg)
			return
		}
		if vs := s.validateEnvelope(env, k); len(vs) > 0 {
			s.writeViolations(w, vs)
			return
		}
		resp, serr := s.applyClientOp(ep, k, id, env.request)
		if serr != nil {
			s.writeEnvelope(w, nil, []apiError{{ErrorCode: serr.code, ErrorMessage: serr.msg}})
			return
		}
		s.writeEnvelope(w, resp, nil)
	}
}

func (s *Server) validateEnvelope(env *envelopeIn, k dtoKind) []violation {
	c := &checker{gen: s.gen, claims: s.claims, acrs: s.acrs}
	if !requestTimeValid(env.requestTime, s.now()) {
		c.add("requestTime", "invalid_request")
	}
	if env.request == nil {
		c.add("request", "invalid_request")
	} else {
		c.validateInput(k, env.request)
	}
	return c.out
}

func (s *Server) applyClientOp(ep endpoint, k dtoKind, id string, in *clientInput) (*clientResponse, *serviceError) {
	switch {
	case k.isCreate():
		return s.createClient(ep, k, in)
	case k.isPatch():
		return s.patchClient(id, in)
	}
	return s.updateClient(ep, k, id, in)
}

func mediaTypeIs(header, want string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && strings.EqualFold(mt, want)
}

func contentTypeOrDefault(r *http.Request) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// acceptsJSON: produces=application/json must be compatible with Accept.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch strings.ToLower(mt) {
			case "*/*", "application/*", "application/json":
				return true
			}
		}
	}
	return false
}
