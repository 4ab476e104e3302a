// Command iwf is the interworking gateway between OMA CPM and legacy
// messaging: `iwf serve` runs it; `send`, `decode`, `addr`, `check-config`,
// `bench` and `version` are the operator's tools. This package is wiring
// only: every behaviour lives in the packages it composes.
package main
