package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// iwfBinary is the iwf command built once for the end-to-end tests, which
// run it as a real process.
var iwfBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "iwf-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	iwfBinary = filepath.Join(dir, "iwf")
	args := []string{"build", "-o", iwfBinary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building iwf for the end-to-end tests:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
