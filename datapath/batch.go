package datapath

// Batch port I/O. Kernel-facing port types (package netdev) implement
// BatchDevice; the polling loops that drive them live outside datapath, so
// datapath never imports them. A Worker consumes received batches with
// ReceiveBatch and, while doing so, groups output to batch devices so each
// output port gets one SendBatch (one kick) per received batch. Polling
// happens in package netdev/pmd.

import "github.com/gvs-project/gvs/datapath/packet"

// Frame is one received frame in a buffer the receiving device owns. The
// frame is Buf[Off:Off+Len]; at least Headroom bytes precede Off so headers
// can be pushed in place.
type Frame struct {
	Buf      []byte
	Off, Len int
	// Handle is the device's private reference (ring slot, UMEM address).
	Handle uint64
	// Meta is what travels with the frame besides its bytes.
	Meta packet.Meta
}

// Bytes returns the frame's bytes, Buf[Off:Off+Len].
func (f *Frame) Bytes() []byte { return f.Buf[f.Off : f.Off+f.Len] }

// DeviceStats are the counters a device keeps below the datapath: frames
// the kernel or the device dropped before gvs saw them, frames refused on
// transmit, oversize frames.
type DeviceStats struct {
	RxPackets, RxDropped uint64 // as reported by the kernel ring (if any)
	RxOversize           uint64 // frames longer than the port MTU or truncated by the ring, dropped
	TxPackets, TxDropped uint64 // frames accepted by / refused by the kernel
}

// BatchDevice is a Device that moves frames in batches.
//
// Recv and Release are called only by the one goroutine that polls the
// port. Send and SendBatch may be called by any worker concurrently.
type BatchDevice interface {
	Device
	// Recv fills frames with up to len(frames) received frames without
	// blocking and returns how many. They stay valid until Release.
	Recv(frames []Frame) int
	// Release hands the frames of the last Recv back to the device.
	Release(frames []Frame)
	// SendBatch transmits frames (each Bytes() with its Meta) and returns
	// how many the device accepted (a prefix of frames); the caller counts
	// the rest as dropped. The frames are copied or sent before it
	// returns. One kick per call.
	SendBatch(frames []Frame) int
	// Fd is a descriptor that polls readable when Recv has frames.
	Fd() int
	// DeviceStats returns the device's own counters.
	DeviceStats() DeviceStats
	// MTU is the device's MTU (L3 bytes), 0 if unknown.
	MTU() int
}

// Attacher is implemented by devices that start receiving once their port
// is part of a bridge. Datapath.AddPort calls Attach after publishing the
// port; the device stops receiving in Close, which DelPort and DelBridge
// call.
type Attacher interface {
	Attach(dp *Datapath, p *Port) error
}

// Staging for batched output: frames destined to batch devices are copied
// here during ReceiveBatch and sent with one SendBatch per port at its end.
const (
	stageFrames = 64   // frames per port per batch; more flushes early
	stageSize   = 2048 // frames longer than this are sent one by one
	stagePorts  = 16   // distinct output ports staged at once
)

type stagedPort struct {
	p    *Port
	dev  BatchDevice
	n    int
	lens [stageFrames]int
	meta [stageFrames]packet.Meta
	view [stageFrames]Frame
	bufs [stageFrames][]byte
}

type stager struct {
	active  bool
	ports   []*stagedPort // in use this batch
	spare   []*stagedPort
	storage []byte
}

// stage queues a copy of frame, with meta, for p; false if it must be sent
// directly.
func (w *Worker) stage(p *Port, dev BatchDevice, frame []byte, meta *packet.Meta) bool {
	s := &w.stage_
	if !s.active {
		return false
	}
	var sp *stagedPort
	for _, x := range s.ports {
		if x.p == p {
			sp = x
			break
		}
	}
	if len(frame) > stageSize {
		// Sent directly: what is staged for p goes first, to keep order.
		if sp != nil && sp.n > 0 {
			w.flushPort(sp)
		}
		return false
	}
	if sp == nil {
		if len(s.ports) == stagePorts {
			return false
		}
		if len(s.spare) == 0 {
			sp = &stagedPort{}
			buf := make([]byte, stageFrames*stageSize)
			for i := range sp.bufs {
				sp.bufs[i] = buf[i*stageSize : (i+1)*stageSize : (i+1)*stageSize]
			}
		} else {
			sp = s.spare[len(s.spare)-1]
			s.spare = s.spare[:len(s.spare)-1]
		}
		sp.p, sp.dev, sp.n = p, dev, 0
		s.ports = append(s.ports, sp)
	}
	if sp.n == stageFrames {
		w.flushPort(sp)
	}
	sp.lens[sp.n] = copy(sp.bufs[sp.n], frame)
	sp.meta[sp.n] = *meta
	sp.n++
	return true
}

func (w *Worker) flushPort(sp *stagedPort) {
	if sp.n == 0 {
		return
	}
	for i := 0; i < sp.n; i++ {
		sp.view[i] = Frame{Buf: sp.bufs[i], Len: sp.lens[i], Meta: sp.meta[i]}
	}
	ok := sp.dev.SendBatch(sp.view[:sp.n])
	if ok < 0 {
		ok = 0
	}
	if ok > sp.n {
		ok = sp.n
	}
	var bytes uint64
	for i := 0; i < ok; i++ {
		bytes += uint64(sp.lens[i])
	}
	sp.p.Stats.TxPackets.Add(uint64(ok))
	sp.p.Stats.TxBytes.Add(bytes)
	if ok < sp.n {
		sp.p.Stats.TxDropped.Add(uint64(sp.n - ok))
	}
	sp.n = 0
}

// FlushOutput sends everything staged for output. ReceiveBatch calls it at
// the end of each batch.
func (w *Worker) FlushOutput() {
	s := &w.stage_
	for _, sp := range s.ports {
		w.flushPort(sp)
		sp.p, sp.dev = nil, nil
		s.spare = append(s.spare, sp)
	}
	s.ports = s.ports[:0]
}

// ReceiveBatch processes frames received on port in, in order, then sends
// the output they produced with one SendBatch per batch output port. Each
// frame's Meta travels with its packet and out with the frames it becomes.
// Frames longer than the port's MTU allows are counted (RxDropped and drop
// reason too_big) and dropped, never truncated.
func (w *Worker) ReceiveBatch(in *Port, frames []Frame) {
	w.stage_.active = true
	limit := 0
	if in.MTU > 0 {
		limit = in.MTU + 18 // Ethernet header and one VLAN tag
	}
	for i := range frames {
		f := &frames[i]
		if f.Off < 0 || f.Len < 0 || f.Off+f.Len > len(f.Buf) {
			in.Stats.RxDropped.Add(1)
			continue
		}
		if limit > 0 && f.Len > limit {
			in.Stats.RxPackets.Add(1)
			in.Stats.RxBytes.Add(uint64(f.Len))
			in.Stats.RxDropped.Add(1)
			in.Bridge.countDrop(DropTooBig)
			continue
		}
		w.receive(in, f.Buf, f.Off, f.Len, f.Meta)
	}
	w.FlushOutput()
	w.stage_.active = false
}
