package msrp

import "fmt"

// Default limits, used where a Config field is zero.
const (
	DefaultMaxHeaderBytes  = 16 << 10
	DefaultMaxHeaders      = 64
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxMessageBytes = 16 << 20
	DefaultMaxChunks       = 8192
)

// MaxPathURIs bounds the URIs of one To-Path or From-Path: the codec
// refuses a longer path, and a session must not offer or accept one.
const MaxPathURIs = 16

// Config bounds what the codec reads. The zero value is valid and means
// the defaults; package config composes it into the YAML file.
type Config struct {
	// MaxHeaderBytes bounds the start line plus header block of one frame
	// (default 16 KiB).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxHeaders bounds the header fields of one frame (default 64).
	MaxHeaders int `yaml:"max_headers"`
	// MaxBodyBytes bounds the body of one frame (default 1 MiB).
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// MaxMessageBytes bounds one reassembled message (default 16 MiB).
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	// MaxChunks bounds the chunks accepted for one message (default 8192).
	MaxChunks int `yaml:"max_chunks"`
}

// Validate reports a negative limit.
func (c Config) Validate() error {
	switch {
	case c.MaxHeaderBytes < 0:
		return fmt.Errorf("msrp: max_header_bytes %d is negative", c.MaxHeaderBytes)
	case c.MaxHeaders < 0:
		return fmt.Errorf("msrp: max_headers %d is negative", c.MaxHeaders)
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("msrp: max_body_bytes %d is negative", c.MaxBodyBytes)
	case c.MaxMessageBytes < 0:
		return fmt.Errorf("msrp: max_message_bytes %d is negative", c.MaxMessageBytes)
	case c.MaxChunks < 0:
		return fmt.Errorf("msrp: max_chunks %d is negative", c.MaxChunks)
	}
	return nil
}

// WithDefaults returns c with every zero or negative field set to its
// default: the limits the codec applies to c. A session layer that
// charges its own buffers against these limits uses it to see them.
func (c Config) WithDefaults() Config {
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxHeaders <= 0 {
		c.MaxHeaders = DefaultMaxHeaders
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxChunks <= 0 {
		c.MaxChunks = DefaultMaxChunks
	}
	return c
}
