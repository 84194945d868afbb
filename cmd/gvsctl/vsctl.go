package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

func (c *cli) vsctlCmds() []*cobra.Command {
	var mayExist, ifExists bool
	show := &cobra.Command{Use: "show [BRIDGE]", Short: "Show bridges and ports (ovs-vsctl show; with BRIDGE, ovs-ofctl show)", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return c.ofctlShow(ctx(cmd), args[0]) // ofctlshow.go
			}
			r, err := c.sw.ListBridges(ctx(cmd), &ctlpb.ListBridgesRequest{})
			if err != nil || c.json(r) {
				return err
			}
			fmt.Fprint(c.out, formatShow(r.Bridges))
			return nil
		}}
	addBr := &cobra.Command{Use: "add-br BRIDGE [fail_mode=secure|standalone]", Short: "Create a bridge", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.AddBridgeRequest{Name: args[0], MayExist: mayExist}
			if len(args) == 2 {
				k, v, _ := strings.Cut(args[1], "=")
				if k != "fail_mode" && k != "fail-mode" {
					return fmt.Errorf("unknown bridge setting %q (want fail_mode=secure|standalone)", args[1])
				}
				req.FailMode = v
			}
			_, err := c.sw.AddBridge(ctx(cmd), req)
			return err
		}}
	addBr.Flags().BoolVar(&mayExist, "may-exist", false, "do nothing if the bridge exists")
	delBr := &cobra.Command{Use: "del-br BRIDGE", Short: "Delete a bridge and its ports", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.sw.DelBridge(ctx(cmd), &ctlpb.DelBridgeRequest{Name: args[0], IfExists: ifExists})
			return err
		}}
	delBr.Flags().BoolVar(&ifExists, "if-exists", false, "do nothing if the bridge does not exist")
	listBr := &cobra.Command{Use: "list-br", Short: "List bridges", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := c.sw.ListBridges(ctx(cmd), &ctlpb.ListBridgesRequest{})
			if err != nil || c.json(r) {
				return err
			}
			for _, b := range r.Bridges {
				fmt.Fprintln(c.out, b.Name)
			}
			return nil
		}}
	listPorts := &cobra.Command{Use: "list-ports BRIDGE", Short: "List a bridge's ports", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.sw.ListPorts(ctx(cmd), &ctlpb.ListPortsRequest{Bridge: args[0]})
			if err != nil || c.json(r) {
				return err
			}
			names := make([]string, 0, len(r.Ports))
			for _, p := range r.Ports {
				names = append(names, p.Name)
			}
			sort.Strings(names)
			fmt.Fprintln(c.out, strings.Join(names, "\n"))
			return nil
		}}
	var portMayExist bool
	addPort := &cobra.Command{Use: "add-port BRIDGE PORT [type=T] [ofport=N] [tag=N] [trunks=A,B] [vlan_mode=M] [options:K=V ...]",
		Short: "Add a port to a bridge", Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := &ctlpb.Port{Name: args[1], Options: map[string]string{}}
			if err := parsePortSettings(p, args[2:]); err != nil {
				return err
			}
			if err := c.absPcapPaths(p.Type, p.Options); err != nil {
				return err
			}
			r, err := c.sw.AddPort(ctx(cmd), &ctlpb.AddPortRequest{Bridge: args[0], Port: p, MayExist: portMayExist})
			if err != nil || c.json(r) {
				return err
			}
			if r.Error != "" { // added, down: warn as ovs-vsctl does, exit 0
				fmt.Fprintf(cmd.ErrOrStderr(), "gvsctl: Error detected while setting up '%s': %s. See gvsd log for details.\n", p.Name, r.Error)
			}
			return nil
		}}
	addPort.Flags().BoolVar(&portMayExist, "may-exist", false, "do nothing if the port exists")
	var portIfExists bool
	delPort := &cobra.Command{Use: "del-port [BRIDGE] PORT", Short: "Delete a port", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.DelPortRequest{Name: args[len(args)-1], IfExists: portIfExists}
			if len(args) == 2 {
				req.Bridge = args[0]
			}
			_, err := c.sw.DelPort(ctx(cmd), req)
			return err
		}}
	delPort.Flags().BoolVar(&portIfExists, "if-exists", false, "do nothing if the port does not exist")
	setPort := &cobra.Command{Use: "set-port PORT [tag=N|tag=[]] [trunks=A,B|trunks=[]] [vlan_mode=M] [options:K=V ...]",
		Short: "Change a port's VLAN settings or options", Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ctlpb.SetPortRequest{Name: args[0], Options: map[string]string{}}
			for _, a := range args[1:] {
				k, v, ok := strings.Cut(a, "=")
				switch {
				case strings.HasPrefix(a, "options:") && ok:
					req.Options[strings.TrimPrefix(k, "options:")] = v
				case k == "tag" && (v == "[]" || v == ""):
					req.ClearTag = true
				case k == "tag":
					n, err := strconv.ParseUint(v, 10, 12)
					if err != nil {
						return fmt.Errorf("tag %q: want 0..4095", v)
					}
					t := uint32(n)
					req.Tag = &t
				case k == "trunks":
					ts, err := parseTrunks(v)
					if err != nil {
						return err
					}
					req.Trunks, req.SetTrunks = ts, true
				case k == "vlan_mode":
					req.VlanMode = v
				default:
					return fmt.Errorf("unknown port setting %q", a)
				}
			}
			if err := c.absPcapPaths("", req.Options); err != nil {
				return err
			}
			_, err := c.sw.SetPort(ctx(cmd), req)
			return err
		}}
	cmds := append([]*cobra.Command{show, addBr, delBr, listBr, listPorts, addPort, delPort, setPort}, c.recordCmds()...)
	for _, x := range cmds {
		x.GroupID = "vsctl"
		c.chainable(x)
	}
	return cmds
}

// absPcapPaths makes a pcap port's rx and tx files absolute: gvsd runs in
// another directory than the shell that names them. For a caller gvsd
// confines to its pcap directory they stay relative: gvsd resolves them
// there.
func (c *cli) absPcapPaths(typ string, opts map[string]string) error {
	if typ != "pcap" && typ != "" || !c.localPaths {
		return nil
	}
	for _, k := range []string{"rx", "tx"} {
		if v := opts[k]; v != "" && !filepath.IsAbs(v) {
			a, err := filepath.Abs(v)
			if err != nil {
				return err
			}
			opts[k] = a
		}
	}
	return nil
}

func parseTrunks(v string) ([]uint32, error) {
	v = strings.Trim(v, "[]")
	var out []uint32
	if v == "" {
		return out, nil
	}
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 12)
		if err != nil {
			return nil, fmt.Errorf("trunk %q: want 0..4095", s)
		}
		out = append(out, uint32(n))
	}
	return out, nil
}

// parsePortSettings reads add-port's key=value arguments.
func parsePortSettings(p *ctlpb.Port, args []string) error {
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("port setting %q: want key=value", a)
		}
		switch {
		case strings.HasPrefix(k, "options:"):
			p.Options[strings.TrimPrefix(k, "options:")] = v
		case k == "type":
			p.Type = v
		case k == "ofport", k == "ofport_request":
			n, err := strconv.ParseUint(v, 10, 16)
			if err != nil || n == 0 || n >= 0xff00 {
				return fmt.Errorf("ofport %q: want 1..65279", v)
			}
			p.Ofport = uint32(n)
		case k == "tag":
			n, err := strconv.ParseUint(v, 10, 12)
			if err != nil {
				return fmt.Errorf("tag %q: want 0..4095", v)
			}
			t := uint32(n)
			p.Tag = &t
		case k == "trunks":
			ts, err := parseTrunks(v)
			if err != nil {
				return err
			}
			p.Trunks = ts
		case k == "vlan_mode":
			p.VlanMode = v
		default:
			return fmt.Errorf("unknown port setting %q (want type, ofport, tag, trunks, vlan_mode or options:KEY)", k)
		}
	}
	return nil
}

// formatShow prints bridges in the shape of ovs-vsctl show.
func formatShow(bridges []*ctlpb.Bridge) string {
	var b strings.Builder
	b.WriteString("gvs\n")
	for _, br := range bridges {
		fmt.Fprintf(&b, "    Bridge %s\n", br.Name)
		fmt.Fprintf(&b, "        fail_mode: %s\n", br.FailMode)
		// The bridge's own port is listed among the others, as OVS lists
		// its internal interface.
		ports := append([]*ctlpb.Port{{Name: br.Name, Type: "internal"}}, br.Ports...)
		sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
		for _, p := range ports {
			fmt.Fprintf(&b, "        Port %s\n", p.Name)
			if p.Name == br.Name && p.Type == "internal" && p.Ofport == 0 {
				fmt.Fprintf(&b, "            Interface %s\n                type: internal\n", p.Name)
				continue
			}
			if p.Tag != nil {
				fmt.Fprintf(&b, "            tag: %d\n", *p.Tag)
			}
			if len(p.Trunks) > 0 {
				var ts []string
				for _, t := range p.Trunks {
					ts = append(ts, strconv.Itoa(int(t)))
				}
				fmt.Fprintf(&b, "            trunks: [%s]\n", strings.Join(ts, ", "))
			}
			fmt.Fprintf(&b, "            Interface %s\n", p.Name)
			fmt.Fprintf(&b, "                type: %s\n", p.Type)
			fmt.Fprintf(&b, "                ofport: %d\n", p.Ofport)
			if p.Error != "" {
				fmt.Fprintf(&b, "                error: %q\n", p.Error)
			}
			if len(p.Options) > 0 {
				var kv []string
				for k, v := range p.Options {
					kv = append(kv, k+"="+strconv.Quote(v))
				}
				sort.Strings(kv)
				fmt.Fprintf(&b, "                options: {%s}\n", strings.Join(kv, ", "))
			}
		}
	}
	return b.String()
}
