package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

func (c *cli) appctlCmds() []*cobra.Command {
	fdbShow := &cobra.Command{Use: "fdb-show BRIDGE", Aliases: []string{"fdb/show"}, Short: "Show the MAC learning table (ovs-appctl fdb/show)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.dp.FDBShow(ctx(cmd), &ctlpb.FDBShowRequest{Bridge: args[0]})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, r.Text)
			return nil
		}}
	fdbFlush := &cobra.Command{Use: "fdb-flush [BRIDGE]", Aliases: []string{"fdb/flush"}, Short: "Empty the MAC learning table", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.FDBFlushRequest{}
			if len(args) == 1 {
				req.Bridge = args[0]
			}
			if _, err := c.dp.FDBFlush(ctx(cmd), req); err != nil {
				return err
			}
			fmt.Fprintln(c.out, "table successfully flushed")
			return nil
		}}
	trace := c.traceCmd()
	drops := c.dropsCmd()
	capture := c.captureCmd()
	dumpCT := &cobra.Command{Use: "dump-conntrack [zone=N]", Aliases: []string{"dpctl/dump-conntrack"}, Short: "List connection-tracking entries", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			zone, err := ctZoneArg(args)
			if err != nil {
				return err
			}
			st, err := ctlpb.NewConntrackClient(c.conn).StreamDumpConntrack(ctx(cmd), &ctlpb.DumpConntrackRequest{Zone: zone})
			if err != nil {
				return err
			}
			// Printed as it arrives: a table of any size goes through.
			return recvEach(st.Recv, func(r *ctlpb.DumpConntrackResponse) error {
				if c.json(r) {
					return nil
				}
				_, err := io.WriteString(c.out, r.Text)
				return err
			})
		}}
	flushCT := &cobra.Command{Use: "flush-conntrack [zone=N]", Aliases: []string{"dpctl/flush-conntrack"}, Short: "Delete connection-tracking entries", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			zone, err := ctZoneArg(args)
			if err != nil {
				return err
			}
			r, err := ctlpb.NewConntrackClient(c.conn).FlushConntrack(ctx(cmd), &ctlpb.FlushConntrackRequest{Zone: zone})
			if err != nil || c.json(r) {
				return err
			}
			return nil
		}}
	cmds := []*cobra.Command{fdbShow, fdbFlush, trace, drops, capture, dumpCT, flushCT}
	cmds = append(cmds, c.daemonCmds()...)
	for _, x := range cmds {
		x.GroupID = "appctl"
	}
	return cmds
}

// dropsCmd prints the packets each bridge dropped, by reason.
func (c *cli) dropsCmd() *cobra.Command {
	drops := &cobra.Command{Use: "drops [BRIDGE]", Aliases: []string{"drops/show"}, Short: "Packets dropped, by reason", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.DropsRequest{}
			if len(args) == 1 {
				req.Bridge = args[0]
			}
			r, err := c.dp.Drops(ctx(cmd), req)
			if err != nil || c.json(r) {
				return err
			}
			for _, b := range r.Bridges {
				fmt.Fprintf(c.out, "%s:\n", b.Bridge)
				var names []string
				for n := range b.Reasons {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					fmt.Fprintf(c.out, "  %-14s %d\n", n, b.Reasons[n])
				}
				fmt.Fprintf(c.out, "  %-14s %d\n", "malformed", b.Malformed)
			}
			return nil
		}}
	return drops
}

// ctZoneArg parses the optional "zone=N" argument of the conntrack commands.
func ctZoneArg(args []string) (*uint32, error) {
	if len(args) == 0 {
		return nil, nil
	}
	v, ok := strings.CutPrefix(args[0], "zone=")
	if !ok {
		return nil, fmt.Errorf("expected zone=N, not %q", args[0])
	}
	n, err := strconv.ParseUint(v, 0, 16)
	if err != nil {
		return nil, fmt.Errorf("bad zone %q: want 0..65535", v)
	}
	z := uint32(n)
	return &z, nil
}
