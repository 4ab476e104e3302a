package msrp

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// frameDiff returns "" when a and b are equal, else what differs.
func frameDiff(a, b *Frame) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return fmt.Sprintf("\n a %#v\n b %#v", a, b)
}

func validFrame(t testing.TB) *Frame {
	return &Frame{
		TransactionID: "tx000001", Method: MethodSEND,
		ToPath: path(t, "msrp://b.example.com:1/s;tcp"), FromPath: path(t, "msrp://a.example.com:2/r;tcp"),
		MessageID: "msg00001", ContentType: "text/plain", Body: []byte("hi"), Flag: FlagEnd,
	}
}

func TestMarshalRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *Frame)
		want   error
	}{
		{"bad tid", func(f *Frame) { f.TransactionID = "a b" }, ErrInvalidFrame},
		{"bad method", func(f *Frame) { f.Method = "Send" }, ErrInvalidFrame},
		{"request with code", func(f *Frame) { f.Code = 200 }, ErrInvalidFrame},
		{"no To-Path", func(f *Frame) { f.ToPath = nil }, ErrInvalidFrame},
		{"bad URI", func(f *Frame) { f.FromPath = []URI{{Host: "a b", Transport: "tcp"}} }, ErrInvalidFrame},
		{"bad Message-ID", func(f *Frame) { f.MessageID = "m" }, ErrInvalidFrame},
		{"bad Byte-Range", func(f *Frame) { f.ByteRange = &ByteRange{0, 1, 1} }, ErrInvalidFrame},
		{"bad report", func(f *Frame) { f.SuccessReport = "partial" }, ErrInvalidFrame},
		{"bad Status", func(f *Frame) { f.Status = &Status{Code: 1000} }, ErrInvalidFrame},
		{"Extra shadows typed", func(f *Frame) { f.Extra = []Header{{"message-id", "x"}} }, ErrInvalidFrame},
		{"Extra value CRLF", func(f *Frame) { f.Extra = []Header{{"X", "a\r\nTo-Path: y"}} }, ErrInvalidFrame},
		{"body without type", func(f *Frame) { f.ContentType = "" }, ErrInvalidFrame},
		{"response with body", func(f *Frame) { f.Method = "" }, ErrInvalidFrame},
		{"bad flag", func(f *Frame) { f.Flag = '!' }, ErrInvalidFrame},
		{"end-line in body", func(f *Frame) { f.Body = []byte("a\r\n-------tx000001+\r\nb") }, ErrEndLineInBody},
		{"end-line opens body", func(f *Frame) { f.Body = []byte("-------tx000001#") }, ErrEndLineInBody},
		{"end-line after look-alike", func(f *Frame) { f.Body = []byte("-------tx000001X\r\n-------tx000001$") }, ErrEndLineInBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFrame(t)
			tt.change(f)
			if b, err := f.Marshal(); !errors.Is(err, tt.want) {
				t.Fatalf("Marshal = %q, %v; want %v", b, err, tt.want)
			}
		})
	}
}

func TestMarshalBodyLookAlikes(t *testing.T) {
	for _, body := range []string{"-------tx000001", "\r\n-------tx000001", "\r\n-------tx0000012$", "x-------tx000001$", "\r", "\r\n"} {
		f := validFrame(t)
		f.Body = []byte(body)
		assertRoundTrip(t, f)
	}
}

func TestMarshalDefaultsFlagToEnd(t *testing.T) {
	f := validFrame(t)
	f.Flag = 0
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	g, err := Unmarshal(b, Config{})
	if err != nil || g.Flag != FlagEnd {
		t.Fatalf("zero Flag marshalled as %v, %v", g, err)
	}
}

func TestStatusCode(t *testing.T) {
	if got := StatusSessionDoesNotExist.Error(); got != "msrp: status 481 Session does not exist" {
		t.Errorf("Error() = %q", got)
	}
	if got := StatusCode(7).Error(); got != "msrp: status 007" {
		t.Errorf("Error() = %q", got)
	}
	if !StatusTimeout.Temporary() || StatusStopSending.Temporary() || StatusSessionInUse.Temporary() {
		t.Error("only 408 is temporary")
	}
	if (Status{Code: 200}).Err() != nil || !errors.Is((Status{Code: 415}).Err(), StatusMediaNotUnderstood) {
		t.Error("Status.Err")
	}
	st, err := ParseStatus("000 413 too big, stop")
	if err != nil || st != (Status{0, 413, "too big, stop"}) || st.String() != "000 413 too big, stop" {
		t.Errorf("ParseStatus = %+v, %v", st, err)
	}
}

func TestByteRange(t *testing.T) {
	for s, want := range map[string]ByteRange{
		"1-0/0": {1, 0, 0}, "1-*/*": {1, Unknown, Unknown}, "5-*/8": {5, Unknown, 8},
		"9-8/8": {9, 8, 8}, "100-199/*": {100, 199, Unknown},
	} {
		got, err := ParseByteRange(s)
		if err != nil || got != want || got.String() != s {
			t.Errorf("ParseByteRange(%q) = %+v %q, %v", s, got, got.String(), err)
		}
	}
	for _, s := range []string{"", "1", "1-2", "0-1/1", "2-0/5", "1-5/4", "10-*/8", "a-1/1", "1-1/1/", "1--1/1", "1-1/-1", "1-1/1234567890123456789"} {
		if _, err := ParseByteRange(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseByteRange(%q) = %v, want ErrSyntax", s, err)
		}
	}
}

func TestURI(t *testing.T) {
	good := []string{
		"msrp://atlanta.example.com:7654/jshA7weztas;tcp",
		"msrps://bob@[::1]:1/a/b;tcp;x;y=z",
		"msrp://h;ws",
	}
	for _, s := range good {
		u, err := ParseURI(s)
		if err != nil || u.String() != s {
			t.Errorf("ParseURI(%q) = %q, %v", s, u.String(), err)
		}
	}
	if u, err := ParseURI("MSRPS://H:2855/s;tcp"); err != nil || !u.Secure || u.String() != "msrps://H:2855/s;tcp" {
		t.Errorf("upper-case scheme: %+v, %v", u, err)
	}
	bad := []string{"msrp://", "msrp://h", "msrp://h/s", "msrp://:1/s;tcp", "msrp://h:0/s;tcp", "msrp://h:x/s;tcp",
		"msrp://h/s;", "msrp://h/s;tcp;", "msrp://h/s?;tcp", "msrp://[::1/s;tcp", "msrp://a b/s;tcp", "http://h/s;tcp"}
	for _, s := range bad {
		if _, err := ParseURI(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseURI(%q) = %v, want ErrSyntax", s, err)
		}
	}
}
