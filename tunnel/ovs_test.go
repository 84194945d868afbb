package tunnel

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/internal/ovstest"
)

// mustRun returns a function that runs one Open vSwitch tool against o
// ("ovs-vsctl", "ovs-ofctl" or "ovs-appctl") and fails the test on error.
func mustRun(t *testing.T, o *ovstest.OVS) func(tool string, args ...string) string {
	tools := map[string]func(...string) (string, error){
		"ovs-vsctl": o.Vsctl, "ovs-ofctl": o.Ofctl, "ovs-appctl": o.Appctl,
	}
	return func(tool string, args ...string) string {
		t.Helper()
		out, err := tools[tool](args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, o.Logs())
		}
		return out
	}
}

// pcapFrames returns the frames of a pcap file written so far.
func pcapFrames(path string) [][]byte {
	d, err := os.ReadFile(path)
	if err != nil || len(d) < 24 {
		return nil
	}
	var out [][]byte
	for off := 24; off+16 <= len(d); {
		n := int(binary.LittleEndian.Uint32(d[off+8:]))
		off += 16
		if off+n > len(d) {
			break
		}
		out = append(out, d[off:off+n])
		off += n
	}
	return out
}

// TestEncapLiveOVS rebuilds the golden setup in a live Open vSwitch and
// compares every frame it encapsulates with Encap's (source port and the
// UDP checksum depending on it masked), and checks Decap takes them back.
func TestEncapLiveOVS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Open vSwitch")
	}
	// Native tunnelling: with the default override tunnel ports are dummies.
	o := ovstest.Start(t, ovstest.NativeTunnels())
	run := mustRun(t, o)
	pcap := filepath.Join(o.Dir, "p0.pcap")
	run("ovs-vsctl", "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=dummy", "other_config:hwaddr=aa:55:aa:55:00:01",
		"--", "add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dummy", "ofport_request=1", "options:tx_pcap="+pcap)
	args := []string{"add-br", "int-br", "--", "set", "bridge", "int-br", "datapath_type=dummy",
		"--", "add-port", "int-br", "p1", "--", "set", "Interface", "p1", "type=dummy", "ofport_request=1"}
	ports := []string{}
	for i, g := range goldens {
		name := "t" + strconv.Itoa(i)
		ports = append(ports, strconv.Itoa(i+2))
		opts := []string{"options:remote_ip=" + g.cfg.Dst.String()}
		if g.cfg.Key != 0 {
			opts = append(opts, "options:key="+strconv.FormatUint(g.cfg.Key, 10))
		}
		if g.cfg.Flags&FlagCsum != 0 {
			opts = append(opts, "options:csum=true")
		}
		if g.cfg.Flags&FlagDF == 0 {
			opts = append(opts, "options:df_default=false")
		}
		if g.cfg.DstPort != 0 {
			opts = append(opts, "options:dst_port="+strconv.Itoa(int(g.cfg.DstPort)))
		}
		if g.cfg.TOS != 0 {
			opts = append(opts, "options:tos="+strconv.Itoa(int(g.cfg.TOS)))
		}
		if g.cfg.TTL != 0 {
			opts = append(opts, "options:ttl="+strconv.Itoa(int(g.cfg.TTL)))
		}
		args = append(args, "--", "add-port", "int-br", name, "--", "set", "Interface", name,
			"type="+g.cfg.Type.String(), "ofport_request="+strconv.Itoa(i+2))
		args = append(args, opts...)
	}
	run("ovs-vsctl", args...)
	run("ovs-appctl", "netdev-dummy/ip4addr", "br0", "1.1.2.88/24")
	run("ovs-appctl", "netdev-dummy/ip6addr", "br0", "2001:cafe::88/24")
	run("ovs-appctl", "ovs/route/add", "1.1.2.92/24", "br0")
	run("ovs-appctl", "ovs/route/add", "2001:cafe::92/24", "br0")
	for ip, mac := range map[string]header.MAC{"1.1.2.92": mac92, "1.1.2.93": mac93, "2001:cafe::92": mac6} {
		run("ovs-appctl", "tnl/neigh/set", "br0", ip, mac.String())
	}
	run("ovs-ofctl", "add-flow", "br0", "actions=normal")
	run("ovs-ofctl", "add-flow", "int-br", "in_port=1,actions="+strings.Join(ports, ","))
	run("ovs-appctl", "netdev-dummy/receive", "p1", goldenInner)

	var frames [][]byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if frames = pcapFrames(pcap); len(frames) >= len(goldens) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OVS sent %d of %d tunnel frames", len(frames), len(goldens))
		}
	}
	inner, _ := hex.DecodeString(goldenInner)
	matched := make([]bool, len(goldens))
	for _, f := range frames {
		ok := false
		for i, g := range goldens {
			c := g.cfg
			ours := encapFor(t, &c, inner)
			if len(ours) != len(f) || matched[i] {
				continue
			}
			want := append([]byte{}, f...)
			if g.sport >= 0 {
				sp := binary.BigEndian.Uint16(ours[g.sport:])
				old := binary.BigEndian.Uint16(want[g.sport:])
				if old < SrcPortMin || old >= SrcPortMax {
					t.Fatalf("OVS's own source port %d outside the range we assume", old)
				}
				binary.BigEndian.PutUint16(want[g.sport:], sp)
				if cs := binary.BigEndian.Uint16(want[g.sport+6:]); cs != 0 {
					binary.BigEndian.PutUint16(want[g.sport+6:], header.UpdateChecksum16(cs, old, sp))
				}
			}
			if bytes.Equal(ours, want) {
				matched[i], ok = true, true
				var md Metadata
				if _, _, err := Decap(f, []UDPPort{{TypeVXLAN, 4789}, {TypeGeneve, 6081}, {TypeVXLAN, 4790}}, &md); err != nil || md.ID != c.Key {
					t.Errorf("%s: Decap of OVS's frame: %v, id %d", g.name, err, md.ID)
				}
				break
			}
		}
		if !ok {
			t.Errorf("OVS frame matches none of ours: %x", f)
		}
	}
	for i, m := range matched {
		if !m {
			t.Errorf("%s: OVS sent no matching frame", goldens[i].name)
		}
	}
}
