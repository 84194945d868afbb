package datapath

// Tap receives a copy of every frame a port receives (tx false) or sends
// (tx true), for gvsctl capture. Fn runs on the packet path: it must be quick
// and must copy frame if it keeps it.
type Tap struct {
	Fn func(frame []byte, tx bool)
}

// AddTap starts calling t for the port's frames.
func (p *Port) AddTap(t *Tap) {
	p.tapMu.Lock()
	defer p.tapMu.Unlock()
	old := p.taps.Load()
	var list []*Tap
	if old != nil {
		list = append(list, *old...)
	}
	list = append(list, t)
	p.taps.Store(&list)
}

// RemoveTap stops calling t.
func (p *Port) RemoveTap(t *Tap) {
	p.tapMu.Lock()
	defer p.tapMu.Unlock()
	old := p.taps.Load()
	if old == nil {
		return
	}
	var list []*Tap
	for _, x := range *old {
		if x != t {
			list = append(list, x)
		}
	}
	if len(list) == 0 {
		p.taps.Store(nil)
		return
	}
	p.taps.Store(&list)
}

// tap hands frame to the port's taps, if any (one atomic load otherwise).
func (p *Port) tap(frame []byte, tx bool) {
	if ts := p.taps.Load(); ts != nil {
		for _, t := range *ts {
			t.Fn(frame, tx)
		}
	}
}
