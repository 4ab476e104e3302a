package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
)

// Bounds of the admin API.
const (
	DefaultLimit     = 100      // entries per page when limit is absent
	MaxLimit         = 1000     // entries per page at most
	MaxReplay        = 1000     // sequence numbers per replay call
	maxQueryLen      = 256      // bytes of a search query
	maxReplayBody    = 64 << 10 // bytes of a replay request
	adminCallTimeout = 30 * time.Second
)

// ReplayRequest is the body of POST /api/replay.
type ReplayRequest struct {
	Seqs  []uint64 `json:"seqs"`
	Route string   `json:"route"` // empty: each message's own route
}

// ReplayResponse is the answer of POST /api/replay: the new entries, in
// the order of the request's.
type ReplayResponse struct {
	Seqs []uint64 `json:"seqs"`
}

type errorBody struct {
	Error string `json:"error"`
}

func (s *Server) stats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.src.Stats())
}

func (s *Server) throughput(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.hub.throughput())
}

func (s *Server) entries(w http.ResponseWriter, r *http.Request) {
	state, err := parseState(r.URL.Query().Get("state"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	after, limit, err := parsePage(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminCallTimeout)
	defer cancel()
	views, err := s.src.Entries(ctx, state, after, limit)
	writeViews(w, views, err)
}

func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) {
	after, limit, err := parsePage(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminCallTimeout)
	defer cancel()
	views, err := s.src.DeadLetters(ctx, after, limit)
	writeViews(w, views, err)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if q == "" {
		writeErrorText(w, http.StatusBadRequest, "console: search: q is empty")
		return
	}
	if len(q) > maxQueryLen {
		writeErrorText(w, http.StatusBadRequest, fmt.Sprintf("console: search: q longer than %d bytes", maxQueryLen))
		return
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminCallTimeout)
	defer cancel()
	views, err := s.src.Search(ctx, q, limit)
	writeViews(w, views, err)
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	s.deadLetterAction(w, r, s.src.Retry)
}

func (s *Server) discard(w http.ResponseWriter, r *http.Request) {
	s.deadLetterAction(w, r, s.src.Discard)
}

// deadLetterAction answers 204 done, 404 unknown seq, 409 not a dead
// letter (or its route is gone).
func (s *Server) deadLetterAction(w http.ResponseWriter, r *http.Request, act func(context.Context, uint64) error) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		writeErrorText(w, http.StatusBadRequest, "console: seq must be a positive integer")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminCallTimeout)
	defer cancel()
	switch err := act(ctx, seq); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, journal.ErrNotFound):
		writeErrorText(w, http.StatusNotFound, fmt.Sprintf("console: no entry %d", seq))
	case errors.Is(err, gateway.ErrNotDeadLetter), errors.Is(err, gateway.ErrNoSuchRoute):
		writeError(w, http.StatusConflict, err)
	default:
		writeError(w, http.StatusInternalServerError, err)
	}
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	req, err := decodeReplay(http.MaxBytesReader(w, r.Body, maxReplayBody))
	if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
		writeErrorText(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("console: replay: body over %d bytes", maxReplayBody))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminCallTimeout)
	defer cancel()
	seqs, err := s.src.Replay(ctx, req.Seqs, req.Route)
	switch {
	case err == nil:
		if seqs == nil {
			seqs = []uint64{}
		}
		writeJSON(w, http.StatusOK, ReplayResponse{Seqs: seqs})
	case errors.Is(err, gateway.ErrNotReplayable), errors.Is(err, gateway.ErrNoSuchRoute):
		writeError(w, http.StatusBadRequest, err)
	case errors.Is(err, journal.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	default:
		writeError(w, http.StatusInternalServerError, err)
	}
}

// decodeReplay reads a ReplayRequest: one JSON object, known fields only,
// 1 to MaxReplay sequence numbers, none zero.
func decodeReplay(body io.Reader) (ReplayRequest, error) {
	var req ReplayRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return ReplayRequest{}, fmt.Errorf("console: replay: %w", err)
	}
	if dec.More() {
		return ReplayRequest{}, errors.New("console: replay: one JSON object expected")
	}
	if len(req.Seqs) == 0 {
		return ReplayRequest{}, errors.New("console: replay: seqs is empty")
	}
	if len(req.Seqs) > MaxReplay {
		return ReplayRequest{}, fmt.Errorf("console: replay: %d seqs, at most %d per call", len(req.Seqs), MaxReplay)
	}
	for _, q := range req.Seqs {
		if q == 0 {
			return ReplayRequest{}, errors.New("console: replay: seq 0 does not exist")
		}
	}
	return req, nil
}

func parseState(v string) (journal.State, error) {
	switch v {
	case "", "open":
		return journal.Open, nil
	case "done":
		return journal.Done, nil
	case "dead":
		return journal.Dead, nil
	}
	return 0, errors.New("console: state must be open, done or dead")
}

func parsePage(r *http.Request) (after uint64, limit int, err error) {
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, errors.New("console: after must be a sequence number")
		}
	}
	limit, err = parseLimit(r.URL.Query().Get("limit"))
	return after, limit, err
}

// parseLimit reads limit: DefaultLimit when absent, at most MaxLimit.
func parseLimit(v string) (int, error) {
	if v == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errors.New("console: limit must be a positive integer")
	}
	return min(n, MaxLimit), nil
}

func writeViews(w http.ResponseWriter, views []gateway.EntryView, err error) {
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if views == nil {
		views = []gateway.EntryView{} // [] rather than null
	}
	writeJSON(w, http.StatusOK, views)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeErrorText(w, code, err.Error())
}

func writeErrorText(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(errorBody{Error: msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
