package addressmap

import "testing"

var benchInputs = []struct{ name, in string }{
	{"e164", "+447700900123"},
	{"national", "07700 900123"},
	{"tel", "tel:+44-7700-900123"},
	{"tel_local", "tel:07700900123;phone-context=+44"},
	{"sip_phone", "sip:+447700900123@ims.example.net;user=phone"},
	{"sip_identity", "sip:alice@ims.example.net;transport=tcp"},
	{"short_code", "40404"},
	{"alphanumeric", "MyBank"},
}

func BenchmarkNormalize(b *testing.B) {
	m := mustMap(b, Config{CountryCode: "44"})
	for _, c := range benchInputs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Normalize(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOwner(b *testing.B) {
	m := mustMap(b, Config{CountryCode: "44", Rules: testRules, DefaultNetwork: "sms"})
	for _, c := range []struct{ name, in string }{
		{"first_rule", "+447700900123"},
		{"sip_glob", "sip:alice@ims.example.net"},
		{"default", "+33612345678"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Owner(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFromSMPP(b *testing.B) {
	m := mustMap(b, Config{CountryCode: "44"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.FromSMPP("447700900123", TONInternational, NPIISDN); err != nil {
			b.Fatal(err)
		}
	}
}
