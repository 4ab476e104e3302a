package config

import (
	"errors"
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/gateway"
)

// Default route names of the MM7 link and the IMPS server.
const (
	DefaultMM7Route  = "mm7"
	DefaultIMPSRoute = "imps"
)

// MM7 is the mm7 section: the link to the MMS Relay/Server plus how
// messages on it are written.
type MM7 struct {
	mms.Config `yaml:",inline"`
	// Name is the route name (default "mm7") used in logs, the journal and
	// the console.
	Name string `yaml:"name"`
	// Workers is how many SubmitReq may be in flight (default 16).
	Workers int `yaml:"workers"`
	// ServiceCode, MessageClass (default Personal) and Priority (empty:
	// not sent) go into every SubmitReq.
	ServiceCode  string `yaml:"service_code"`
	MessageClass string `yaml:"message_class"`
	Priority     string `yaml:"priority"`
}

func (m *MM7) applyDefaults() {
	if m.Name == "" {
		m.Name = DefaultMM7Route
	}
	if m.Workers == 0 {
		m.Workers = 16
	}
	if m.MessageClass == "" {
		m.MessageClass = "Personal"
	}
	m.Config = m.Config.WithDefaults()
}

// Validate checks the link settings and the message policy.
func (m *MM7) Validate() error {
	errs := []error{m.Config.Validate()}
	if m.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers %d: want at least 1", m.Workers))
	}
	switch m.MessageClass {
	case "Personal", "Informational", "Advertisement", "Auto":
	default:
		errs = append(errs, fmt.Errorf("message_class %q: want Personal, Informational, Advertisement or Auto", m.MessageClass))
	}
	switch m.Priority {
	case "", "High", "Normal", "Low":
	default:
		errs = append(errs, fmt.Errorf("priority %q: want High, Normal, Low or empty", m.Priority))
	}
	return errors.Join(errs...)
}

// IMPS is the imps section: the session with the IMPS server plus how CPM
// senders are shown to IMPS users.
type IMPS struct {
	imps.Config `yaml:",inline"`
	// Name is the route name (default "imps").
	Name string `yaml:"name"`
	// Workers is how many SendMessage transactions may be in flight
	// (default 64: they are batched into few documents, and each waits
	// mostly for its journal write).
	Workers int `yaml:"workers"`
	// SenderForm is "sender" (default: the CPM sender's wv id is written
	// as the message's Sender) or "display" (for servers that only accept
	// the logged-in account as sender: the text starts with the CPM
	// sender's number in brackets).
	SenderForm string `yaml:"sender_form"`
	// CPMDomain is the SIP domain of CPM users who are not numbers, so an
	// IMPS user can write to "wv:bob@<domain>" and reach sip:bob@<cpm_domain>.
	// Empty (default): only CPM users with numbers are reachable from IMPS.
	CPMDomain string `yaml:"cpm_domain"`
}

func (p *IMPS) applyDefaults() {
	if p.Name == "" {
		p.Name = DefaultIMPSRoute
	}
	if p.Workers == 0 {
		p.Workers = 64
	}
	if p.SenderForm == "" {
		p.SenderForm = gateway.SenderInSender
	}
	p.Config = p.Config.WithDefaults()
}

// Validate checks the session settings and the sender form.
func (p *IMPS) Validate() error {
	errs := []error{p.Config.Validate()}
	if p.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers %d: want at least 1", p.Workers))
	}
	switch p.SenderForm {
	case gateway.SenderInSender, gateway.SenderInDisplay:
	default:
		errs = append(errs, fmt.Errorf("sender_form %q: want sender or display", p.SenderForm))
	}
	if p.Domain == "" {
		errs = append(errs, errors.New("domain: required (the wv domain CPM users appear in)"))
	}
	if len(p.RemoteDomains) == 0 {
		errs = append(errs, errors.New("remote_domains: name at least one domain whose users are IMPS users"))
	}
	return errors.Join(errs...)
}
