package openflow

import (
	"encoding/binary"
	"fmt"
	"os/exec"
	"strings"
)

// ovsEncode returns what ovs-ofctl sends for `add-flow` of flow in version
// v: the action list (OpenFlow 1.0) or instruction list (1.1+) of its flow
// mod, or ovs-ofctl's refusal.
func ovsEncode(v Version, flow string) ([]byte, error) {
	msgs, err := runOFCtl(v, "--no-names", "-O", v.String(), "add-flow", "SWITCH", flow)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m[1] == 14 || m[1] == 4 && len(m) >= 16 && binary.BigEndian.Uint32(m[12:]) == 13 {
			return flowModActions(m)
		}
	}
	return nil, fmt.Errorf("ovs-ofctl sent no flow mod for %q", flow)
}

// flowModActions returns the actions or instructions of a flow mod:
// OpenFlow 1.0 ofp_flow_mod, Nicira NXT_FLOW_MOD, or OpenFlow 1.1+.
func flowModActions(msg []byte) ([]byte, error) {
	pad := func(n int) int { return (n + 7) / 8 * 8 }
	switch {
	case msg[0] == byte(OF10) && msg[1] == 14:
		return msg[72:], nil
	case msg[0] == byte(OF10) && msg[1] == 4:
		ml := int(binary.BigEndian.Uint16(msg[40:]))
		return msg[48+pad(ml):], nil
	case msg[1] == 14 && len(msg) >= 52:
		ml := int(binary.BigEndian.Uint16(msg[50:]))
		return msg[48+pad(ml):], nil
	}
	return nil, fmt.Errorf("not a flow mod: % x", msg[:8])
}

// ovsText returns the actions ovs-ofctl prints for flow after encoding
// it in version v (`parse-flow` prints the flow mod it would send).
func ovsText(v Version, flow string) (string, error) {
	out, err := exec.Command("ovs-ofctl", "--no-names", "-O", v.String(), "parse-flow", flow).CombinedOutput()
	s := strings.TrimSpace(string(out))
	i := strings.LastIndex(s, " actions=")
	if err != nil || i < 0 {
		return "", fmt.Errorf("ovs-ofctl parse-flow: %v: %s", err, s)
	}
	return s[i+len(" actions="):], nil
}
