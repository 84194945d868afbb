package datapath

import (
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// TraceKeyCT is TraceKey in which the ct() traversals the trace resumes
// report the ct_state bits of ctNext in turn (ofproto/trace --ct-next),
// and +new+trk once ctNext is used up.
func (w *Worker) TraceKeyCT(b *Bridge, k *flowtable.Key, ctNext []uint64) string {
	w.ctNext = ctNext
	defer func() { w.ctNext = nil }()
	return w.TraceKey(b, k)
}

// TraceFrameCT is TraceFrame with ctNext as in TraceKeyCT.
func (w *Worker) TraceFrameCT(in *Port, frame []byte, ctNext []uint64) string {
	w.ctNext = ctNext
	defer func() { w.ctNext = nil }()
	return w.TraceFrame(in, frame)
}

// nextTraceCT returns the ct_state the next resumed ct() traversal of a
// trace reports, and whether it came from --ct-next or is the default.
func (w *Worker) nextTraceCT() (uint64, string) {
	if len(w.ctNext) == 0 {
		return packet.CTNew | packet.CTTrk, "default"
	}
	st := w.ctNext[0]
	w.ctNext = w.ctNext[1:]
	return st, "--ct-next"
}
