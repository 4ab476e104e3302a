package config

import (
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
)

// SMSC is one entry of the smpp section: the SMPP session settings plus
// how messages on this route are written as SMS.
type SMSC struct {
	smpp.Config `yaml:",inline"`
	// Concatenation is how long texts are split: udh8 (default), udh16,
	// sar or payload.
	Concatenation string `yaml:"concatenation"`
	// Latin1 lets texts that GSM 7-bit cannot carry go as ISO-8859-1
	// (data_coding 3) when that fits, before falling back to UCS-2.
	Latin1 bool `yaml:"latin1"`
	// MaxSegments caps the segments of one message (default 255).
	MaxSegments int `yaml:"max_segments"`
	// Addresses says how numbers are written in SMPP on this route.
	Addresses addressmap.SMPPPolicy `yaml:"addresses"`
	// Workers is how many messages are delivered at once on this route;
	// default binds x window.
	Workers int `yaml:"workers"`
}

func (s *SMSC) applyDefaults() {
	if s.Concatenation == "" {
		s.Concatenation = "udh8"
	}
	if s.MaxSegments == 0 {
		s.MaxSegments = 255
	}
	if s.Workers == 0 {
		d := s.Config.WithDefaults()
		s.Workers = d.Binds * d.Window
	}
}

// Validate checks the SMPP settings and the SMS policy.
func (s *SMSC) Validate() error {
	if err := s.Config.Validate(); err != nil {
		return err
	}
	switch s.Concatenation {
	case "udh8", "udh16", "sar", "payload":
	default:
		return fmt.Errorf("concatenation %q: want udh8, udh16, sar or payload", s.Concatenation)
	}
	if s.MaxSegments < 1 || s.MaxSegments > 255 {
		return fmt.Errorf("max_segments %d: want 1 to 255", s.MaxSegments)
	}
	if err := s.Addresses.Validate(); err != nil {
		return fmt.Errorf("addresses: %w", err)
	}
	if s.Workers < 1 {
		return fmt.Errorf("workers %d: want at least 1", s.Workers)
	}
	return nil
}
