package main

import "github.com/spf13/cobra"

func newBenchSMSCmd() *cobra.Command {
	return &cobra.Command{Use: "sms"}
}
