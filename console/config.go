package console

import (
	"errors"
	"fmt"
	"net"
	"unicode"
)

// DefaultListen is the console's address when Config.Listen is empty.
const DefaultListen = "127.0.0.1:8080"

// Config is the console section of the YAML file.
type Config struct {
	// Listen is the host:port of the console. Default 127.0.0.1:8080;
	// port 0 picks a free port.
	Listen string `yaml:"listen"`
	// Token is the secret the page and the admin API ask for. Empty: Start
	// makes a random one and logs the console URL that carries it.
	Token string `yaml:"token"`
	// TLSCert and TLSKey are PEM files; with both set the console serves
	// HTTPS only. Default: plain HTTP.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
}

// Validate checks the listen address, the token and the TLS pair.
func (c *Config) Validate() error {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("console: listen %q: %w", c.Listen, err)
		}
	}
	for _, r := range c.Token {
		// The token travels in a header, a query string and a cookie.
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' || r == ';' || r == ',' || r == '"' || r == '\\' {
			return errors.New("console: token: use printable ASCII without spaces, quotes, commas, semicolons or backslashes")
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("console: tls_cert and tls_key go together")
	}
	return nil
}

func (c *Config) tls() bool { return c.TLSCert != "" }
