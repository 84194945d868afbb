package vswitch

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// EventKind tells what an Event reports.
type EventKind uint8

// The events a front end can subscribe to (OpenFlow's asynchronous
// messages).
const (
	EventPacketIn    EventKind = iota + 1 // a flow sent a packet to the controller
	EventFlowRemoved                      // a flow with send_flow_rem expired
	EventPortStatus                       // a port was added, deleted or changed
)

// Event is one asynchronous event. Which fields are set depends on Kind.
type Event struct {
	Kind   EventKind
	Bridge string

	// EventPacketIn: the packet as it was at the output to CONTROLLER
	// (Frame is the subscriber's own copy).
	InPort uint16
	Reason string // packet-in: the action's reason (flowtable.ControllerReasons); flow-removed: "idle_timeout" or "hard_timeout"; port-status: "add", "delete" or "modify"
	MaxLen uint16
	Frame  []byte
	// TableID and Cookie name the flow that sent a packet-in.
	TableID uint8
	Cookie  uint64

	// EventFlowRemoved: the flow, no longer in its table.
	Flow *flowtable.Flow

	// EventPortStatus: the port (after the change; as it was, for delete).
	Port PortInfo
}

// Subscription receives events on C until Close. C is buffered; when it
// is full, events are dropped and counted (Lost): a slow subscriber never
// stalls forwarding or the control core.
type Subscription struct {
	C    <-chan Event
	c    chan Event
	lost atomic.Uint64
	sw   *Switch
	once sync.Once
}

// Lost returns how many events did not fit in C.
func (sub *Subscription) Lost() uint64 { return sub.lost.Load() }

// Close ends the subscription; C is not closed (events in it stay
// readable) and receives nothing more.
func (sub *Subscription) Close() { sub.once.Do(func() { sub.sw.unsubscribe(sub) }) }

func (sub *Subscription) send(ev Event) {
	select {
	case sub.c <- ev:
	default:
		sub.lost.Add(1)
	}
}

// events is the subscriber list, copied on change so that publishing (on
// datapath workers too) reads it without a lock.
type events struct {
	mu   sync.Mutex
	subs atomic.Pointer[[]*Subscription]
}

// Subscribe returns a subscription whose channel holds up to buffer
// events (at least 1). While any subscription exists, output to
// CONTROLLER delivers packet-ins instead of dropping the packet.
func (s *Switch) Subscribe(buffer int) *Subscription {
	c := make(chan Event, max(buffer, 1))
	sub := &Subscription{C: c, c: c, sw: s}
	s.ev.mu.Lock()
	defer s.ev.mu.Unlock()
	var list []*Subscription
	if p := s.ev.subs.Load(); p != nil {
		list = slices.Clone(*p)
	}
	list = append(list, sub)
	s.ev.subs.Store(&list)
	if len(list) == 1 {
		s.dp.SetPacketIn(s.packetIn)
	}
	return sub
}

func (s *Switch) unsubscribe(sub *Subscription) {
	s.ev.mu.Lock()
	defer s.ev.mu.Unlock()
	p := s.ev.subs.Load()
	if p == nil {
		return
	}
	list := slices.DeleteFunc(slices.Clone(*p), func(x *Subscription) bool { return x == sub })
	s.ev.subs.Store(&list)
	if len(list) == 0 {
		s.dp.SetPacketIn(nil)
	}
}

// publish hands ev to every subscriber without blocking.
func (s *Switch) publish(ev Event) {
	p := s.ev.subs.Load()
	if p == nil {
		return
	}
	for _, sub := range *p {
		sub.send(ev)
	}
}

// packetIn is the datapath's packet-in hook: each subscriber gets its own
// copy of the frame.
func (s *Switch) packetIn(pi datapath.PacketIn) {
	p := s.ev.subs.Load()
	if p == nil {
		return
	}
	for _, sub := range *p {
		sub.send(Event{Kind: EventPacketIn, Bridge: pi.Bridge.Name, InPort: uint16(pi.InPort), Reason: pi.Reason,
			MaxLen: pi.MaxLen, Frame: slices.Clone(pi.Frame), TableID: pi.TableID, Cookie: pi.Cookie})
	}
}

// portStatus publishes a port-status event. Callers hold s.mu.
func (s *Switch) portStatus(reason string, pi PortInfo) {
	s.publish(Event{Kind: EventPortStatus, Bridge: pi.Bridge, Reason: reason, Port: pi})
}

// portInfo describes the port of that name, if it is there. Callers hold
// s.mu.
func (s *Switch) portInfo(name string) (PortInfo, bool) {
	p := s.dp.PortByName(name)
	if p == nil {
		return PortInfo{}, false
	}
	for _, pi := range s.portList(p.Bridge) {
		if pi.Name == name {
			return pi, true
		}
	}
	return PortInfo{}, false
}

// ExpireFlows removes the flows of every bridge whose idle or hard timeout
// has passed at now (learned flows included) and publishes flow-removed
// for those with send_flow_rem. It returns how many flows went. The
// daemon calls it once a second, as ovs-vswitchd expires flows.
func (s *Switch) ExpireFlows(now time.Time) int {
	n := 0
	for _, b := range s.dp.Bridges() {
		gone := b.Flows.Expire(now)
		n += len(gone)
		for _, f := range gone {
			if f.Flags&flowtable.FlagSendFlowRem != 0 {
				s.publish(Event{Kind: EventFlowRemoved, Bridge: b.Name, Flow: f, Reason: removedReason(f, now)})
			}
		}
	}
	return n
}

// removedReason tells why an expired flow went, preferring the hard
// timeout as Open vSwitch does.
func removedReason(f *flowtable.Flow, now time.Time) string {
	if f.HardTimeout != 0 && !now.Before(f.Created.Add(time.Duration(f.HardTimeout)*time.Second)) {
		return "hard_timeout"
	}
	if f.IdleTimeout != 0 {
		return "idle_timeout"
	}
	return "hard_timeout"
}
