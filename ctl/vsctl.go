package ctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/vswitch"
)

// vsctlCmd is one parsed ovs-vsctl command.
type vsctlCmd struct {
	verb    string
	args    []string
	opts    map[string]string // option name (no dashes) to value ("" if none)
	columns []string          // --columns=
}

func (c vsctlCmd) has(opt string) bool { _, ok := c.opts[opt]; return ok }

// verbSpec says how many arguments a verb takes (max -1: any), which
// options it accepts, and runs it.
type verbSpec struct {
	min, max int
	opts     []string
	run      func(x *vsctlRun, c vsctlCmd) (string, error)
}

// vsctlVerbs are the ovs-vsctl commands Vsctl runs. Their messages and
// outputs are ovs-vsctl's.
var vsctlVerbs map[string]verbSpec

func init() {
	vsctlVerbs = map[string]verbSpec{
		"add-br":        {1, 3, []string{"may-exist"}, (*vsctlRun).addBr},
		"del-br":        {1, 1, []string{"if-exists"}, (*vsctlRun).delBr},
		"list-br":       {0, 0, nil, (*vsctlRun).listBr},
		"br-exists":     {1, 1, nil, (*vsctlRun).brExists},
		"add-port":      {2, -1, []string{"may-exist"}, (*vsctlRun).addPort},
		"del-port":      {1, 2, []string{"if-exists"}, (*vsctlRun).delPort},
		"list-ports":    {1, 1, nil, (*vsctlRun).listPorts},
		"list-ifaces":   {1, 1, nil, (*vsctlRun).listPorts},
		"port-to-br":    {1, 1, nil, (*vsctlRun).portToBr},
		"iface-to-br":   {1, 1, nil, (*vsctlRun).portToBr},
		"set-fail-mode": {2, 2, nil, (*vsctlRun).setFailMode},
		"get-fail-mode": {1, 1, nil, (*vsctlRun).getFailMode},
		"del-fail-mode": {1, 1, nil, (*vsctlRun).delFailMode},
		"list":          {1, -1, []string{"columns", "if-exists", "format"}, (*vsctlRun).list},
		"find":          {1, -1, []string{"columns", "format"}, (*vsctlRun).find},
		"get":           {3, -1, []string{"if-exists"}, (*vsctlRun).get},
		"set":           {3, -1, []string{"if-exists"}, (*vsctlRun).set},
		"clear":         {3, -1, []string{"if-exists"}, (*vsctlRun).clear},
		"remove":        {4, -1, []string{"if-exists"}, (*vsctlRun).remove},
	}
}

// parseVsctl reads one command: options, the verb, its arguments; it
// checks the verb, the options it takes and its number of arguments.
func parseVsctl(args []string) (vsctlCmd, error) {
	c := vsctlCmd{opts: map[string]string{}}
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "--"); i++ {
		name, val, _ := strings.Cut(strings.TrimPrefix(args[i], "--"), "=")
		c.opts[name] = val
		switch {
		case name == "columns":
			c.columns = strings.Split(val, ",")
		case name == "format" && val != "list" && val != "table" && val != "csv":
			return c, invalid("unknown output format %q (want list, table or csv)", val)
		}
	}
	if i == len(args) {
		return c, invalid("missing command name (use --help for help)")
	}
	c.verb, c.args = args[i], args[i+1:]
	spec, ok := vsctlVerbs[c.verb]
	if !ok {
		return c, invalid("unknown command '%s'; use --help for help", c.verb)
	}
	for name := range c.opts {
		if !slices.Contains(spec.opts, name) {
			return c, invalid("'%s' command has no '--%s' option", c.verb, name)
		}
	}
	if len(c.args) < spec.min {
		return c, invalid("'%s' command requires at least %d arguments", c.verb, spec.min)
	}
	if spec.max >= 0 && len(c.args) > spec.max {
		return c, invalid("'%s' command takes at most %d arguments", c.verb, spec.max)
	}
	return c, nil
}

// vsctlRun is the state of one Vsctl transaction.
type vsctlRun struct {
	s    *Server
	ctx  context.Context
	tx   *vswitch.Tx
	exit uint32 // a command's exit status that ends the transaction
}

// errExit ends a transaction without an error but with an exit status.
var errExit = errors.New("exit")

// Vsctl runs ovs-vsctl commands as one transaction: every command is
// checked first, then they run in order under the core's lock, and if one
// fails the changes of the earlier ones are undone, so that either all
// of them hold or none, as ovs-vsctl's transactions. The outputs are
// ovs-vsctl's.
func (s *Server) Vsctl(ctx context.Context, r *ctlpb.VsctlRequest) (*ctlpb.VsctlResponse, error) {
	var cmds []vsctlCmd
	for _, c := range r.Commands {
		cmd, err := parseVsctl(c.Args)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, cmd)
	}
	out := &ctlpb.VsctlResponse{}
	err := s.sw.Transact(func(tx *vswitch.Tx) error {
		x := &vsctlRun{s: s, ctx: ctx, tx: tx}
		for _, c := range cmds {
			o, err := vsctlVerbs[c.verb].run(x, c)
			if err != nil {
				return err
			}
			if x.exit != 0 {
				out.ExitStatus = x.exit
				return errExit
			}
			out.Outputs = append(out.Outputs, o)
		}
		return nil
	})
	switch {
	case errors.Is(err, errExit):
		return out, nil
	case err == nil:
		return out, nil
	}
	if _, ok := status.FromError(err); ok {
		return nil, err
	}
	return nil, grpcError(err)
}

func notFound(format string, args ...any) error {
	return status.Error(codes.NotFound, fmt.Sprintf(format, args...))
}

func (x *vsctlRun) addBr(c vsctlCmd) (string, error) {
	if len(c.args) != 1 {
		return "", invalid("add-br %s: fake bridges (add-br BRIDGE PARENT VLAN) are not supported: give the ports a tag instead", strings.Join(c.args, " "))
	}
	return "", x.tx.AddBridge(c.args[0], "", c.has("may-exist"))
}

func (x *vsctlRun) delBr(c vsctlCmd) (string, error) {
	return "", x.tx.DelBridge(c.args[0], c.has("if-exists"))
}

func (x *vsctlRun) listBr(vsctlCmd) (string, error) {
	var b strings.Builder
	for _, br := range x.tx.Bridges() {
		b.WriteString(br.Name + "\n")
	}
	return b.String(), nil
}

func (x *vsctlRun) bridge(name string) (*vswitch.BridgeRecord, error) {
	for _, br := range x.tx.Bridges() {
		if br.Name == name {
			return &br, nil
		}
	}
	return nil, notFound("no bridge named %s", name)
}

func (x *vsctlRun) brExists(c vsctlCmd) (string, error) {
	if _, err := x.bridge(c.args[0]); err != nil {
		x.exit = 2
	}
	return "", nil
}

func (x *vsctlRun) listPorts(c vsctlCmd) (string, error) {
	br, err := x.bridge(c.args[0])
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range br.Ports {
		b.WriteString(p + "\n")
	}
	return b.String(), nil
}

func (x *vsctlRun) portToBr(c vsctlCmd) (string, error) {
	for _, p := range x.tx.Ports() {
		if p.Config.Name == c.args[0] {
			return p.Bridge + "\n", nil
		}
	}
	what := "port"
	if c.verb == "iface-to-br" {
		what = "interface"
	}
	return "", notFound("no %s named %s", what, c.args[0])
}

// addPort adds a port, its COLUMN[:KEY]=VALUE settings being columns of
// its Port record or, for those the Port table lacks (type, options,
// ofport_request, and gvs's ofport), of its Interface.
func (x *vsctlRun) addPort(c vsctlCmd) (string, error) {
	pc := config.Port{Name: c.args[1], Type: config.KindSystem, Options: map[string]string{}}
	r := row{pr: &vswitch.PortRecord{Config: pc}}
	for _, a := range c.args[2:] {
		if strings.HasPrefix(a, "ofport=") {
			a = "ofport_request=" + strings.TrimPrefix(a, "ofport=")
		}
		col, _, _, _, _, err := parseColumnArg(a)
		if err != nil {
			return "", invalid("%v", err)
		}
		t := portTable
		if _, err := portTable.column(col); err != nil {
			t = ifaceTable
		}
		if err := x.assign(t, r, a); err != nil {
			return "", err
		}
	}
	if r.pr.Config.Options == nil {
		r.pr.Config.Options = map[string]string{}
	}
	if err := x.s.confinePcapPaths(x.ctx, r.pr.Config.Options); err != nil {
		return "", err
	}
	return "", x.tx.AddPort(c.args[0], r.pr.Config, c.has("may-exist"))
}

func (x *vsctlRun) delPort(c vsctlCmd) (string, error) {
	bridge, name := "", c.args[len(c.args)-1]
	if len(c.args) == 2 {
		bridge = c.args[0]
	}
	return "", x.tx.DelPort(bridge, name, c.has("if-exists"))
}

func (x *vsctlRun) setFailMode(c vsctlCmd) (string, error) {
	if c.args[1] != "standalone" && c.args[1] != "secure" {
		return "", invalid(`fail-mode must be "standalone" or "secure"`)
	}
	br, err := x.bridge(c.args[0])
	if err != nil {
		return "", err
	}
	br.FailMode = c.args[1]
	return "", x.tx.SetBridge(*br)
}

func (x *vsctlRun) getFailMode(c vsctlCmd) (string, error) {
	br, err := x.bridge(c.args[0])
	if err != nil {
		return "", err
	}
	if br.FailMode == "" {
		return "", nil // unset, as Open vSwitch prints it
	}
	return br.FailMode + "\n", nil
}

// delFailMode unsets a bridge's fail mode: standalone, the default.
func (x *vsctlRun) delFailMode(c vsctlCmd) (string, error) {
	br, err := x.bridge(c.args[0])
	if err != nil {
		return "", err
	}
	br.FailMode = ""
	return "", x.tx.SetBridge(*br)
}
