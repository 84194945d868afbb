package ovstest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartBridgeFlow(t *testing.T) {
	o := Start(t)
	if err := o.AddBridge("br0", true); err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join(o.Dir, "p1.pcap")
	if err := o.AddPort("br0", "p1", 7, "", map[string]string{"tx_pcap": pcap}, 10, nil); err != nil {
		t.Fatal(err)
	}
	if err := o.AddPort("br0", "p2", 8, "dummy", nil, 0, []int{10, 20}); err != nil {
		t.Fatal(err)
	}
	out, err := o.Vsctl("get", "Interface", "p1", "ofport")
	if err != nil || strings.TrimSpace(out) != "7" {
		t.Fatalf("ofport of p1 = %q, %v; want 7", out, err)
	}
	if out, err := o.Vsctl("get", "Port", "p2", "trunks"); err != nil || strings.TrimSpace(out) != "[10, 20]" {
		t.Fatalf("trunks of p2 = %q, %v", out, err)
	}
	flows := filepath.Join(t.TempDir(), "f.flows")
	if err := os.WriteFile(flows, []byte("table=0,priority=5,in_port=8,actions=output:7  # a comment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := o.AddFlowsFile("br0", flows); err != nil {
		t.Fatal(err)
	}
	got, err := o.DumpFlows("br0")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(got[0], "priority=5,in_port=8 actions=output:7") {
		t.Fatalf("dump-flows = %q", got)
	}
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0x08, 0x00})
	if err := o.Receive("p2", frame); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Appctl("revalidator/wait"); err != nil {
		t.Fatal(err)
	}
	got, err = o.DumpFlows("br0")
	if err != nil {
		t.Fatal(err)
	}
	o.Stop()
	st, err := os.Stat(pcap)
	if err != nil {
		t.Fatal(err)
	}
	// pcap file header (24) + record header (16) + frame (60)
	if st.Size() != 24+16+60 {
		t.Errorf("tx_pcap has %d bytes, want %d", st.Size(), 24+16+60)
	}
}

// TestGoldensMadeWithThisOVS: the goldens (testdata/replay,
// datapath/testdata/extract, the flowtable dumps) come from the Open
// vSwitch version recorded in testdata/ovs-version; a live run on another
// version would compare gvs with a different reference, so it fails and
// says to regenerate them (make goldens, then review).
func TestGoldensMadeWithThisOVS(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "ovs-version"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(data))
	if !Installed() {
		if os.Getenv("CI") == "true" {
			t.Fatal(SkipMessage)
		}
		t.Skip(SkipMessage)
	}
	got, err := Version()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("the goldens were made with Open vSwitch %s, this machine has %s: regenerate them (make goldens and GVS_UPDATE_GOLDENS=1 for the extract golden), review the changes, and update testdata/ovs-version", want, got)
	}
}

// TestNativeTunnels: by default (--enable-dummy=override) a vxlan port is a
// dummy and opens no tunnel UDP port; with NativeTunnels it is a real
// native tunnel port, listed by tnl/ports/show.
func TestNativeTunnels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []Option
		listen bool
	}{
		{"override", nil, false},
		{"native", []Option{NativeTunnels()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Start(t, tc.opts...)
			if err := o.AddBridge("br0", true); err != nil {
				t.Fatal(err)
			}
			if err := o.AddPort("br0", "t0", 2, "vxlan", map[string]string{"remote_ip": "1.1.2.92"}, 0, nil); err != nil {
				t.Fatal(err)
			}
			out, err := o.Appctl("tnl/ports/show")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out, "(4789)"); got != tc.listen {
				t.Errorf("tnl/ports/show lists UDP 4789: %v, want %v\n%s", got, tc.listen, out)
			}
		})
	}
}
