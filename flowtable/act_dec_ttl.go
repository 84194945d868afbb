package flowtable

import (
	"strconv"
	"strings"
)

// DecTTL decrements the IP TTL; at 0 the packet goes to the controllers
// listed in IDs (none: ID 0) and is otherwise dropped.
type DecTTL struct{ IDs []uint16 }

func init() { registerAction(parseDecTTL, "dec_ttl") }

// parseDecTTL parses dec_ttl and dec_ttl(id,...).
func parseDecTTL(p *parser, a actionArg, _ *actState) (Action, error) {
	d := DecTTL{}
	if a.paren {
		for _, id := range strings.Split(a.arg, ",") {
			n, err := parseUint(strings.TrimSpace(id), 65535)
			if err != nil {
				return nil, p.errAt(a.col, id, "bad controller id: %v", err)
			}
			d.IDs = append(d.IDs, uint16(n))
		}
	}
	return d, nil
}

func (a DecTTL) format(aw *actionWriter) {
	if len(a.IDs) == 0 {
		aw.add("dec_ttl")
		return
	}
	ids := make([]string, len(a.IDs))
	for i, id := range a.IDs {
		ids[i] = strconv.Itoa(int(id))
	}
	aw.add("dec_ttl(" + strings.Join(ids, ",") + ")")
}

// Access: whether there is a TTL at all depends on the ethertype.
func (DecTTL) Access(reads, writes *FieldSet) {
	reads.Add(FieldEthType, FieldIPTTL)
	writes.Add(FieldIPTTL)
}

// Translate: a packet that is not IP has nothing to decrement and goes on,
// as in Open vSwitch; at TTL 1 or 0 the packet is dropped and this flow's
// actions stop, the caller's go on.
func (DecTTL) Translate(k *Key, t Translator) bool {
	if et := k.Get(fEthType).Lo; et != EthTypeIPv4 && et != EthTypeIPv6 {
		return true
	}
	ttl := k.Get(&fields[FieldIPTTL]).Lo
	if ttl <= 1 {
		t.TTLExceeded()
		return false
	}
	k.Set(&fields[FieldIPTTL], Value{Lo: ttl - 1})
	return true
}
