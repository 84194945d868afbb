package flowtable

import (
	"fmt"
	"slices"
	"strings"
)

// Output sends the packet to Port (a switch port or NORMAL, FLOOD, ALL,
// LOCAL, IN_PORT). MaxLen matters only for CONTROLLER.
type Output struct {
	Port   Port
	MaxLen uint16
}

// OutputReg sends the packet to the port number held in Src.
type OutputReg struct {
	Src    Subfield
	MaxLen uint16
}

// Controller sends the packet to the controller as a packet-in (counted
// and dropped while nothing subscribes to packet-ins). MaxLen is passed on
// to the controller; as in Open vSwitch, which buffers no packets, the
// packet-in holds the whole frame whatever it says.
type Controller struct {
	MaxLen uint16
	Reason string // one of ControllerReasons; "" = action (default)
	ID     uint16
	// Pause and userdata are not supported.
}

// ControllerReasons are the packet-in reasons a controller action may
// name, the default first.
var ControllerReasons = [...]string{"action", "no_match", "invalid_ttl", "action_set", "group", "packet_out"}

func init() {
	registerAction(parseOutput, "output")
	registerAction(parseController, "controller")
	registerAction(parseReservedOutput, "in_port", "normal", "flood", "all", "local")
	registerAction(func(p *parser, a actionArg, _ *actState) (Action, error) {
		return nil, p.errAt(a.pc.col, a.pc.s, "enqueue is not supported")
	}, "enqueue")
}

// parseOutput parses output:PORT, output:FIELD[a..b] and
// output(port=...,max_len=N).
func parseOutput(p *parser, a actionArg, _ *actState) (Action, error) {
	if a.paren {
		return p.outputParen(a.arg, a.col)
	}
	if strings.Contains(a.arg, "[") {
		sf, err := p.subfield(a.arg, a.col)
		if err != nil {
			return nil, err
		}
		return OutputReg{Src: sf}, nil
	}
	return p.outputTo(a.arg, a.col)
}

// parseReservedOutput parses a reserved port written as an action: normal,
// flood, all, local, in_port.
func parseReservedOutput(_ *parser, a actionArg, _ *actState) (Action, error) {
	n, _ := reservedPort(a.name)
	return Output{Port: n}, nil
}

func (p *parser) outputTo(arg string, col int) (Action, error) {
	n, err := p.port(arg, col)
	if _, isField := lookupField(arg); err != nil && isField {
		sf, err := p.subfield(arg, col)
		return OutputReg{Src: sf}, err
	}
	if err != nil {
		return nil, p.errAt(col, arg, "output to unknown port %q", arg)
	}
	return p.outputPort(n, col, arg)
}

// outputPort is the action that outputs to port n: a bare port number or
// name in an action list, or output:n.
func (p *parser) outputPort(n Port, col int, tok string) (Action, error) {
	switch n {
	case PortController:
		return Controller{MaxLen: 65535}, nil
	case PortNone, PortTable:
		return nil, p.errAt(col, tok, "output to port %s is not allowed", tok)
	}
	return Output{Port: n}, nil
}

func (p *parser) outputParen(arg string, col int) (Action, error) {
	var port string
	maxLen := uint16(65535)
	for _, kv := range strings.Split(arg, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "port":
			port = v
		case "max_len":
			n, err := parseUint(v, 65535)
			if err != nil {
				return nil, p.errAt(col, kv, "bad max_len: %v", err)
			}
			maxLen = uint16(n)
		default:
			return nil, p.errAt(col, kv, "unknown output option %q", k)
		}
	}
	if strings.Contains(port, "[") {
		sf, err := p.subfield(port, col)
		if err != nil {
			return nil, err
		}
		return OutputReg{Src: sf, MaxLen: maxLen}, nil
	}
	a, err := p.outputTo(port, col)
	if o, ok := a.(Output); ok {
		o.MaxLen = maxLen
		return o, err
	}
	return a, err
}

// parseController parses controller, controller:MAX_LEN and
// controller(reason=...,max_len=N,id=N).
func parseController(p *parser, a actionArg, _ *actState) (Action, error) {
	arg, col := a.arg, a.col
	c := Controller{MaxLen: 65535}
	if arg == "" {
		return c, nil
	}
	if !a.paren {
		n, err := parseUint(arg, 65535)
		if err != nil {
			return nil, p.errAt(col, arg, "bad controller max_len: %v", err)
		}
		c.MaxLen = uint16(n)
		return c, nil
	}
	for _, kv := range strings.Split(arg, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "max_len":
			n, err := parseUint(v, 65535)
			if err != nil {
				return nil, p.errAt(col, kv, "bad max_len: %v", err)
			}
			c.MaxLen = uint16(n)
		case "reason":
			if !slices.Contains(ControllerReasons[:], v) {
				return nil, p.errAt(col, kv, "unknown controller reason %q", v)
			}
			if v != ControllerReasons[0] {
				c.Reason = v
			}
		case "id":
			n, err := parseUint(v, 65535)
			if err != nil {
				return nil, p.errAt(col, kv, "bad controller id: %v", err)
			}
			c.ID = uint16(n)
		default:
			return nil, p.errAt(col, kv, "unsupported controller option %q", k)
		}
	}
	return c, nil
}

func (a Output) format(aw *actionWriter) {
	switch a.Port {
	case PortInPort, PortNormal, PortFlood, PortAll, PortLocal:
		aw.add(portString(a.Port))
	default:
		aw.add("output:" + aw.o.port(a.Port))
	}
}

func (a OutputReg) format(aw *actionWriter) { aw.add("output:" + formatSubfield(a.Src)) }

func (a Controller) format(aw *actionWriter) {
	if a.Reason == "" && a.ID == 0 {
		aw.addf("CONTROLLER:%d", a.MaxLen)
		return
	}
	var s []string
	if a.Reason != "" {
		s = append(s, "reason="+a.Reason)
	}
	if a.MaxLen != 65535 {
		s = append(s, fmt.Sprintf("max_len=%d", a.MaxLen))
	}
	if a.ID != 0 {
		s = append(s, fmt.Sprintf("id=%d", a.ID))
	}
	aw.add("controller(" + strings.Join(s, ",") + ")")
}

// Access: every output compares with in_port (no output back out of it);
// NORMAL also reads the addresses and VLAN it learns and forwards on.
func (a Output) Access(reads, _ *FieldSet) {
	reads.Add(FieldInPort)
	if a.Port == PortNormal {
		reads.Add(FieldEthSrc, FieldEthDst, FieldVLANTCI)
	}
}

// Access: the port comes from Src.
func (a OutputReg) Access(reads, _ *FieldSet) { reads.Add(FieldInPort, a.Src.Field) }

// Access: the controller gets the packet whatever it holds.
func (Controller) Access(_, _ *FieldSet) {}

func (a Output) Translate(_ *Key, t Translator) bool { t.Output(a.Port); return true }

func (a OutputReg) Translate(k *Key, t Translator) bool {
	t.Output(Port(k.GetBits(FieldByID(a.Src.Field), a.Src.Ofs, a.Src.Bits).Lo))
	return true
}

func (a Controller) Translate(_ *Key, t Translator) bool { t.Controller(a); return true }
