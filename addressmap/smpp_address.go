package addressmap

import (
	"fmt"
	"strings"
)

// SMPP 3.4 type of number (section 5.2.5) values.
const (
	TONUnknown         uint8 = 0
	TONInternational   uint8 = 1
	TONNational        uint8 = 2
	TONNetworkSpecific uint8 = 3
	TONSubscriber      uint8 = 4
	TONAlphanumeric    uint8 = 5
	TONAbbreviated     uint8 = 6
)

// SMPP 3.4 numbering plan indicator (section 5.2.6) values iwf writes.
const (
	NPIUnknown uint8 = 0
	NPIISDN    uint8 = 1 // E.163/E.164
)

// Values of SMPPPolicy.Format.
const (
	FormatInternational = "international"
	FormatNational      = "national"
)

// SMPPPolicy is how one SMPP route wants addresses written. The zero value
// is valid: international numbers, short codes as TON 3 NPI 0.
type SMPPPolicy struct {
	// Format is "international" (default: TON 1, NPI 1, E.164 digits
	// without "+") or "national" (TON 2, NPI 1, the national significant
	// number without national prefix, for home-country numbers; others
	// stay international).
	Format string `yaml:"format"`
	// ShortCodeTON is the type of number of short codes: 3 (network
	// specific, the default when 0) or 6 (abbreviated).
	ShortCodeTON uint8 `yaml:"short_code_ton"`
	// ShortCodeNPI is the numbering plan of short codes; default 0
	// (unknown), or any SMPP 3.4 value (1, 3, 4, 6, 8, 9, 10, 14, 18).
	ShortCodeNPI uint8 `yaml:"short_code_npi"`
}

// Validate reports the first problem with p; the error wraps ErrConfig.
func (p *SMPPPolicy) Validate() error {
	switch p.Format {
	case "", FormatInternational, FormatNational:
	default:
		return configError("format %q: want international or national", p.Format)
	}
	switch p.ShortCodeTON {
	case 0, TONNetworkSpecific, TONAbbreviated:
	default:
		return configError("short_code_ton %d: want 3 or 6", p.ShortCodeTON)
	}
	switch p.ShortCodeNPI {
	case 0, 1, 3, 4, 6, 8, 9, 10, 14, 18:
	default:
		return configError("short_code_npi %d: not an SMPP 3.4 numbering plan", p.ShortCodeNPI)
	}
	return nil
}

// ToSMPP returns n as an SMPP address with its TON and NPI under route
// policy p:
//   - International: TON 1 NPI 1 digits; with Format "national" and a home
//     country number, TON 2 NPI 1 and the national significant number
//     (unless that would read back as something else: as short as a short
//     code, or starting with the national prefix);
//   - ShortCode: p.ShortCodeTON (3 by default) and p.ShortCodeNPI;
//   - Alphanumeric: TON 5 NPI 0 and the name.
//
// SIP identities and IMPS ids give an error wrapping ErrNoForm; an invalid
// p one wrapping ErrConfig.
func (m *Map) ToSMPP(n Number, p SMPPPolicy) (addr string, ton, npi uint8, err error) {
	if err := p.Validate(); err != nil {
		return "", 0, 0, err
	}
	switch n.Kind {
	case International:
		if nsn, ok := m.nationalForm(n.Digits); ok && p.Format == FormatNational {
			return nsn, TONNational, NPIISDN, nil
		}
		return n.Digits, TONInternational, NPIISDN, nil
	case ShortCode:
		ton := p.ShortCodeTON
		if ton == 0 {
			ton = TONNetworkSpecific
		}
		return n.Digits, ton, p.ShortCodeNPI, nil
	case Alphanumeric:
		if _, err := alphanumeric(n.Text, n.Text); err != nil {
			return "", 0, 0, err
		}
		return n.Text, TONAlphanumeric, NPIUnknown, nil
	}
	return "", 0, 0, fmt.Errorf("%w: %s %q toward SMPP", ErrNoForm, n.Kind, n.String())
}

// FromSMPP reads an SMPP address by its type of number:
//   - 1 international: E.164 digits (a leading "+" is tolerated); as few
//     digits as a short code is one, labelled international by mistake;
//   - 2 national: the national significant number (a leading national
//     prefix is tolerated) of the home country; as short as a short code,
//     a short code;
//   - 3 network specific, 6 abbreviated: a short code;
//   - 5 alphanumeric: a sender name, kept byte for byte;
//   - 0 unknown: read as Normalize reads a number written without scheme.
//
// TON 0, 1 and 2 need NPI 0 or 1 (E.164); short codes and names take any
// NPI. Other TONs (4 subscriber number) give an *InvalidError.
func (m *Map) FromSMPP(addr string, ton, npi uint8) (Number, error) {
	if len(addr) > MaxAddressLen {
		return Number{}, invalid(addr, "longer than 256 bytes")
	}
	if addr == "" {
		return Number{}, invalid(addr, "empty")
	}
	if ton <= TONNational && npi != NPIUnknown && npi != NPIISDN {
		return Number{}, invalid(addr, fmt.Sprintf("numbering plan %d with type of number %d", npi, ton))
	}
	switch ton {
	case TONInternational:
		d := strings.TrimPrefix(addr, "+")
		if !allDigits(d) {
			return Number{}, invalid(addr, "international number is not all digits")
		}
		if d != "" && len(d) <= m.shortMax {
			return Number{Kind: ShortCode, Digits: d, Context: m.ccContext}, nil
		}
		return m.international(addr, d)
	case TONNational:
		return m.fromSMPPNational(addr)
	case TONNetworkSpecific, TONAbbreviated:
		if !allDigits(addr) || len(addr) > m.shortMax {
			return Number{}, invalid(addr, fmt.Sprintf("short code is not 1 to %d digits", m.shortMax))
		}
		return Number{Kind: ShortCode, Digits: addr, Context: m.ccContext}, nil
	case TONAlphanumeric:
		return alphanumeric(addr, addr)
	case TONUnknown:
		if strings.ContainsAny(addr, ":@") {
			return Number{}, invalid(addr, "neither a number nor a sender name")
		}
		return m.fromBare(addr, addr)
	}
	return Number{}, invalid(addr, fmt.Sprintf("type of number %d not supported", ton))
}

func (m *Map) fromSMPPNational(addr string) (Number, error) {
	if !allDigits(addr) {
		return Number{}, invalid(addr, "national number is not all digits")
	}
	if len(addr) <= m.shortMax {
		return Number{Kind: ShortCode, Digits: addr, Context: m.ccContext}, nil
	}
	nsn := addr
	if m.np != "" {
		nsn = strings.TrimPrefix(addr, m.np)
	}
	return m.national(addr, nsn, m.cc)
}

// nationalForm returns the national significant number of E.164 digits d
// of the home country, when it reads back as the same number: not when it
// is as short as a short code or starts with the national prefix.
func (m *Map) nationalForm(d string) (string, bool) {
	if m.cc == "" || !strings.HasPrefix(d, m.cc) {
		return "", false
	}
	nsn := d[len(m.cc):]
	if len(nsn) <= m.shortMax || (m.np != "" && strings.HasPrefix(nsn, m.np)) {
		return "", false
	}
	return nsn, true
}
