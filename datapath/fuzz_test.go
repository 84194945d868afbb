package datapath

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzPipeline feeds arbitrary frames through parsing and Neutron's br-int
// pipeline (example A, with NORMAL and patch ports to br-vlan). Nothing may
// panic, and every frame either leaves through some port or is counted
// under a drop reason.
func FuzzPipeline(f *testing.F) {
	for _, seed := range [][]byte{
		udpFrame(f, -1), udpFrame(f, 196),
		frame(f, macVM, macBC, -1, arpRequest(macVM, ipVM, ipGW)),
		{}, {1, 2, 3}, make([]byte, 14), make([]byte, 60),
	} {
		f.Add(seed, uint8(0))
	}
	s := newSwitch(f)
	s.exampleTopology()
	for br, file := range map[string]string{"br-int": "A-legacy-br-int.flows", "br-vlan": "A-legacy-br-vlan.flows"} {
		if err := s.dp.LoadFlowFile(br, filepath.Join("..", "testdata", "flows", file)); err != nil {
			if os.IsNotExist(err) {
				f.Skip("flow files missing")
			}
			f.Fatal(err)
		}
	}
	ports := []string{"vm1", "qr1", "fg1", "eth1"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		in := s.dp.PortByName(ports[int(which)%len(ports)])
		before := outcomes(s.dp)
		s.w.Inject(in, data)
		s.got()
		if outcomes(s.dp) == before {
			t.Fatalf("frame %x on %s neither forwarded nor counted as dropped", data, in.Name)
		}
	})
}

// outcomes counts every transmitted frame and every drop in dp.
func outcomes(dp *Datapath) uint64 {
	var n uint64
	for _, b := range dp.Bridges() {
		for _, r := range DropReasons() {
			n += b.Drops(r)
		}
		for _, p := range b.Ports() {
			if p.Type != "patch" {
				n += p.Stats.TxPackets.Load()
			}
		}
	}
	return n
}
