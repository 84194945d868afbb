package main

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
)

func (c *cli) ofctlCmds() []*cobra.Command {
	var strict bool
	addFlow := &cobra.Command{Use: "add-flow BRIDGE FLOW", Short: "Add a flow", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.fl.ModFlows(ctx(cmd), &ctlpb.ModFlowsRequest{Bridge: args[0], Flows: []string{args[1]}, Command: "add"})
			return err
		}}
	addFlows := &cobra.Command{Use: "add-flows BRIDGE FILE|-", Short: "Add the flows of a file, all or none", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return streamFlowFile(ctx(cmd), args[1], c.fl.StreamModFlows, func(lines []string) *ctlpb.ModFlowsRequest {
				return &ctlpb.ModFlowsRequest{Bridge: args[0], Flows: lines, Command: "add"}
			})
		}}
	modFlows := &cobra.Command{Use: "mod-flows [--strict] BRIDGE FLOW", Short: "Modify the actions of matching flows", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.fl.ModFlows(ctx(cmd), &ctlpb.ModFlowsRequest{Bridge: args[0], Flows: []string{args[1]}, Command: "modify", Strict: strict})
			return err
		}}
	delFlows := &cobra.Command{Use: "del-flows [--strict] BRIDGE [MATCH]", Short: "Delete matching flows (all without a match)", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.ModFlowsRequest{Bridge: args[0], Command: "delete", Strict: strict}
			if len(args) == 2 {
				req.Flows = []string{args[1]}
			}
			_, err := c.fl.ModFlows(ctx(cmd), req)
			return err
		}}
	replaceFlows := &cobra.Command{Use: "replace-flows BRIDGE FILE|-", Short: "Replace every flow atomically", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return streamFlowFile(ctx(cmd), args[1], c.fl.StreamReplaceFlows, func(lines []string) *ctlpb.ReplaceFlowsRequest {
				return &ctlpb.ReplaceFlowsRequest{Bridge: args[0], Flows: lines}
			})
		}}
	dumpFlows := c.dumpFlowsCmd()
	for _, x := range []*cobra.Command{modFlows, delFlows} {
		x.Flags().BoolVar(&strict, "strict", false, "match priority and every field exactly")
	}
	dumpTables := &cobra.Command{Use: "dump-tables BRIDGE", Short: "Per-table flow and lookup counters", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.fl.DumpTables(ctx(cmd), &ctlpb.DumpTablesRequest{Bridge: args[0]})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprintf(c.out, "OFPST_TABLE reply (xid=0x2):\n%s", r.Text)
			return nil
		}}
	dumpPorts := &cobra.Command{Use: "dump-ports BRIDGE [PORT]", Short: "Port counters", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.DumpPortsRequest{Bridge: args[0]}
			if len(args) == 2 {
				req.Port = args[1]
			}
			r, err := c.dp.DumpPorts(ctx(cmd), req)
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, r.Text)
			return nil
		}}
	packetOut := c.packetOutCmd()
	cmds := []*cobra.Command{addFlow, addFlows, modFlows, delFlows, replaceFlows, dumpFlows, dumpTables, dumpPorts, packetOut}
	cmds = append(cmds, c.ofctlShowCmds()...)
	cmds = append(cmds, c.diffFlowsCmd())
	for _, x := range cmds {
		x.GroupID = "ofctl"
	}
	return cmds
}

// dumpFlowsCmd is ovs-ofctl dump-flows, with --sort and --rsort.
func (c *cli) dumpFlowsCmd() *cobra.Command {
	var noStats, names bool
	var proto string
	var sortKeys []sortKey
	dumpFlows := &cobra.Command{Use: "dump-flows BRIDGE [MATCH]", Short: "Print flows as ovs-ofctl dump-flows does", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			of13, err := parseProto(proto)
			if err != nil {
				return err
			}
			req := &ctlpb.DumpFlowsRequest{Bridge: args[0], NoStats: noStats, Openflow13: of13, Names: names}
			if len(args) == 2 {
				req.Match = args[1]
			}
			if len(sortKeys) > 0 {
				return c.printSortedDump(ctx(cmd), req, !noStats && !names, sortKeys)
			}
			return c.printFlowDump(ctx(cmd), req, !noStats && !names)
		}}
	dumpFlows.Flags().Var(sortFlag{keys: &sortKeys}, "sort", "sort by `field` ascending (priority when omitted; repeat for more keys)")
	dumpFlows.Flags().Var(sortFlag{keys: &sortKeys, desc: true}, "rsort", "sort by `field` descending (priority when omitted)")
	dumpFlows.Flags().Lookup("sort").NoOptDefVal = "priority"
	dumpFlows.Flags().Lookup("rsort").NoOptDefVal = "priority"
	dumpFlows.Flags().BoolVar(&noStats, "no-stats", false, "omit cookie (when 0), duration and counters")
	dumpFlows.Flags().BoolVar(&names, "names", false, "print port names instead of numbers")
	dumpFlows.Flags().StringVarP(&proto, "protocols", "O", "", "print as this OpenFlow version does (OpenFlow10 default, OpenFlow13)")
	return dumpFlows
}

// packetOutCmd is ovs-ofctl packet-out, with frames from a pcap file too.
func (c *cli) packetOutCmd() *cobra.Command {
	var pcapFile string
	packetOut := &cobra.Command{Use: "packet-out BRIDGE in_port=PORT [HEX] [--pcap FILE]", Short: "Inject frames as if received on a port", Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, ok := strings.CutPrefix(args[1], "in_port=")
			if !ok {
				return fmt.Errorf("second argument must be in_port=PORT, not %q", args[1])
			}
			req := &ctlpb.PacketOutRequest{Bridge: args[0], InPort: in}
			if len(args) == 3 {
				f, err := parseHex(args[2])
				if err != nil {
					return err
				}
				req.Frames = append(req.Frames, f)
			}
			if pcapFile != "" {
				fs, err := datapath.ReadPcap(pcapFile)
				if err != nil {
					return err
				}
				for _, f := range fs {
					req.Frames = append(req.Frames, f.Data)
				}
			}
			if len(req.Frames) == 0 {
				return fmt.Errorf("give a frame in hex or --pcap FILE")
			}
			_, err := c.dp.PacketOut(ctx(cmd), req)
			return err
		}}
	packetOut.Flags().StringVar(&pcapFile, "pcap", "", "inject every frame of this pcap file")
	return packetOut
}

func parseProto(p string) (bool, error) {
	switch strings.ToLower(p) {
	case "", "openflow10":
		return false, nil
	case "openflow13", "openflow14", "openflow15":
		return true, nil
	}
	return false, fmt.Errorf("unsupported protocol %q (OpenFlow10 or OpenFlow13)", p)
}

// parseHex reads a frame written in hex, spaces and colons allowed.
func parseHex(s string) ([]byte, error) {
	s = strings.NewReplacer(" ", "", ":", "", "\n", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("frame: %v", err)
	}
	return b, nil
}
