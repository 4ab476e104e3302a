package main

import (
	"context"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/local"
)

func newJournalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "journal", Short: "Look into a stopped iwf's journal (read only)"}
	var dataDir string
	var limit int
	for _, st := range []journal.State{journal.Dead, journal.Open} {
		name := map[journal.State]string{journal.Dead: "dead", journal.Open: "open"}[st]
		short := map[journal.State]string{
			journal.Dead: "List dead letters: messages that failed for good or expired",
			journal.Open: "List pending work: messages and reports not yet delivered, MO fragments",
		}[st]
		sub := &cobra.Command{
			Use: name, Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return listEntries(cmd, filepath.Join(dataDir, "journal.db"), st, limit)
			},
		}
		sub.Flags().StringVar(&dataDir, "data-dir", "./iwf-data", "the data_dir of the iwf to read (it must be stopped)")
		sub.Flags().IntVar(&limit, "limit", 100, "list at most this many entries (0: all)")
		cmd.AddCommand(sub)
	}
	return cmd
}

func listEntries(cmd *cobra.Command, path string, st journal.State, limit int) error {
	j, err := local.Open(local.Config{Path: path}, nil)
	if err != nil {
		return fmt.Errorf("%w (is iwf still running on it?)", err)
	}
	defer j.Close()
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tRECEIVED\tKIND\tROUTE\tOUTCOME\tATTEMPTS\tID\tFROM\tTO\tREASON")
	n := 0
	err = j.Scan(context.Background(), st, 0, func(e journal.Entry) error {
		v, err := gateway.DescribeEntry(e)
		if err != nil {
			fmt.Fprintf(w, "%d\t-\t(unreadable: %v)\n", e.Seq, err)
		} else {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", v.Seq, v.Received.Format("2006-01-02 15:04:05"),
				v.Kind, v.Route, v.Outcome, v.Attempts, v.ID, v.From, v.To, v.Reason)
		}
		n++
		if limit > 0 && n >= limit {
			return journal.ErrStop
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.Flush()
}
