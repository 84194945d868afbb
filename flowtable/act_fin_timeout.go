package flowtable

import (
	"fmt"
	"strings"
)

// FinTimeout lowers the idle and hard timeouts of the flow it runs in
// (0: leave that one) when a TCP packet with FIN or RST matches it, so a
// learned connection flow goes soon after the connection ends. learn()
// puts one first in the flows it learns with fin_idle_timeout or
// fin_hard_timeout, as Open vSwitch does.
type FinTimeout struct {
	Idle, Hard uint16
}

func init() { registerAction(parseFinTimeout, "fin_timeout") }

// parseFinTimeout parses fin_timeout(idle_timeout=N,hard_timeout=N), either
// part optional.
func parseFinTimeout(p *parser, a actionArg, _ *actState) (Action, error) {
	var ft FinTimeout
	if !a.paren {
		return nil, p.errAt(a.pc.col, a.pc.s, "fin_timeout needs (idle_timeout=N,hard_timeout=N)")
	}
	for _, kv := range strings.Split(a.arg, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		n, err := parseUint(v, 65535)
		if err != nil {
			return nil, p.errAt(a.col, kv, "bad fin_timeout %s: %v", k, err)
		}
		switch k {
		case "idle_timeout":
			ft.Idle = uint16(n)
		case "hard_timeout":
			ft.Hard = uint16(n)
		default:
			return nil, p.errAt(a.col, kv, "unknown fin_timeout argument %q (idle_timeout or hard_timeout)", k)
		}
	}
	return ft, nil
}

func (a FinTimeout) format(aw *actionWriter) {
	var s []string
	if a.Idle != 0 {
		s = append(s, fmt.Sprintf("idle_timeout=%d", a.Idle))
	}
	if a.Hard != 0 {
		s = append(s, fmt.Sprintf("hard_timeout=%d", a.Hard))
	}
	aw.add("fin_timeout(" + strings.Join(s, ",") + ")")
}

// Access: it looks at whether the packet is TCP with FIN or RST.
func (FinTimeout) Access(reads, _ *FieldSet) {
	reads.Add(FieldEthType, FieldIPProto, FieldTCPFlags)
}

// Translate: only a TCP packet with FIN or RST lowers the timeouts.
func (a FinTimeout) Translate(k *Key, t Translator) bool {
	if et := k.Get(fEthType).Lo; et != EthTypeIPv4 && et != EthTypeIPv6 {
		return true
	}
	if k.Get(&fields[FieldIPProto]).Lo != ProtoTCP {
		return true
	}
	if k.Get(&fields[FieldTCPFlags]).Lo&(tcpFIN|tcpRST) != 0 {
		t.FinTimeout(a)
	}
	return true
}

const (
	tcpFIN = 0x01
	tcpRST = 0x04
)
