package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// daemonCmds are the ovs-appctl verbs about gvsd itself: vlog/set,
// vlog/list, coverage/show and memory/show.
func (c *cli) daemonCmds() []*cobra.Command {
	vlogSet := &cobra.Command{Use: "vlog/set [MODULE:]LEVEL", Aliases: []string{"vlog-set"},
		Short: "Change gvsd's log level while it runs (ovs-appctl vlog/set; levels dbg, info, warn, err, emer, off)", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.dp.SetLogLevel(ctx(cmd), &ctlpb.SetLogLevelRequest{Spec: strings.Join(args, " ")})
			if err != nil {
				return err
			}
			c.json(r) // like ovs-appctl, nothing is printed on success
			return nil
		}}
	vlogList := &cobra.Command{Use: "vlog/list", Aliases: []string{"vlog-list"}, Short: "Print gvsd's log levels (ovs-appctl vlog/list)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := c.dp.ListLogLevels(ctx(cmd), &ctlpb.ListLogLevelsRequest{})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, r.Text)
			return nil
		}}
	coverage := &cobra.Command{Use: "coverage/show", Aliases: []string{"coverage-show"}, Short: "Print gvs's event counters (ovs-appctl coverage/show)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := c.dp.Coverage(ctx(cmd), &ctlpb.CoverageRequest{})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, r.Text)
			return nil
		}}
	memory := &cobra.Command{Use: "memory/show", Aliases: []string{"memory-show"}, Short: "Print what gvsd holds: flows, MAC and conntrack entries, Go heap (ovs-appctl memory/show)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := c.dp.Memory(ctx(cmd), &ctlpb.MemoryRequest{})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, r.Text)
			return nil
		}}
	return []*cobra.Command{vlogSet, vlogList, coverage, memory}
}
