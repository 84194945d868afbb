package main

import (
	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/vswitch"
)

func newReplayCmd() *cobra.Command {
	var cfgPath string
	var trace, dumpFlows bool
	cmd := &cobra.Command{
		Use:   "replay --config FILE",
		Short: "Run a configuration offline: pcap ports' rx files in, tx files out",
		Long: `Replay reads every pcap port's rx file, merges the frames by timestamp (ties in
configuration order), runs each through the bridges to completion, writes every
pcap port's tx file and prints per-port counters and drop reasons.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			opts := datapath.ReplayOptions{Summary: out}
			if trace {
				opts.Trace = out
			}
			if dumpFlows {
				opts.DumpFlows = out
			}
			_, err = vswitch.Replay(cfg, opts)
			return err
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "configuration file (required)")
	cmd.Flags().BoolVar(&trace, "trace", false, "explain every packet, in the spirit of ovs-appctl ofproto/trace")
	cmd.Flags().BoolVar(&dumpFlows, "dump-flows", false, "print every bridge's flow table at the end (learned flows included)")
	cmd.MarkFlagRequired("config")
	return cmd
}
