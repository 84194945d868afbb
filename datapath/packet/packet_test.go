package packet

import (
	"bytes"
	"testing"
)

// TestVLAN: PushVLAN inserts the tag after the MAC addresses using the
// headroom, PopVLAN takes it out again, and neither touches the buffer
// when there is no room or no frame for it.
func TestVLAN(t *testing.T) {
	frame := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 0x45}
	buf := make([]byte, 4+len(frame))
	copy(buf[4:], frame)
	var p Packet
	p.Reset(buf, 4, len(frame))
	p.Meta.Mark = 1
	if !p.PushVLAN(0x8100, 0x0064) || p.Headroom() != 0 || p.Len() != len(frame)+4 {
		t.Fatalf("push: headroom %d len %d", p.Headroom(), p.Len())
	}
	want := append(append(append([]byte{}, frame[:12]...), 0x81, 0x00, 0x00, 0x64), frame[12:]...)
	if !bytes.Equal(p.Frame(), want) {
		t.Fatalf("pushed frame % x, want % x", p.Frame(), want)
	}
	if p.PushVLAN(0x8100, 1) {
		t.Fatal("push without headroom succeeded")
	}
	if !p.PopVLAN() || !bytes.Equal(p.Frame(), frame) || p.Meta.Mark != 1 {
		t.Fatalf("popped frame % x, want % x", p.Frame(), frame)
	}
	var short Packet
	short.Reset(make([]byte, 20), 8, 10)
	if short.PushVLAN(0x8100, 1) || short.PopVLAN() {
		t.Fatal("VLAN push/pop on a 10-byte frame succeeded")
	}
	p.Reset(buf, 0, 4)
	if p.Meta != (Meta{}) {
		t.Fatal("Reset kept the metadata")
	}
}

// TestLabelSet: only the masked bits change.
func TestLabelSet(t *testing.T) {
	l := Label{Hi: 0xff00, Lo: 0x0f}
	got := l.Set(Label{Hi: 0x0ff0, Lo: 0xf1}, Label{Hi: 0x00ff, Lo: 0xf0})
	if want := (Label{Hi: 0xfff0, Lo: 0xff}); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
	if !(Label{}).IsZero() || got.IsZero() {
		t.Fatal("IsZero")
	}
}
