package wv

// Session management primitives (WV-CSP 1.1 section "Session management").

// LoginRequest is Login-Request:
//
//	Login-Request (UserID, ClientID, Password?, DigestBytes?, DigestSchema?,
//	               TimeToLive?, SessionCookie)
//
// A plain login carries Password; a digest login answers the Nonce of a
// 401 Login-Response with DigestBytes (base64 of the digest) and
// DigestSchema. TimeToLive is in seconds, 0 when absent.
type LoginRequest struct {
	UserID        string   `xml:"UserID"`
	ClientID      ClientID `xml:"ClientID"`
	Password      string   `xml:"Password,omitempty"`
	DigestBytes   string   `xml:"DigestBytes,omitempty"`
	DigestSchema  string   `xml:"DigestSchema,omitempty"`
	TimeToLive    uint32   `xml:"TimeToLive,omitempty"`
	SessionCookie string   `xml:"SessionCookie"`
}

// LoginResponse is Login-Response:
//
//	Login-Response (ClientID, Result, Nonce?, DigestSchema?, SessionID?,
//	                KeepAliveTime?, CapabilityRequest?)
//
// Result 401 with Nonce and DigestSchema is the digest challenge; 200 with
// SessionID is a successful login. KeepAliveTime is in seconds, 0 when
// absent; CapabilityRequest is nil when absent.
type LoginResponse struct {
	ClientID          ClientID `xml:"ClientID"`
	Result            Result   `xml:"Result"`
	Nonce             string   `xml:"Nonce,omitempty"`
	DigestSchema      string   `xml:"DigestSchema,omitempty"`
	SessionID         string   `xml:"SessionID,omitempty"`
	KeepAliveTime     uint32   `xml:"KeepAliveTime,omitempty"`
	CapabilityRequest *Bool    `xml:"CapabilityRequest,omitempty"`
}

// LogoutRequest is the empty Logout-Request.
type LogoutRequest struct {
}

// Disconnect is Disconnect (Result), sent by the server to end a session.
type Disconnect struct {
	Result Result `xml:"Result"`
}

// KeepAliveRequest is KeepAlive-Request (TimeToLive?); TimeToLive in
// seconds, 0 when absent.
type KeepAliveRequest struct {
	TimeToLive uint32 `xml:"TimeToLive,omitempty"`
}

// KeepAliveResponse is KeepAlive-Response (Result, KeepAliveTime?).
type KeepAliveResponse struct {
	Result        Result `xml:"Result"`
	KeepAliveTime uint32 `xml:"KeepAliveTime,omitempty"`
}

// PollingRequest is the empty Polling-Request.
type PollingRequest struct {
}

// Status is Status (Result, ClientID?), the generic response.
type Status struct {
	Result   Result    `xml:"Result"`
	ClientID *ClientID `xml:"ClientID,omitempty"`
}

// PrimitiveName implements Primitive.
func (*LoginRequest) PrimitiveName() string { return "Login-Request" }

// PrimitiveName implements Primitive.
func (*LoginResponse) PrimitiveName() string { return "Login-Response" }

// PrimitiveName implements Primitive.
func (*LogoutRequest) PrimitiveName() string { return "Logout-Request" }

// PrimitiveName implements Primitive.
func (*Disconnect) PrimitiveName() string { return "Disconnect" }

// PrimitiveName implements Primitive.
func (*KeepAliveRequest) PrimitiveName() string { return "KeepAlive-Request" }

// PrimitiveName implements Primitive.
func (*KeepAliveResponse) PrimitiveName() string { return "KeepAlive-Response" }

// PrimitiveName implements Primitive.
func (*PollingRequest) PrimitiveName() string { return "Polling-Request" }

// PrimitiveName implements Primitive.
func (*Status) PrimitiveName() string { return "Status" }
