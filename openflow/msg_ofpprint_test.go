package openflow

import (
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
)

// TestBasicMessagesOVSDecodes has ovs-ofctl ofp-print decode what we
// encode: OVS must read our bytes as the message we meant.
func TestBasicMessagesOVSDecodes(t *testing.T) {
	needOFCtl(t)
	for _, c := range []struct {
		msg  []byte
		want string
	}{
		{AppendHello(nil, Hello{XID: 1, Versions: 1<<OF10 | 1<<OF13}), "OFPT_HELLO (OF1.3) (xid=0x1):\n version bitmap: 0x01, 0x04"},
		{AppendEcho(nil, Echo{Version: OF13, XID: 7, Data: []byte("hi")}), "OFPT_ECHO_REQUEST (OF1.3) (xid=0x7): 2 bytes of payload\n00000000  68 69                                           |hi              |"},
		{AppendEcho(nil, Echo{Version: OF10, XID: 8, Reply: true}), "OFPT_ECHO_REPLY (xid=0x8): 0 bytes of payload"},
		{AppendError(nil, Error{Version: OF13, XID: 9, Type: ErrTypeBadMatch, Code: BadMatchPrereq,
			Data: AppendEmpty(nil, OF13, TypeFeaturesReq, 9)}), "OFPT_ERROR (OF1.3) (xid=0x9): OFPBMC_BAD_PREREQ\nOFPT_FEATURES_REQUEST (OF1.3) (xid=0x9):"},
		{AppendFeaturesReply(nil, FeaturesReply{Version: OF13, XID: 2, DatapathID: 0x1234, NBuffers: 0, NTables: 254, Capabilities: 0x4f}),
			"OFPT_FEATURES_REPLY (OF1.3) (xid=0x2): dpid:0000000000001234\nn_tables:254, n_buffers:0\ncapabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS QUEUE_STATS"},
		{AppendSwitchConfig(nil, SwitchConfig{Version: OF13, XID: 3, MissSendLen: 0xffff}), "OFPT_GET_CONFIG_REPLY (OF1.3) (xid=0x3): frags=normal miss_send_len=65535"},
		{AppendSwitchConfig(nil, SwitchConfig{Version: OF10, XID: 4, Set: true, Flags: 1, MissSendLen: 128}), "OFPT_SET_CONFIG (xid=0x4): frags=drop miss_send_len=128"},
		{AppendEmpty(nil, OF13, 20, 5), "OFPT_BARRIER_REQUEST (OF1.3) (xid=0x5):"},
		{AppendEmpty(nil, OF10, 19, 6), "OFPT_BARRIER_REPLY (xid=0x6):"},
	} {
		out, err := exec.Command("ovs-ofctl", "ofp-print", hex.EncodeToString(c.msg)).CombinedOutput()
		if got := strings.TrimRight(string(out), "\n"); err != nil || got != c.want {
			t.Errorf("%x: ovs-ofctl ofp-print says (%v)\n%s\nwant\n%s", c.msg, err, got, c.want)
		}
	}
}
