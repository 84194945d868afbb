package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/flowtable"
)

// ofctlShow prints a bridge as ovs-ofctl show does: the features reply
// (gvs has no datapath ID or OpenFlow capabilities of its own: the dpid is
// LOCAL's address, as OVS derives it, and only n_tables is reported), the
// ports, and the switch configuration (frags).
func (c *cli) ofctlShow(ctx context.Context, bridge string) error {
	pd, err := c.dp.PortsDesc(ctx, &ctlpb.PortsDescRequest{Bridge: bridge})
	if err != nil {
		return err
	}
	fr, err := c.dp.GetFrags(ctx, &ctlpb.GetFragsRequest{Bridge: bridge})
	if err != nil {
		return err
	}
	if c.output == "json" {
		c.json(pd)
		c.json(fr)
		return nil
	}
	dpid := "0000000000000000"
	for _, p := range pd.Ports {
		if p.Ofport == "LOCAL" {
			dpid = "0000" + strings.ReplaceAll(p.Addr, ":", "")
		}
	}
	fmt.Fprintf(c.out, "OFPT_FEATURES_REPLY (xid=0x2): dpid:%s\nn_tables:%d, n_buffers:0\n", dpid, flowtable.NumTables)
	fmt.Fprint(c.out, pd.Text)
	fmt.Fprintf(c.out, "OFPT_GET_CONFIG_REPLY (xid=0x4): frags=%s miss_send_len=0\n", fr.Mode)
	return nil
}

// ofctlShowCmds are the ovs-ofctl verbs that describe a bridge rather
// than its flows: dump-ports-desc, dump-aggregate, set-frags, get-frags.
func (c *cli) ofctlShowCmds() []*cobra.Command {
	portsDesc := &cobra.Command{Use: "dump-ports-desc BRIDGE [PORT]", Short: "Describe ports (ovs-ofctl dump-ports-desc)", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.PortsDescRequest{Bridge: args[0]}
			if len(args) == 2 {
				req.Port = args[1]
			}
			r, err := c.dp.PortsDesc(ctx(cmd), req)
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprintf(c.out, "OFPST_PORT_DESC reply (xid=0x2):\n%s", r.Text)
			return nil
		}}
	aggregate := &cobra.Command{Use: "dump-aggregate BRIDGE [MATCH]", Short: "Sum the counters of matching flows (ovs-ofctl dump-aggregate)", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.DumpAggregateRequest{Bridge: args[0]}
			if len(args) == 2 {
				req.Match = args[1]
			}
			r, err := c.fl.DumpAggregate(ctx(cmd), req)
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprintf(c.out, "NXST_AGGREGATE reply (xid=0x4): packet_count=%d byte_count=%d flow_count=%d\n", r.PacketCount, r.ByteCount, r.FlowCount)
			return nil
		}}
	setFrags := &cobra.Command{Use: "set-frags BRIDGE normal|drop|nx-match", Short: "Set how IP fragments are handled (ovs-ofctl set-frags)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.dp.SetFrags(ctx(cmd), &ctlpb.SetFragsRequest{Bridge: args[0], Mode: args[1]})
			return err
		}}
	getFrags := &cobra.Command{Use: "get-frags BRIDGE", Short: "Print how IP fragments are handled (ovs-ofctl get-frags)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.dp.GetFrags(ctx(cmd), &ctlpb.GetFragsRequest{Bridge: args[0]})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprintln(c.out, r.Mode)
			return nil
		}}
	return []*cobra.Command{portsDesc, aggregate, setFrags, getFrags}
}
