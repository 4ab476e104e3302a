// Package config is the schema of iwf's YAML file, composed of each
// package's Config, and the one place where it is loaded, merged (file,
// then environment, then flags), defaulted and validated. Unknown keys are
// an error. `iwf check-config` and `iwf serve` run the same code.
package config
