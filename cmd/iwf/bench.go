package main

import (
	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure iwf on this machine"}
	cmd.AddCommand(newBenchSMSCmd())
	cmd.AddCommand(newBenchMMSCmd())
	cmd.AddCommand(newBenchIMPSCmd())
	cmd.AddCommand(newBenchMSRPCmd())
	return cmd
}
