package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath/packet"
)

// ctStateBits are the ct_state flag names --ct-next takes.
var ctStateBits = map[string]uint32{
	"new": packet.CTNew, "est": packet.CTEst, "rel": packet.CTRel, "rpl": packet.CTRpl,
	"inv": packet.CTInv, "trk": packet.CTTrk, "snat": packet.CTSNAT, "dnat": packet.CTDNAT,
}

// parseCTNext reads a --ct-next argument: ct_state flags separated by
// commas (OVS's "trk,est"), or written as a match ("+trk+est").
func parseCTNext(s string) (uint32, error) {
	var st uint32
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '+' || r == '|' || r == ' ' })
	if len(words) == 0 {
		return 0, fmt.Errorf("--ct-next %q: give ct_state flags, e.g. trk,est", s)
	}
	for _, w := range words {
		b, ok := ctStateBits[strings.ToLower(w)]
		if !ok {
			return 0, fmt.Errorf("--ct-next %q: %q is not a ct_state flag (new, est, rel, rpl, inv, trk, snat, dnat)", s, w)
		}
		st |= b
	}
	return st, nil
}

// traceRequest builds a trace from its arguments in either order gvs
// and Open vSwitch accept: BRIDGE FLOW (a flow in match syntax), BRIDGE
// in_port=PORT HEX (OVS's packet form, the packet last), or BRIDGE
// in_port=PORT with --packet HEX. OVS's -generate as the last argument
// traces the flow, which is what gvs does with a flow anyway.
func traceRequest(args []string, packetFlag string) (*ctlpb.TraceRequest, error) {
	req := &ctlpb.TraceRequest{Bridge: args[0]}
	hexFrame := packetFlag
	if len(args) == 3 && args[2] != "-generate" {
		if packetFlag != "" {
			return nil, fmt.Errorf("give the packet once: as the last argument or with --packet")
		}
		hexFrame = args[2]
	}
	if hexFrame == "" {
		req.Flow = args[1]
		return req, nil
	}
	in, ok := strings.CutPrefix(args[1], "in_port=")
	if !ok || strings.Contains(in, ",") {
		return nil, fmt.Errorf("to trace a packet, the flow must be in_port=PORT only, not %q (gvs reads everything else from the packet)", args[1])
	}
	f, err := parseHex(hexFrame)
	if err != nil {
		return nil, err
	}
	req.InPort, req.Frame = in, f
	return req, nil
}

func (c *cli) traceCmd() *cobra.Command {
	var packetHex string
	var ctNext []string
	trace := &cobra.Command{Use: "trace BRIDGE FLOW [HEX] | trace BRIDGE in_port=PORT HEX", Aliases: []string{"ofproto/trace"},
		Short: "Explain what the pipeline does with a packet (ovs-appctl ofproto/trace)", Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := traceRequest(args, packetHex)
			if err != nil {
				return err
			}
			ctr := &ctlpb.TraceCTRequest{Trace: req}
			for _, s := range ctNext {
				st, err := parseCTNext(s)
				if err != nil {
					return err
				}
				ctr.CtNext = append(ctr.CtNext, st)
			}
			var r *ctlpb.TraceResponse
			if len(ctr.CtNext) > 0 {
				r, err = c.dp.TraceCT(ctx(cmd), ctr)
			} else {
				r, err = c.dp.Trace(ctx(cmd), req)
			}
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, r.Text)
			return nil
		}}
	trace.Flags().StringVar(&packetHex, "packet", "", "trace this frame (hex) instead of a flow")
	trace.Flags().StringArrayVar(&ctNext, "ct-next", nil, "ct_state the next ct() traversal reports, e.g. trk,est (repeat for later ones; default +new+trk)")
	return trace
}
