package datapath

import (
	"fmt"
	"time"

	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// maxRecirc bounds recirculations of one received packet (ct() chains).
const maxRecirc = 8

// maxFrame is the largest frame a worker's scratch buffers hold.
const maxFrame = 65535

// Worker processes packets to completion. It owns all per-packet scratch
// state, so it must be used by one goroutine at a time; run one Worker per
// polling goroutine.
type Worker struct {
	dp        *Datapath
	x         xlate
	queue     []queued
	scratch   [maxRecirc][]byte
	recircPkt [maxRecirc]Packet
	rxPkt     Packet           // the packet Receive processes
	ctReq     packet.CTRequest // the request runCT builds
	injectBuf []byte
	stage_    stager     // batched output during ReceiveBatch
	cache     *flowCache // nil when the datapath caches no translations

	// Now returns the current time in unix nanoseconds; replay sets it to
	// packet timestamps.
	Now func() int64
	// Trace, when set, receives an ofproto/trace style explanation of every
	// packet processed (allocates; for debugging and gvsd replay --trace).
	Trace func(text string)
	// ctNext is what successive ct() traversals of a dry-run trace report
	// (TraceKeyCT: ofproto/trace --ct-next), consumed from the front.
	ctNext []uint64
}

type queued struct {
	pkt *Packet
	rc  recirc
}

// NewWorker returns a worker for dp.
func (dp *Datapath) NewWorker() *Worker {
	w := &Worker{
		dp:    dp,
		Now:   func() int64 { return time.Now().UnixNano() },
		x:     xlate{ops: make([]op, 0, 64), recircs: make([]recirc, 0, 4)},
		queue: make([]queued, 0, maxRecirc),
	}
	if !dp.NoFlowCache {
		w.cache = &flowCache{}
	}
	return w
}

// Receive processes the frame buf[off:off+n] that arrived on port in. The
// buffer must have Headroom bytes before off. The frame may be modified in
// place; it is no longer needed when Receive returns.
func (w *Worker) Receive(in *Port, buf []byte, off, n int) {
	w.receive(in, buf, off, n, packet.Meta{})
}

// receive is Receive with the metadata the device gave the frame. The
// packet lives in the worker (not on the stack) because the tracker, an
// interface, receives a pointer to it: the per-packet path allocates
// nothing.
func (w *Worker) receive(in *Port, buf []byte, off, n int, meta packet.Meta) {
	p := &w.rxPkt
	p.Reset(buf, off, n)
	p.Meta = meta
	w.process(in, p)
}

// Inject processes a copy of frame as if received on in (packet-out).
func (w *Worker) Inject(in *Port, frame []byte) {
	if cap(w.injectBuf) < Headroom+len(frame) {
		w.injectBuf = make([]byte, Headroom+len(frame)+64)
	}
	buf := w.injectBuf[:cap(w.injectBuf)]
	copy(buf[Headroom:], frame)
	w.Receive(in, buf, Headroom, len(frame))
}

func (w *Worker) process(in *Port, p *Packet) {
	in.Stats.RxPackets.Add(1)
	in.Stats.RxBytes.Add(uint64(p.Len()))
	in.tap(p.Frame(), false)
	b := in.Bridge
	if !p.parse(in.OFPort) {
		in.Stats.RxDropped.Add(1)
		b.countDrop(DropTooShort)
		w.tracef("frame of %d bytes is shorter than an Ethernet header: dropped\n", p.Len())
		return
	}
	if p.Malformed() {
		b.Malformed.Add(1)
	}
	now := w.Now()
	w.translate(p, &p.Key, b, 0, now)
	for i := 0; i < len(w.queue); i++ {
		q := &w.queue[i]
		w.translate(q.pkt, &q.rc.key, q.rc.bridge, q.rc.table, now)
	}
	w.queue = w.queue[:0]
}

// translate runs the pipeline for p from table, starting from key, and
// executes the result.
func (w *Worker) translate(p *Packet, key *flowtable.Key, b *Bridge, table uint8, now int64) {
	x := &w.x
	caching := w.cache != nil && w.Trace == nil
	if caching {
		if e := w.cache.lookup(b, table, key, now); e != nil {
			w.replay(e, p, key, b, now)
			return
		}
	}
	x.reset(key, b, p.Len(), now)
	if w.Trace != nil {
		x.trace = newTracer(key, table)
	}
	if caching {
		x.caching, x.exactWC = true, true
		x.cache.reset()
	}
	x.run(table)
	if caching {
		x.caching, x.exactWC = false, false
		if !x.cache.off {
			w.cache.insert(b, table, key, x, w.dp.FlowLimit())
		}
	}
	if x.drop != DropNone {
		b.countDrop(x.drop)
	}
	if x.trace != nil {
		w.Trace(x.trace.finish(x))
		x.trace = nil
	}
	w.execute(p, x.ops)
}

// conntrack runs a ct action on a copy of the packet as it was at the
// action, and queues the copy to resume in the ct action's table.
func (w *Worker) conntrack(p *Packet, rc *recirc) {
	b := rc.bridge
	ct := w.dp.Conntrack
	if ct == nil {
		b.countDrop(DropConntrack)
		return
	}
	if rc.table == flowtable.TableCurrent {
		w.runCT(ct, &p.Packet, rc)
		return
	}
	i := len(w.queue)
	if i >= maxRecirc {
		b.countDrop(DropRecircOverflow)
		return
	}
	if w.scratch[i] == nil {
		w.scratch[i] = make([]byte, Headroom+maxFrame)
	}
	q := &w.recircPkt[i]
	n := copy(w.scratch[i][Headroom:], p.Frame())
	q.Reset(w.scratch[i], Headroom, n)
	q.parse(flowtable.Port(rc.key.Get(fInPort).Lo))
	w.queue = append(w.queue, queued{pkt: q, rc: *rc})
	w.runCT(ct, &q.Packet, &w.queue[i].rc)
}

// transmit hands pkt's frame to port p's device and counts it. A batch
// device gets the packet's Meta with the frame; Device.Send has no place
// for it.
func (w *Worker) transmit(p *Port, pkt *packet.Packet) {
	frame := pkt.Frame()
	if p.MTU > 0 && len(frame) > p.MTU+18 {
		p.Stats.TxDropped.Add(1)
		p.Bridge.countDrop(DropTooBig)
		return
	}
	p.tap(frame, true)
	if p.Dev == nil {
		// LOCAL without a device is a sink: count it as sent.
		p.Stats.TxPackets.Add(1)
		p.Stats.TxBytes.Add(uint64(len(frame)))
		return
	}
	if bd, ok := p.Dev.(BatchDevice); ok && w.stage(p, bd, frame, &pkt.Meta) {
		return // counted when FlushOutput sends it
	}
	if err := p.Dev.Send(frame); err != nil {
		p.Stats.TxDropped.Add(1)
		return
	}
	p.Stats.TxPackets.Add(1)
	p.Stats.TxBytes.Add(uint64(len(frame)))
}

// TraceFrame explains what the pipeline would do with frame arriving on in,
// without sending it or changing any state (no counters, no learning).
func (w *Worker) TraceFrame(in *Port, frame []byte) string {
	var p Packet
	buf := make([]byte, Headroom+len(frame))
	copy(buf[Headroom:], frame)
	p.Reset(buf, Headroom, len(frame))
	if !p.parse(in.OFPort) {
		return fmt.Sprintf("frame of %d bytes is shorter than an Ethernet header: it would be dropped\n", len(frame))
	}
	return w.TraceKey(in.Bridge, &p.Key)
}

// TraceKey explains what the pipeline of b would do with a packet whose
// key is k (in_port included), without side effects.
func (w *Worker) TraceKey(b *Bridge, k *flowtable.Key) string {
	x := &w.x
	x.reset(k, b, 0, w.Now())
	x.dryRun = true
	x.trace = newTracer(k, 0)
	x.run(0)
	s := x.trace.finish(x)
	s += w.traceRecircs(append([]recirc(nil), x.recircs...))
	x.trace, x.dryRun = nil, false
	return s
}
