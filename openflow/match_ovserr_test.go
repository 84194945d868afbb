package openflow

import (
	"encoding/binary"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
)

// badMatchNames are the OVS names of the OFPBMC codes the decoder uses.
var badMatchNames = map[uint16]string{
	BadMatchLen: "OFPBMC_BAD_LEN", BadMatchWildcards: "OFPBMC_BAD_WILDCARDS", BadMatchField: "OFPBMC_BAD_FIELD",
	BadMatchValue: "OFPBMC_BAD_VALUE", BadMatchMask: "OFPBMC_BAD_MASK", BadMatchPrereq: "OFPBMC_BAD_PREREQ",
	BadMatchDupField: "OFPBMC_DUP_FIELD",
}

// nxtFlowModWith wraps a raw nx_match in an NXT_FLOW_MOD add.
func nxtFlowModWith(match []byte) []byte {
	b := appendMsg(nil, OF10, TypeExperimenter, 1)
	b = binary.BigEndian.AppendUint32(b, NiciraID)
	b = binary.BigEndian.AppendUint32(b, NXTFlowMod)
	b = append(b, make([]byte, 32)...)
	binary.BigEndian.PutUint16(b[40:], uint16(len(match)))
	binary.BigEndian.PutUint32(b[32:], 0xffffffff) // buffer_id
	b = appendPad8(append(b, match...), len(match))
	SetLength(b)
	return b
}

// TestMatchErrorsLikeOVS has ovs-ofctl decode each malformed match of
// TestParseNXMatchErrors: OVS must refuse it with the code we give.
func TestMatchErrorsLikeOVS(t *testing.T) {
	needOFCtl(t)
	for _, tc := range nxMatchErrorCases {
		msg := nxtFlowModWith(hexMsg(t, tc.hex))
		out, _ := exec.Command("ovs-ofctl", "ofp-print", hex.EncodeToString(msg)).CombinedOutput()
		if want := "decode error: " + badMatchNames[tc.code]; !strings.Contains(string(out), want) {
			t.Errorf("%s: OVS says\n%s\nwant %q", tc.name, out, want)
		}
	}
}
