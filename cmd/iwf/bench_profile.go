package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// newBenchServeProfiledCmd is the hidden child mode of `iwf bench sms
// --heapprofile`: `serve` that also writes a heap profile each time it gets
// SIGUSR1, so the benchmark can take one when the load ends.
func newBenchServeProfiledCmd() *cobra.Command {
	var path, heap string
	cmd := &cobra.Command{
		Use:    "serve-profiled",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(context.WithoutCancel(cmd.Context()))
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); heapOnSignal(ctx, heap) }()
			err = serve(cmd.Context(), cfg, 60*time.Second)
			cancel()
			wg.Wait()
			return err
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", "YAML configuration file")
	cmd.Flags().StringVar(&heap, "heapprofile", "", "where SIGUSR1 writes a heap profile")
	return cmd
}

// heapOnSignal writes a heap profile to path on each SIGUSR1 until ctx
// ends; it writes path+".tmp" and renames, so a reader never sees half.
func heapOnSignal(ctx context.Context, path string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	defer signal.Stop(sig)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
		}
		runtime.GC()
		f, err := os.Create(path + ".tmp")
		if err != nil {
			fmt.Fprintln(os.Stderr, "heap profile:", err)
			continue
		}
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(path+".tmp", path)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "heap profile:", err)
		}
	}
}

// takeHeapProfile asks the child for a heap profile and waits (bounded)
// until it is written.
func (c *iwfChild) takeHeapProfile(path string) error {
	_ = os.Remove(path)
	if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return err
	}
	for range 300 {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("bench: no heap profile at %s after 15 s", path)
}
