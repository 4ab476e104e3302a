package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/config"
)

func newServeCmd() *cobra.Command {
	var (
		path, dataDir, logLevel, consoleListen string
		sipListen                              []string
		grace                                  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway (with no --config: the sandbox with simulated peers)",
		Long: "Run the gateway. With no --config it runs the sandbox: local journal under ./iwf-data,\n" +
			"an SMSC simulator and a CPM user agent in-process on loopback, SIP on 127.0.0.1:5070,\n" +
			"the console on 127.0.0.1:8080. SIGTERM or SIGINT drain it gracefully.\n\n" +
			"Environment overrides (between the file and the flags):\n" + config.EnvDoc(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			if dataDir != "" {
				cfg.DataDir = dataDir
				cfg.Journal.Local.Path = ""
			}
			if logLevel != "" {
				cfg.LogLevel = logLevel
			}
			if consoleListen != "" {
				cfg.Console.Listen = consoleListen
			}
			if len(sipListen) > 0 {
				cfg.SIP.Listen = sipListen
			}
			if err := cfg.Finish(); err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, grace)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&path, "config", "c", "", "YAML configuration file (default: the sandbox)")
	f.StringVar(&dataDir, "data-dir", "", "override data_dir")
	f.StringVar(&logLevel, "log-level", "", "override log_level (debug, info, warn, error)")
	f.StringVar(&consoleListen, "console-listen", "", "override console.listen")
	f.StringSliceVar(&sipListen, "sip-listen", nil, "override sip.listen (e.g. udp:127.0.0.1:5070)")
	f.DurationVar(&grace, "shutdown-grace", 15*time.Second, "how long a graceful stop may take")
	return cmd
}

// serve runs until SIGTERM/SIGINT, then drains within grace.
func serve(parent context.Context, cfg *config.Config, grace time.Duration) error {
	if parent == nil {
		parent = context.Background()
	}
	log := newLogger(os.Stderr, cfg.LogLevel)
	// Libraries that log through the default logger (sipgo's transports)
	// then write iwf's format at iwf's level.
	slog.SetDefault(log)
	if path := os.Getenv("IWF_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	in, err := startInstance(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("iwf serving", "version", version, "sip", in.sip.Addrs(), "console", in.console.URL(),
		"data_dir", cfg.DataDir, "sandbox", cfg.Sandbox)
	if in.sandbox != nil {
		in.sandbox.greet(log, in)
	}
	select {
	case <-ctx.Done():
	case err := <-in.gwErr:
		in.close()
		return fmt.Errorf("gateway stopped: %w", err)
	}
	log.Info("stopping: draining in-flight work", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := in.shutdown(sctx); err != nil {
		log.Warn("stopped with errors", "err", err)
		return nil
	}
	log.Info("stopped cleanly")
	return nil
}

// startCPUProfile writes a CPU profile of the whole run to path (set
// IWF_CPUPROFILE to profile a serve, e.g. under `iwf bench`).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("IWF_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("IWF_CPUPROFILE: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
