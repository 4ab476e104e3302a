package mm7

import "fmt"

// Limits bounds what Decode accepts. The zero value of a field means its
// default. Limits composes into the adapter configuration.
type Limits struct {
	// MaxSize is the largest body accepted, in bytes. Default 4 MiB.
	MaxSize int `yaml:"max_size"`
	// MaxParts is the largest number of MIME parts, nested ones included.
	// Default 64.
	MaxParts int `yaml:"max_parts"`
	// MaxMIMEDepth is the deepest multipart nesting. Default 4.
	MaxMIMEDepth int `yaml:"max_mime_depth"`
	// MaxXMLDepth is the deepest element nesting in the SOAP envelope.
	// Default 32.
	MaxXMLDepth int `yaml:"max_xml_depth"`
	// MaxHeaderBytes bounds the header block of one MIME part. Default 8 KiB.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// LenientContentRef accepts a Content href that names no part when the
	// message has exactly one attachment, which is then taken as the
	// content (some relays, and the TS 23.140 examples, get the cid
	// wrong). Default false: a dangling href is refused with 4004.
	LenientContentRef bool `yaml:"lenient_content_ref"`
}

// Defaults of Limits.
const (
	DefaultMaxSize        = 4 << 20
	DefaultMaxParts       = 64
	DefaultMaxMIMEDepth   = 4
	DefaultMaxXMLDepth    = 32
	DefaultMaxHeaderBytes = 8 << 10
)

// Validate refuses negative limits.
func (l Limits) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"max_size", l.MaxSize}, {"max_parts", l.MaxParts}, {"max_mime_depth", l.MaxMIMEDepth},
		{"max_xml_depth", l.MaxXMLDepth}, {"max_header_bytes", l.MaxHeaderBytes}} {
		if f.v < 0 {
			return fmt.Errorf("mm7: limits: %s must not be negative", f.name)
		}
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxSize, DefaultMaxSize)
	def(&l.MaxParts, DefaultMaxParts)
	def(&l.MaxMIMEDepth, DefaultMaxMIMEDepth)
	def(&l.MaxXMLDepth, DefaultMaxXMLDepth)
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	return l
}
