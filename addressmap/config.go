package addressmap

// Values of Config.BareDigits.
const (
	BareAuto          = "auto"
	BareInternational = "international"
	BareNational      = "national"
)

// Values of Config.CPMForm.
const (
	CPMFormTel = "tel"
	CPMFormSIP = "sip"
)

// NoPrefix, as Config.NationalPrefix, says the country has no national
// (trunk) prefix; as Config.InternationalPrefix it says only "+" marks an
// international number.
const NoPrefix = "none"

// Defaults New applies to zero fields.
const (
	DefaultNationalPrefix      = "0"
	DefaultInternationalPrefix = "00"
	DefaultShortCodeMaxLen     = 6
	DefaultMaxNationalLen      = 10
)

// Config is the addressmap section of the iwf YAML file.
type Config struct {
	// CountryCode is the home country calling code, digits without "+"
	// ("44", "1", "33", "49"). No default. When empty, national numbers
	// (national prefix, SMPP TON 2, local tel numbers without a "+CC"
	// phone-context) are refused: they have no international form.
	CountryCode string `yaml:"country_code"`
	// NationalPrefix is the trunk prefix of national numbers ("0" in most
	// of Europe, "1" in the NANP). Default "0"; NoPrefix ("none") when the
	// country has none.
	NationalPrefix string `yaml:"national_prefix"`
	// InternationalPrefix is dialled before a country code ("00", "011").
	// Default "00"; "+" is always understood. NoPrefix for none.
	InternationalPrefix string `yaml:"international_prefix"`
	// ShortCodeMaxLen: digit strings this long or shorter, with no "+",
	// are short codes ("40404", "118118"). Default 6, at most 8.
	ShortCodeMaxLen int `yaml:"short_code_max_len"`
	// BareDigits says what digits with no "+", no prefix and longer than a
	// short code are:
	//   "auto" (default): international when they start with CountryCode
	//     and are longer than MaxNationalLen, else a national significant
	//     number of the home country;
	//   "international": always E.164 digits without "+" (SMSCs that send
	//     TON 0 international numbers);
	//   "national": always a national significant number.
	// Countries whose national numbers vary in length and may start with
	// their own country code (49, for one) should not use "auto".
	BareDigits string `yaml:"bare_digits"`
	// MaxNationalLen is the longest national significant number of the
	// home country, used by BareDigits "auto". Default 10.
	MaxNationalLen int `yaml:"max_national_len"`
	// CPMForm is the URI form CPMAddress gives numbers toward CPM users:
	// "tel" (default, "tel:+447700900123") or "sip"
	// ("sip:+447700900123@domain;user=phone").
	CPMForm string `yaml:"cpm_form"`
	// Rules decide which network owns a recipient; the first match wins.
	Rules []Rule `yaml:"rules"`
	// DefaultNetwork owns recipients no rule matches. Empty: none does,
	// and Owner returns ErrNoRoute.
	DefaultNetwork string `yaml:"default_network"`
	// DefaultRoute names the route of DefaultNetwork; may be empty.
	DefaultRoute string `yaml:"default_route"`
}

// Rule gives the recipients that Match to Network (and its Route). Match is
// one of:
//
//	"+"  "+44"  "+4477"   E.164 numbers starting with those digits
//	"40404"  "404*"       a short code, exactly or by prefix
//	"sip:*@ims.example.net"  "sips:alice@*.example.net"
//	                      SIP identities; "*" matches any run of characters,
//	                      the host compares without case
//	"wv:*@imps.example.net"  IMPS ids, compared without case
//	"*"                   anything that can receive
type Rule struct {
	Match   string `yaml:"match"`
	Network string `yaml:"network"` // "sms", "cpm", "mms", "imps": the gateway's adapter names
	Route   string `yaml:"route"`   // which route (SMSC, relay) of the network; may be empty
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.NationalPrefix == "" {
		c.NationalPrefix = DefaultNationalPrefix
	}
	if c.InternationalPrefix == "" {
		c.InternationalPrefix = DefaultInternationalPrefix
	}
	if c.ShortCodeMaxLen == 0 {
		c.ShortCodeMaxLen = DefaultShortCodeMaxLen
	}
	if c.BareDigits == "" {
		c.BareDigits = BareAuto
	}
	if c.MaxNationalLen == 0 {
		c.MaxNationalLen = DefaultMaxNationalLen
	}
	if c.CPMForm == "" {
		c.CPMForm = CPMFormTel
	}
	return c
}

// Validate reports the first problem with c, defaults applied; the error
// wraps ErrConfig. It does not change c.
func (c *Config) Validate() error {
	d := c.withDefaults()
	if err := d.validateNumbering(); err != nil {
		return err
	}
	switch d.BareDigits {
	case BareAuto, BareInternational, BareNational:
	default:
		return configError("bare_digits %q: want auto, international or national", d.BareDigits)
	}
	switch d.CPMForm {
	case CPMFormTel, CPMFormSIP:
	default:
		return configError("cpm_form %q: want tel or sip", d.CPMForm)
	}
	for i, r := range d.Rules {
		if _, err := compileRule(r); err != nil {
			return configError("rules[%d]: %v", i, err)
		}
	}
	if d.DefaultNetwork == "" && d.DefaultRoute != "" {
		return configError("default_route %q without default_network", d.DefaultRoute)
	}
	if d.DefaultNetwork != "" && !isToken(d.DefaultNetwork) {
		return configError("default_network %q: want letters, digits, '-' or '_'", d.DefaultNetwork)
	}
	return nil
}

func (c *Config) validateNumbering() error {
	if c.CountryCode != "" && (len(c.CountryCode) > 3 || !allDigits(c.CountryCode) || c.CountryCode[0] == '0') {
		return configError("country_code %q: want 1 to 3 digits, not starting with 0", c.CountryCode)
	}
	if !validPrefix(c.NationalPrefix) {
		return configError("national_prefix %q: want 1 to 4 digits or %q", c.NationalPrefix, NoPrefix)
	}
	if !validPrefix(c.InternationalPrefix) {
		return configError("international_prefix %q: want 1 to 4 digits or %q", c.InternationalPrefix, NoPrefix)
	}
	if c.NationalPrefix != NoPrefix && c.NationalPrefix == c.InternationalPrefix {
		return configError("national_prefix and international_prefix are both %q", c.NationalPrefix)
	}
	if c.ShortCodeMaxLen < 1 || c.ShortCodeMaxLen > 8 {
		return configError("short_code_max_len %d: want 1 to 8", c.ShortCodeMaxLen)
	}
	if c.MaxNationalLen < 4 || c.MaxNationalLen > 14 {
		return configError("max_national_len %d: want 4 to 14", c.MaxNationalLen)
	}
	return nil
}

func validPrefix(p string) bool {
	return p == NoPrefix || (len(p) >= 1 && len(p) <= 4 && allDigits(p))
}

// isToken reports whether s is a non-empty name of letters, digits, '-'
// and '_'.
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !isAlpha(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
