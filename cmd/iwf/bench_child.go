package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// iwfChild is iwf running as a child process of the benchmark, so that its
// CPU and memory are measured apart from the load generator's.
type iwfChild struct {
	cmd     *exec.Cmd
	console string // host:port
	logPath string
	exited  chan struct{}
	waitErr error
}

// startIWFChild runs `<binary> <args> --config <dir>/iwf.yaml` (args is
// "serve" or the profiling variant) with its output in <dir>/iwf.log.
func startIWFChild(binary, dir string, yaml []byte, console string, args, env []string) (*iwfChild, error) {
	cfgPath := filepath.Join(dir, "iwf.yaml")
	if err := os.WriteFile(cfgPath, yaml, 0o600); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c := &iwfChild{console: console, logPath: filepath.Join(dir, "iwf.log"), exited: make(chan struct{})}
	logf, err := os.Create(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c.cmd = exec.Command(binary, append(args, "--config", cfgPath)...)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.Env = append(os.Environ(), env...)
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("bench: starting iwf: %w", err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		logf.Close()
		close(c.exited)
	}()
	return c, nil
}

// waitReady polls the console path (/readyz or /healthz) until it answers
// 200, the child exits, or ctx ends.
func (c *iwfChild) waitReady(ctx context.Context, path string) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.console+path, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("bench: iwf exited before it was ready (%v); its log:\n%s", c.waitErr, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("bench: iwf not ready: %w; its log:\n%s", ctx.Err(), c.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *iwfChild) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop sends SIGTERM, waits up to grace for the drain, then kills, and
// returns the child's resource usage.
func (c *iwfChild) stop(grace time.Duration) (*syscall.Rusage, error) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	ru, _ := c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var exitErr *exec.ExitError
	if c.waitErr != nil && !errors.As(c.waitErr, &exitErr) {
		return ru, c.waitErr
	}
	if !c.cmd.ProcessState.Success() {
		return ru, fmt.Errorf("bench: iwf %v; its log:\n%s", c.cmd.ProcessState, c.logTail())
	}
	return ru, nil
}

// procCPU is the user and system CPU a process has used so far, from
// /proc/<pid>/stat (clock ticks of 10 ms, the Linux USER_HZ).
func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("bench: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, errors.New("bench: short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	const tick = 10 * time.Millisecond
	return time.Duration(ut) * tick, time.Duration(st) * tick, nil
}

// procMem is a process's resident set size now, at its peak, and the
// anonymous part of it now (VmRSS, VmHWM and RssAnon of /proc/<pid>/status:
// the rest is file pages, the journal's memory map), in bytes.
func procMem(pid int) (rss, peak, anon int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		case "RssAnon":
			anon = kb << 10
		}
	}
	return rss, peak, anon, nil
}

// freePort finds a free loopback port for network "udp" or "tcp" by
// binding port 0 and closing.
func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// procWriteBytes is what a process has caused to be written to storage
// (write_bytes of /proc/<pid>/io).
func procWriteBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("bench: no write_bytes in /proc io")
}
