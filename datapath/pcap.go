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

// AppendPcap opens path for appending frames (see AppendPcapIn; no
// directory confines it).
func AppendPcap(path string, clock func() int64) (*PcapWriter, error) {
	return AppendPcapIn("", path, clock)
}

// AppendPcapIn opens path for appending frames, as OpenPcapFile does with
// dir (created 0600, never through a symbolic link, regular files only),
// writing the pcap file header first if the file is new or empty (daemon
// mode: restarts keep history).
func AppendPcapIn(dir, path string, clock func() int64) (*PcapWriter, error) {
	f, err := OpenPcapFile(dir, path, true)
	if err != nil {
		return nil, fmt.Errorf("open tx pcap %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open tx pcap: %w", err)
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

// ReadPcap reads every frame of a pcap file (a client's or an offline
// replay's own file: it is opened as the caller asks, links followed).
func ReadPcap(path string) ([]PcapFrame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read pcap: %w", err)
	}
	defer f.Close()
	return readPcapFrames(f, path)
}

// ReadPcapIn reads every frame of a pcap file gvsd opens on a port's
// behalf, as OpenPcapFile does with dir (never through a symbolic link,
// regular files only, without blocking).
func ReadPcapIn(dir, path string) ([]PcapFrame, error) {
	f, err := OpenPcapFile(dir, path, false)
	if err != nil {
		return nil, fmt.Errorf("read rx pcap %w", err)
	}
	defer f.Close()
	return readPcapFrames(f, path)
}

// readPcapFrames reads the frames of an open pcap file. Its errors say
// what is wrong without quoting the file: whoever named it may not be
// allowed to read it, and pcapgo's messages carry its bytes ("Unknown
// magic ...", lengths).
func readPcapFrames(f io.Reader, path string) ([]PcapFrame, error) {
	r, err := pcapgo.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("read pcap %s: not a pcap file", path)
	}
	var out []PcapFrame
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read pcap %s: frame %d: truncated or corrupt record", path, len(out)+1)
		}
		out = append(out, PcapFrame{Time: ci.Timestamp, Data: data})
	}
}
