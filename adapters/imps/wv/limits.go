package wv

import "fmt"

// Limits bounds what Decode accepts. The zero value of a field means its
// default. Limits is composed into the IMPS adapter's configuration.
type Limits struct {
	// MaxSize is the largest document in bytes. Default 256 KiB.
	MaxSize int `yaml:"max_size"`
	// MaxDepth is the deepest element nesting (the root is depth 1).
	// Default 32.
	MaxDepth int `yaml:"max_depth"`
	// MaxElements is the most elements in one document. Default 8192.
	MaxElements int `yaml:"max_elements"`
	// MaxTransactions is the most Transaction elements in one Session.
	// Default 16.
	MaxTransactions int `yaml:"max_transactions"`
}

// Defaults of Limits.
const (
	DefaultMaxSize         = 256 << 10
	DefaultMaxDepth        = 32
	DefaultMaxElements     = 8192
	DefaultMaxTransactions = 16
)

// Validate reports a negative bound.
func (l Limits) Validate() error {
	if l.MaxSize < 0 || l.MaxDepth < 0 || l.MaxElements < 0 || l.MaxTransactions < 0 {
		return fmt.Errorf("wv: limits must not be negative: %+v", l)
	}
	return nil
}

// withDefaults fills zero fields with their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxSize == 0 {
		l.MaxSize = DefaultMaxSize
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements == 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxTransactions == 0 {
		l.MaxTransactions = DefaultMaxTransactions
	}
	return l
}
