package msrp

import "testing"

// TestURIEqual follows the comparison rules of RFC 4975 section 6.1.
func TestURIEqual(t *testing.T) {
	base := "msrp://Atlanta.example.com:2855/jshA7weztas;tcp"
	for _, c := range []struct {
		other string
		equal bool
	}{
		{"msrp://atlanta.EXAMPLE.com:2855/jshA7weztas;TCP", true},    // host and transport ignore case
		{"msrp://atlanta.example.com/jshA7weztas;tcp", true},         // absent port is 2855
		{"msrp://bob@atlanta.example.com/jshA7weztas;tcp;x=1", true}, // userinfo and parameters ignored
		{"msrp://atlanta.example.com:2855/jsha7weztas;tcp", false},   // session-id is case-sensitive
		{"msrps://atlanta.example.com:2855/jshA7weztas;tcp", false},  // scheme
		{"msrp://atlanta.example.com:2856/jshA7weztas;tcp", false},   // port
		{"msrp://atlanta.example.org:2855/jshA7weztas;tcp", false},   // host
		{"msrp://atlanta.example.com:2855/jshA7weztas;sctp", false},  // transport
	} {
		a, b := mustURI(t, base), mustURI(t, c.other)
		if a.Equal(b) != c.equal || b.Equal(a) != c.equal {
			t.Errorf("%s == %s: %v, want %v", base, c.other, a.Equal(b), c.equal)
		}
	}
	if p := mustURI(t, "msrp://h;tcp").PortOrDefault(); p != DefaultPort {
		t.Errorf("PortOrDefault = %d", p)
	}
}

// TestURIValid holds Valid to what ParseURI accepts.
func TestURIValid(t *testing.T) {
	if u := mustURI(t, "msrp://bob@[::1]:7/s+=/x;tcp;a=b"); !u.Valid() {
		t.Errorf("%+v not Valid", u)
	}
	for _, u := range []URI{{Host: "h"}, {Host: "a b", Transport: "tcp"}, {Host: "h", Port: 65536, Transport: "tcp"},
		{Host: "h", SessionID: "a;b", Transport: "tcp"}, {Host: "h", Transport: "tcp", Params: []string{"a b"}}} {
		if u.Valid() {
			t.Errorf("%+v Valid", u)
		}
	}
}
