package console

import (
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	HandshakeTimeout: 5 * time.Second,
	ReadBufferSize:   1024,
	WriteBufferSize:  16 << 10,
	// A page elsewhere must not read the feed with the operator's cookie.
	CheckOrigin: sameOrigin,
	Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
		writeErrorText(w, status, "console: websocket: "+reason.Error())
	},
}

// websocket upgrades an authenticated request to the live feed (see
// EventFrame and TickFrame).
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeErrorText(w, http.StatusForbidden, "console: websocket: cross-origin request refused")
		return
	}
	if s.hub.nclients.Load() >= maxClients {
		writeErrorText(w, http.StatusServiceUnavailable, "console: websocket: too many clients")
		return
	}
	bw := &batchingWriter{ResponseWriter: w}
	conn, err := upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return // Upgrade answered the request
	}
	if !s.hub.register(conn, bw.conn) {
		msg := websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "iwf console busy or stopping")
		_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = conn.Close()
	}
}
