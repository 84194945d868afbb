// Package ovsreplay runs the golden replay cases of testdata/replay in Open
// vSwitch, the reference implementation, and compares (or, with
// GVS_UPDATE_GOLDENS=1, records) what it transmits on every pcap port.
//
// A case directory holds a gvs config.yaml, the flow files it names, one
// <port>-in.pcap per port that receives frames, and expected/<port>.pcap for
// every pcap port. Semantics: all rx files are merged by timestamp (ties in
// config order, then file order), each frame is injected on its port and run
// to completion before the next one; the expected files hold, in order, the
// frames OVS transmitted on each port. Expected timestamps carry no meaning
// for the comparison (they are set to the timestamp of the input frame that
// caused the output, to help reading them).
//
// The package deliberately does not import the gvs packages: it parses the
// config with its own small struct so the goldens stay independent of gvs.
package ovsreplay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"gopkg.in/yaml.v3"

	"github.com/gvs-project/gvs/internal/ovstest"
)

// Config is the subset of the gvs configuration the replay cases use.
type Config struct {
	Bridges []Bridge `yaml:"bridges"`
}

// Bridge is one bridge of a case.
type Bridge struct {
	Name         string `yaml:"name"`
	FailMode     string `yaml:"fail_mode"`      // secure or standalone (default)
	Flows        string `yaml:"flows"`          // ovs-ofctl add-flows file, relative to config.yaml
	MacAgingTime int    `yaml:"mac_aging_time"` // seconds; 0 = default (300)
	Ports        []Port `yaml:"ports"`
}

// Port is one port of a bridge.
type Port struct {
	Name     string            `yaml:"name"`
	OFPort   int               `yaml:"ofport"`
	Type     string            `yaml:"type"` // pcap or patch
	Tag      int               `yaml:"tag"`
	Trunks   []int             `yaml:"trunks"`
	VlanMode string            `yaml:"vlan_mode"`
	Options  map[string]string `yaml:"options"`
}

// LoadConfig reads and checks dir/config.yaml.
func LoadConfig(dir string) (*Config, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s/config.yaml: %w", dir, err)
	}
	seen := map[string]bool{}
	for _, b := range c.Bridges {
		switch b.FailMode {
		case "", "secure", "standalone":
		default:
			return nil, fmt.Errorf("bridge %s: fail_mode %q", b.Name, b.FailMode)
		}
		for _, p := range b.Ports {
			if seen[p.Name] {
				return nil, fmt.Errorf("port %s defined twice", p.Name)
			}
			seen[p.Name] = true
			switch p.Type {
			case "pcap":
			case "patch":
				if p.Options["peer"] == "" {
					return nil, fmt.Errorf("patch port %s without peer", p.Name)
				}
			default:
				return nil, fmt.Errorf("port %s: type %q not supported by the replay", p.Name, p.Type)
			}
		}
	}
	return &c, nil
}

// PcapPorts returns the pcap ports of the config in config order.
func (c *Config) PcapPorts() []Port {
	var ps []Port
	for _, b := range c.Bridges {
		for _, p := range b.Ports {
			if p.Type == "pcap" {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// bridgeOf returns the bridge that holds port.
func (c *Config) bridgeOf(port string) *Bridge {
	for i := range c.Bridges {
		for _, p := range c.Bridges[i].Ports {
			if p.Name == port {
				return &c.Bridges[i]
			}
		}
	}
	return nil
}

// Packet is one frame with its timestamp.
type Packet struct {
	Time time.Time
	Data []byte
}

// Input is one frame to inject, with the port it arrives on.
type Input struct {
	Port string
	Packet
}

// ReadPcap reads all frames of a classic pcap file.
func ReadPcap(path string) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("%s: link type %v, want Ethernet", path, r.LinkType())
	}
	var ps []Packet
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return ps, nil
		}
		if err != nil {
			return ps, fmt.Errorf("%s: %w", path, err)
		}
		ps = append(ps, Packet{Time: ci.Timestamp, Data: data})
	}
}

// WritePcap writes frames as a classic pcap file (LINKTYPE_ETHERNET,
// microsecond timestamps).
func WritePcap(path string, ps []Packet) error {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for _, p := range ps {
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := w.WritePacket(ci, p.Data); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// InputName is the rx file of a port inside a case directory.
func InputName(port string) string { return port + "-in.pcap" }

// ExpectedPath is the golden tx file of a port.
func ExpectedPath(dir, port string) string { return filepath.Join(dir, "expected", port+".pcap") }

// rxFile returns the rx file of a pcap port relative to the case directory
// ("" when the port receives nothing).
func rxFile(p Port) string { return p.Options["rx"] }

// ReadInputs reads the rx files of all pcap ports and merges them by
// timestamp; ties keep config order, then file order.
func ReadInputs(dir string, c *Config) ([]Input, error) {
	var in []Input
	for _, p := range c.PcapPorts() {
		rx := rxFile(p)
		if rx == "" {
			continue
		}
		ps, err := ReadPcap(filepath.Join(dir, rx))
		if err != nil {
			return nil, err
		}
		for _, pk := range ps {
			in = append(in, Input{Port: p.Name, Packet: pk})
		}
	}
	sort.SliceStable(in, func(i, j int) bool { return in[i].Time.Before(in[j].Time) })
	return in, nil
}

// Result is what OVS transmitted on each pcap port; Cause[port][i] is the
// index (into the merged inputs) of the frame that produced Out[port][i].
type Result struct {
	Out   map[string][]Packet
	Cause map[string][]int
	// Conntrack is `ovs-appctl dpctl/dump-conntrack` after the last
	// frame, lines sorted (empty when nothing was tracked).
	Conntrack string
}

// RunOVS builds the case's topology in o, injects the inputs one by one,
// waiting for each to be fully processed, and returns what OVS sent on every
// pcap port. It stops o before reading the tx_pcap files.
func RunOVS(o *ovstest.OVS, dir string, c *Config, inputs []Input) (*Result, error) {
	txDir := filepath.Join(o.Dir, "tx")
	if err := os.MkdirAll(txDir, 0o755); err != nil {
		return nil, err
	}
	txPath := func(port string) string { return filepath.Join(txDir, port+".pcap") }
	for _, b := range c.Bridges {
		if err := o.AddBridge(b.Name, b.FailMode == "secure"); err != nil {
			return nil, err
		}
		if b.MacAgingTime != 0 {
			if _, err := o.Vsctl("set", "Bridge", b.Name, "other_config:mac-aging-time="+strconv.Itoa(b.MacAgingTime)); err != nil {
				return nil, err
			}
		}
		for _, p := range b.Ports {
			var typ string
			var opts map[string]string
			switch p.Type {
			case "pcap":
				typ, opts = "dummy", map[string]string{"tx_pcap": txPath(p.Name)}
			case "patch":
				typ, opts = "patch", map[string]string{"peer": p.Options["peer"]}
			}
			if err := o.AddPort(b.Name, p.Name, p.OFPort, typ, opts, p.Tag, p.Trunks); err != nil {
				return nil, err
			}
			if p.VlanMode != "" {
				if _, err := o.Vsctl("set", "Port", p.Name, "vlan_mode="+p.VlanMode); err != nil {
					return nil, err
				}
			}
			got, err := o.Vsctl("get", "Interface", p.Name, "ofport")
			if err != nil {
				return nil, err
			}
			if p.OFPort != 0 && strings.TrimSpace(got) != strconv.Itoa(p.OFPort) {
				return nil, fmt.Errorf("port %s got ofport %s, want %d", p.Name, strings.TrimSpace(got), p.OFPort)
			}
		}
	}
	for _, b := range c.Bridges {
		if b.Flows == "" {
			continue // no flows file: OVS's default table (NORMAL when standalone)
		}
		if err := o.AddFlowsFile(b.Name, filepath.Join(dir, b.Flows)); err != nil {
			return nil, err
		}
	}
	// Time stands still except when the inputs' timestamps move it on, so
	// that MAC ageing follows pcap time and not wall-clock time.
	if _, err := o.Appctl("time/stop"); err != nil {
		return nil, err
	}
	ports := c.PcapPorts()
	res := &Result{Out: map[string][]Packet{}, Cause: map[string][]int{}}
	seen := map[string]int64{} // bytes of each tx_pcap already attributed
	rx := map[string]int{}     // frames injected per port
	for i, in := range inputs {
		if i > 0 {
			if d := in.Time.Sub(inputs[i-1].Time).Milliseconds(); d > 0 {
				if _, err := o.Appctl("time/warp", strconv.FormatInt(d, 10)); err != nil {
					return nil, err
				}
			}
		}
		if err := o.Receive(in.Port, in.Data); err != nil {
			return nil, err
		}
		rx[in.Port]++
		b := c.bridgeOf(in.Port)
		if err := waitRx(o, b.Name, in.Port, rx[in.Port]); err != nil {
			return nil, fmt.Errorf("input #%d: %w", i, err)
		}
		// Forget the datapath flow cache: the next frame is translated
		// afresh against the current MAC table and flows, as gvs does.
		if _, err := o.Appctl("dpctl/del-flows"); err != nil {
			return nil, err
		}
		// netdev-dummy flushes tx_pcap after every frame: attribute what
		// appeared to this input.
		for _, p := range ports {
			st, err := os.Stat(txPath(p.Name))
			if err != nil {
				return nil, err
			}
			if st.Size() > seen[p.Name] {
				ps, err := ReadPcap(txPath(p.Name))
				if err != nil {
					return nil, err
				}
				for k := len(res.Out[p.Name]); k < len(ps); k++ {
					res.Out[p.Name] = append(res.Out[p.Name], Packet{Time: in.Time, Data: ps[k].Data})
					res.Cause[p.Name] = append(res.Cause[p.Name], i)
				}
				seen[p.Name] = st.Size()
			}
		}
	}
	ctDump, err := o.Appctl("dpctl/dump-conntrack")
	if err != nil {
		return nil, err
	}
	if lines := strings.Fields(ctDump); len(lines) > 0 {
		sort.Strings(lines)
		res.Conntrack = strings.Join(lines, "\n") + "\n"
	}
	// Stopping OVS closes the tx_pcap files; check nothing arrived late.
	o.Stop()
	for _, p := range ports {
		ps, err := ReadPcap(txPath(p.Name))
		if err != nil {
			return nil, err
		}
		if len(ps) != len(res.Out[p.Name]) {
			return nil, fmt.Errorf("port %s: %d frames in tx_pcap after stopping OVS, %d seen while replaying", p.Name, len(ps), len(res.Out[p.Name]))
		}
		for k := range ps {
			if !bytes.Equal(ps[k].Data, res.Out[p.Name][k].Data) {
				return nil, fmt.Errorf("port %s: frame %d changed after stopping OVS", p.Name, k)
			}
		}
	}
	return res, nil
}

// waitRx polls the OpenFlow port counters until port has received n frames.
// netdev-dummy/receive only queues the frame; ovs-vswitchd's main thread
// reads it (counting it in rx_packets) and runs it through the datapath,
// upcall and all outputs in the same loop iteration, and port stats requests
// are answered by that same thread, so once the counter shows n the frame is
// completely processed.
func waitRx(o *ovstest.OVS, bridge, port string, n int) error {
	ofport, err := o.Vsctl("get", "Interface", port, "ofport")
	if err != nil {
		return err
	}
	ofport = strings.TrimSpace(ofport)
	deadline := time.Now().Add(10 * time.Second)
	for delay := 200 * time.Microsecond; ; delay = min(2*delay, 20*time.Millisecond) {
		out, err := o.Ofctl("dump-ports", bridge, ofport)
		if err != nil {
			return err
		}
		got, err := rxPackets(out)
		if err != nil {
			return err
		}
		if got >= n {
			if got > n {
				return fmt.Errorf("port %s received %d frames, only %d injected", port, got, n)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %s: rx counter stuck at %d, want %d", port, got, n)
		}
		time.Sleep(delay)
	}
}

func rxPackets(dump string) (int, error) {
	i := strings.Index(dump, "rx pkts=")
	if i < 0 {
		return 0, fmt.Errorf("no rx counter in %q", dump)
	}
	s := dump[i+len("rx pkts="):]
	if j := strings.IndexByte(s, ','); j >= 0 {
		s = s[:j]
	}
	return strconv.Atoi(s)
}

// Describe summarises a frame on one line for diffs.
func Describe(data []byte) string {
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	var parts []string
	if e, ok := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
		parts = append(parts, fmt.Sprintf("%s > %s", e.SrcMAC, e.DstMAC))
	}
	for _, l := range p.Layers() {
		switch l := l.(type) {
		case *layers.Dot1Q:
			parts = append(parts, fmt.Sprintf("vlan %d pcp %d", l.VLANIdentifier, l.Priority))
		case *layers.ARP:
			op := "request"
			if l.Operation == layers.ARPReply {
				op = "reply"
			}
			parts = append(parts, fmt.Sprintf("arp %s sha %x spa %v tha %x tpa %v", op, l.SourceHwAddress,
				ipString(l.SourceProtAddress), l.DstHwAddress, ipString(l.DstProtAddress)))
		case *layers.IPv4:
			parts = append(parts, fmt.Sprintf("ip %v > %v", l.SrcIP, l.DstIP))
		case *layers.IPv6:
			parts = append(parts, fmt.Sprintf("ip6 %v > %v", l.SrcIP, l.DstIP))
		case *layers.ICMPv6:
			parts = append(parts, fmt.Sprintf("icmp6 %d/%d", l.TypeCode.Type(), l.TypeCode.Code()))
			return fmt.Sprintf("[%d bytes] %s", len(data), strings.Join(parts, ", "))
		case *layers.UDP:
			parts = append(parts, fmt.Sprintf("udp %d > %d %q", l.SrcPort, l.DstPort, l.Payload))
		case *layers.TCP:
			parts = append(parts, fmt.Sprintf("tcp %d > %d %s seq %d ack %d %q", l.SrcPort, l.DstPort, tcpFlags(l), l.Seq, l.Ack, l.Payload))
			return fmt.Sprintf("[%d bytes] %s", len(data), strings.Join(parts, ", "))
		case *layers.ICMPv4:
			parts = append(parts, fmt.Sprintf("icmp %d/%d", l.TypeCode.Type(), l.TypeCode.Code()))
			return fmt.Sprintf("[%d bytes] %s", len(data), strings.Join(parts, ", "))
		}
	}
	return fmt.Sprintf("[%d bytes] %s", len(data), strings.Join(parts, ", "))
}

func tcpFlags(t *layers.TCP) string {
	f := ""
	for _, x := range []struct {
		on bool
		c  string
	}{{t.SYN, "S"}, {t.FIN, "F"}, {t.RST, "R"}, {t.PSH, "P"}, {t.ACK, "."}} {
		if x.on {
			f += x.c
		}
	}
	return "[" + f + "]"
}

func ipString(b []byte) string {
	if len(b) != 4 {
		return fmt.Sprintf("%x", b)
	}
	return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
}

// Diff compares the frames sent on one port with the expected ones and
// returns a readable report, or "" when they are equal.
func Diff(port string, got, want []Packet) string {
	if len(got) == len(want) {
		same := true
		for i := range got {
			if !bytes.Equal(got[i].Data, want[i].Data) {
				same = false
				break
			}
		}
		if same {
			return ""
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "port %s: got %d frames, want %d\n", port, len(got), len(want))
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			fmt.Fprintf(&b, "  #%d missing: %s\n", i, Describe(want[i].Data))
		case i >= len(want):
			fmt.Fprintf(&b, "  #%d extra:   %s\n", i, Describe(got[i].Data))
		case !bytes.Equal(got[i].Data, want[i].Data):
			fmt.Fprintf(&b, "  #%d differs:\n    got  %s\n         %x\n    want %s\n         %x\n", i,
				Describe(got[i].Data), got[i].Data, Describe(want[i].Data), want[i].Data)
		default:
			fmt.Fprintf(&b, "  #%d same:    %s\n", i, Describe(got[i].Data))
		}
	}
	return b.String()
}
