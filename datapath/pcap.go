package datapath

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// PcapWriter is a Device that writes transmitted frames to a pcap file
// (Ethernet, microsecond timestamps), time-stamped by its clock.
type PcapWriter struct {
	mu    sync.Mutex
	f     *os.File
	bw    *bufio.Writer
	w     *pcapgo.Writer
	clock func() int64
	flush bool // flush after every frame (daemon mode: readers see frames at once)
}

// CreatePcap creates (or truncates) path and writes the pcap file header.
// clock gives each frame's timestamp in unix nanoseconds.
func CreatePcap(path string, clock func() int64) (*PcapWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create pcap: %w", err)
	}
	bw := bufio.NewWriter(f)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return nil, fmt.Errorf("write pcap header %s: %w", path, err)
	}
	return &PcapWriter{f: f, bw: bw, w: w, clock: clock}, nil
}

// AppendPcap opens path for appending frames, writing the pcap file header
// first if the file is new or empty (daemon mode: restarts keep history).
func AppendPcap(path string, clock func() int64) (*PcapWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open pcap: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open pcap: %w", err)
	}
	bw := bufio.NewWriter(f)
	w := pcapgo.NewWriter(bw)
	if st.Size() == 0 {
		if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			f.Close()
			return nil, fmt.Errorf("write pcap header %s: %w", path, err)
		}
	}
	return &PcapWriter{f: f, bw: bw, w: w, clock: clock, flush: true}, nil
}

// Send appends frame to the file.
func (p *PcapWriter) Send(frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.clock()), CaptureLength: len(frame), Length: len(frame)}
	if err := p.w.WritePacket(ci, frame); err != nil {
		return err
	}
	if p.flush {
		return p.bw.Flush()
	}
	return nil
}

// Close flushes and closes the file.
func (p *PcapWriter) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.bw.Flush(); err != nil {
		p.f.Close()
		return err
	}
	return p.f.Close()
}

// PcapFrame is one frame read from a pcap file.
type PcapFrame struct {
	Time time.Time
	Data []byte
}

// ReadPcap reads every frame of a pcap file.
func ReadPcap(path string) ([]PcapFrame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read pcap: %w", err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read pcap %s: %w", path, err)
	}
	var out []PcapFrame
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read pcap %s: frame %d: %w", path, len(out)+1, err)
		}
		out = append(out, PcapFrame{Time: ci.Timestamp, Data: data})
	}
}
