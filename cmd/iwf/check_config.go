package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCheckConfigCmd() *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:   "check-config [FILE]",
		Short: "Validate a configuration file (no FILE: the sandbox default) and exit",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			if print {
				b, err := cfg.Marshal()
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "configuration OK")
			return err
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the effective configuration (defaults applied, passwords masked)")
	return cmd
}
