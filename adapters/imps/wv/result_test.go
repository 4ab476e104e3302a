package wv

import (
	"errors"
	"strings"
	"testing"
)

func TestResultErr(t *testing.T) {
	for _, code := range []int{200, 201, 299} {
		if err := (Result{Code: code}).Err(); err != nil {
			t.Errorf("Result{%d}.Err() = %v, want nil", code, err)
		}
	}
	err := Result{Code: 503, Description: "Service unavailable."}.Err()
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 {
		t.Fatalf("Err() = %v, want *StatusError 503", err)
	}
	if got := err.Error(); got != "wv: csp status 503: Service unavailable." {
		t.Errorf("Error() = %q", got)
	}
	if got := (&StatusError{Code: 400}).Error(); got != "wv: csp status 400" {
		t.Errorf("Error() = %q", got)
	}
}

func TestStatusErrorTemporary(t *testing.T) {
	temporary := map[int]bool{408: true, 500: true, 503: true, 504: true, 507: true, 533: true, 600: true, 601: true, 604: true}
	for _, code := range []int{100, 400, 401, 402, 403, 404, 405, 408, 409, 410, 415, 420, 422, 426, 431,
		500, 501, 503, 504, 505, 506, 507, 516, 531, 532, 533, 534, 538, 542, 600, 601, 603, 604, 605, 700, 900, 901, 902} {
		err := &StatusError{Code: code}
		if got := err.Temporary(); got != temporary[code] {
			t.Errorf("StatusError{%d}.Temporary() = %v, want %v", code, got, temporary[code])
		}
	}
}

func TestResultFor(t *testing.T) {
	cases := map[error]int{
		nil:                          200,
		ErrSyntax:                    400,
		ErrDoctype:                   400,
		ErrTooLarge:                  400,
		ErrInvalid:                   400,
		ErrVersion:                   505,
		&UnknownPrimitiveError{}:     405,
		errors.New("something else"): 400,
	}
	for err, want := range cases {
		if got := ResultFor(err).Code; got != want {
			t.Errorf("ResultFor(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	ok := request("t", &GetMessageRequest{MessageID: "m"})
	mutate := func(f func(m *Message)) Message {
		m := request("t", &GetMessageRequest{MessageID: "m"})
		f(&m)
		return m
	}
	type foreign struct{ Primitive }
	cases := []struct {
		name string
		m    Message
		v    Version
		want error
	}{
		{"version", ok, Version(13), ErrVersion},
		{"no transactions", mutate(func(m *Message) { m.Transactions = nil }), Version11, ErrInvalid},
		{"nil primitive", mutate(func(m *Message) { m.Transactions[0].Primitive = nil }), Version11, ErrInvalid},
		{"typed nil primitive", mutate(func(m *Message) { m.Transactions[0].Primitive = (*Status)(nil) }), Version11, ErrInvalid},
		{"foreign primitive", mutate(func(m *Message) { m.Transactions[0].Primitive = foreign{&LogoutRequest{}} }), Version11, ErrUnknownPrimitive},
		{"session type", mutate(func(m *Message) { m.Session.SessionType = "" }), Version11, ErrInvalid},
		{"mode", mutate(func(m *Message) { m.Transactions[0].Descriptor.TransactionMode = "request" }), Version11, ErrInvalid},
		{"result code", mutate(func(m *Message) { m.Transactions[0].Primitive = &Status{Result: Result{Code: 2000}} }), Version11, ErrInvalid},
		{"control char", mutate(func(m *Message) { m.Transactions[0].Primitive = &GetMessageRequest{MessageID: "a\x00b"} }), Version11, ErrInvalid},
		{"invalid utf-8", mutate(func(m *Message) { m.Session.SessionID = "\xc3" }), Version11, ErrInvalid},
		{"U+FFFE", mutate(func(m *Message) {
			m.Transactions[0].Primitive = &SendMessageRequest{ContentData: "x\uFFFE", MessageInfo: MessageInfo{Sender: Sender{User: &User{UserID: "u"}}}}
		}), Version11, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Encode(c.m, c.v)
			if !errors.Is(err, c.want) || b != nil {
				t.Fatalf("Encode = %q, %v; want %v", b, err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "wv: ") {
				t.Errorf("error text %q lacks the package prefix", err)
			}
		})
	}
}

func TestMarshalUsesMessageVersion(t *testing.T) {
	m := request("t", &PollingRequest{})
	m.Version = Version12
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `xmlns="`+NamespaceCSP12+`"`) || !strings.Contains(string(b), `xmlns="`+NamespaceTRC12+`"`) {
		t.Fatalf("Marshal wrote %s", b)
	}
	var back Message
	if err := Unmarshal(b, &back); err != nil || back.Version != Version12 {
		t.Fatalf("Unmarshal: %v %+v", err, back)
	}
}
