package mediasession

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// Defaults applied by NewEndpoint to zero fields of EndpointConfig.
const (
	// DefaultListen is the address an Endpoint listens on.
	DefaultListen = "127.0.0.1:2855"
	// DefaultChunkSize is the most body bytes per SEND. RFC 4975 section
	// 7.1.1 wants chunks above 2048 octets to be interruptible; iwf never
	// interrupts a chunk it started, so it keeps to 2048.
	DefaultChunkSize = 2048
	// DefaultMaxSessions bounds the sessions of one Endpoint.
	DefaultMaxSessions = 10000
	// DefaultSendWindow bounds the bytes one session has queued or
	// unanswered on its connection (256 KiB).
	DefaultSendWindow = 256 << 10
	// DefaultBindTimeout is how long a session waits for its peer to
	// connect, and a connection without sessions stays open.
	DefaultBindTimeout = 32 * time.Second
	// DefaultIdleTimeout closes a session that carried no frame that long.
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultTransactionTimeout is how long a sender waits for a response
	// before it takes the transaction as failed with 408 (RFC 4975
	// section 7.1.1 suggests 30 seconds).
	DefaultTransactionTimeout = 30 * time.Second
	// DefaultReportTimeout is how long Send waits for the success REPORT
	// a message asked for.
	DefaultReportTimeout = 30 * time.Second
	// DefaultWriteTimeout closes a connection whose peer accepted no byte
	// of a pending write that long.
	DefaultWriteTimeout = 30 * time.Second
)

// EndpointConfig configures an Endpoint. Zero fields take the documented
// defaults; package config composes it into the YAML file.
type EndpointConfig struct {
	// Listen is the TCP host:port to accept connections on (default
	// "127.0.0.1:2855"); port 0 picks a free port.
	Listen string `yaml:"listen"`
	// Host is the host put in local MSRP URIs (a=path). Default: the
	// listen IP; required when listening on an unspecified address.
	Host string `yaml:"host"`
	// ChunkSize is the most body bytes per SEND (default 2048). At most
	// Limits.MaxBodyBytes.
	ChunkSize int `yaml:"chunk_size"`
	// MaxSessions bounds the sessions of the Endpoint (default 10000);
	// NewSession past it fails with ErrTooManySessions.
	MaxSessions int `yaml:"max_sessions"`
	// MaxConnections bounds the open connections (default MaxSessions);
	// connections accepted past it are closed at once.
	MaxConnections int `yaml:"max_connections"`
	// SendWindow bounds the bytes of one session that are queued for
	// writing or wait for their transaction response (default 256 KiB);
	// Send blocks while it is full. At least ChunkSize.
	SendWindow int `yaml:"send_window"`
	// ReceiveBuffer bounds the bytes one session holds for messages being
	// reassembled or handled (default Limits.MaxMessageBytes); a message
	// that would exceed it is refused with 413.
	ReceiveBuffer int64 `yaml:"receive_buffer"`
	// BindTimeout bounds the wait for a peer to connect to a new session,
	// and how long a connection with no session stays open (default 32s).
	BindTimeout time.Duration `yaml:"bind_timeout"`
	// IdleTimeout closes a session that sent and received no frame that
	// long (default 5m), and drops a partly received message whose next
	// chunk is that late.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// TransactionTimeout bounds the wait for each transaction response
	// (default 30s); past it Send fails with 408.
	TransactionTimeout time.Duration `yaml:"transaction_timeout"`
	// ReportTimeout bounds the wait for a requested success REPORT
	// (default 30s).
	ReportTimeout time.Duration `yaml:"report_timeout"`
	// WriteTimeout closes a connection whose peer takes no data that long
	// (default 30s).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// Limits bounds every frame and message read.
	Limits msrp.Config `yaml:"limits"`
	// TLS, when set, makes the listener TLS (local URIs msrps://) and is
	// used to dial msrps:// peers. Without it the Endpoint speaks plain
	// TCP and cannot reach msrps:// peers.
	TLS *tls.Config `yaml:"-"`
}

// Validate reports the first invalid field. Zero fields are valid.
func (c *EndpointConfig) Validate() error {
	if err := c.Limits.Validate(); err != nil {
		return fmt.Errorf("mediasession: limits: %w", err)
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("mediasession: listen %q: %w", c.Listen, err)
		}
	}
	if c.Host != "" && !validHost(c.Host) {
		return fmt.Errorf("mediasession: host %q is not a host name or address", c.Host)
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"chunk_size", int64(c.ChunkSize)}, {"max_sessions", int64(c.MaxSessions)},
		{"max_connections", int64(c.MaxConnections)}, {"send_window", int64(c.SendWindow)},
		{"receive_buffer", c.ReceiveBuffer}, {"bind_timeout", int64(c.BindTimeout)},
		{"idle_timeout", int64(c.IdleTimeout)}, {"transaction_timeout", int64(c.TransactionTimeout)},
		{"report_timeout", int64(c.ReportTimeout)}, {"write_timeout", int64(c.WriteTimeout)}} {
		if n.v < 0 {
			return fmt.Errorf("mediasession: %s %d is negative", n.name, n.v)
		}
	}
	d := c.withDefaults()
	if d.ChunkSize > d.Limits.MaxBodyBytes {
		return fmt.Errorf("mediasession: chunk_size %d exceeds max_body_bytes %d", d.ChunkSize, d.Limits.MaxBodyBytes)
	}
	if d.SendWindow < d.ChunkSize {
		return fmt.Errorf("mediasession: send_window %d is below chunk_size %d", d.SendWindow, d.ChunkSize)
	}
	return nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c EndpointConfig) withDefaults() EndpointConfig {
	c.Limits = c.Limits.WithDefaults()
	setDefault(&c.Listen, DefaultListen)
	setDefault(&c.ChunkSize, DefaultChunkSize)
	setDefault(&c.MaxSessions, DefaultMaxSessions)
	setDefault(&c.MaxConnections, c.MaxSessions)
	setDefault(&c.SendWindow, DefaultSendWindow)
	setDefault(&c.ReceiveBuffer, c.Limits.MaxMessageBytes)
	setDefault(&c.BindTimeout, DefaultBindTimeout)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.TransactionTimeout, DefaultTransactionTimeout)
	setDefault(&c.ReportTimeout, DefaultReportTimeout)
	setDefault(&c.WriteTimeout, DefaultWriteTimeout)
	return c
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// validHost reports whether h can be the host of an MSRP URI: a host
// name, an IPv4 address or a bracketed IPv6 address, and nothing more.
func validHost(h string) bool {
	u, err := msrp.ParseURI("msrp://" + h + ";tcp")
	return err == nil && u.Host == h && u.User == ""
}
