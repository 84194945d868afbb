package flowtable

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// FormatOptions adjusts how flows are printed.
type FormatOptions struct {
	// NoStats prints as `ovs-ofctl dump-flows --no-stats`: no duration or
	// counters, and cookie and table only when non-zero.
	NoStats bool
	// OF13 prints actions as `ovs-ofctl -O OpenFlow13 dump-flows` does
	// (set_field, goto_table, pop_vlan); otherwise as plain `ovs-ofctl
	// dump-flows` (OpenFlow 1.0 with Nicira extensions: load, mod_dl_src,
	// resubmit, strip_vlan). Both are what Open vSwitch prints for a flow
	// added and dumped with that protocol.
	OF13 bool
	// Exact prints every action as written, so that parsing the text gives
	// the same flow back (state files). It implies OF13 spellings otherwise.
	Exact bool
	// Now is the time durations and ages are measured to (zero: time.Now()).
	Now time.Time
	// Names prints port names (from PortName) instead of numbers.
	Names    bool
	PortName func(Port) (string, bool)
}

func (o *FormatOptions) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// Format prints the flow as one line of `ovs-ofctl dump-flows`, with its
// leading space.
func (f *Flow) Format(opts FormatOptions) string {
	var b strings.Builder
	b.WriteByte(' ')
	if !opts.NoStats || f.Cookie != 0 {
		fmt.Fprintf(&b, "cookie=0x%x, ", f.Cookie)
	}
	now := opts.now()
	if !opts.NoStats {
		b.WriteString("duration=")
		writeDuration(&b, now.Sub(f.Created))
		b.WriteString(", ")
	}
	if !opts.NoStats || f.Table != 0 {
		fmt.Fprintf(&b, "table=%d, ", f.Table)
	}
	if !opts.NoStats {
		pk, by := f.Stats()
		fmt.Fprintf(&b, "n_packets=%d, n_bytes=%d, ", pk, by)
	}
	idle, hard := f.Timeouts()
	if idle != 0 {
		fmt.Fprintf(&b, "idle_timeout=%d, ", idle)
	}
	if hard != 0 {
		fmt.Fprintf(&b, "hard_timeout=%d, ", hard)
	}
	if f.Flags&FlagSendFlowRem != 0 {
		b.WriteString("send_flow_rem ")
	}
	if f.Flags&FlagCheckOverlap != 0 {
		b.WriteString("check_overlap ")
	}
	if f.Flags&FlagResetCounts != 0 {
		b.WriteString("reset_counts ")
	}
	if f.Flags&FlagNoPacketCounts != 0 {
		b.WriteString("no_packet_counts ")
	}
	if f.Flags&FlagNoByteCounts != 0 {
		b.WriteString("no_byte_counts ")
	}
	if f.Importance != 0 {
		fmt.Fprintf(&b, "importance=%d, ", f.Importance)
	}
	if !opts.NoStats {
		last := f.Created
		if u := f.Used(); u.After(last) {
			last = u
		}
		fmt.Fprintf(&b, "idle_age=%d, ", int(max(0, now.Sub(last))/time.Second))
	}
	m := formatMatch(&f.Match, f.Priority, &opts)
	b.WriteString(m)
	if m != "" {
		b.WriteByte(' ')
	}
	b.WriteString("actions=")
	b.WriteString(FormatActions(f.Actions, opts))
	return b.String()
}

// writeDuration prints d as Open vSwitch does: seconds with three decimals
// (milliseconds), or none for whole seconds.
func writeDuration(b *strings.Builder, d time.Duration) {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	fmt.Fprintf(b, "%d", ms/1000)
	if ms%1000 != 0 {
		fmt.Fprintf(b, ".%03d", ms%1000)
	}
	b.WriteByte('s')
}

// FormatMatch prints a match in Open vSwitch's canonical field order and
// spelling, starting with priority unless it is the default.
func FormatMatch(m *Match, priority uint16) string {
	return formatMatch(m, priority, &FormatOptions{})
}

// hex0 prints v as 0x... and 0 as "0", as C's %#x does.
func hex0(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

func hex128(v Value) string {
	if v.Hi == 0 {
		return hex0(v.Lo)
	}
	return fmt.Sprintf("0x%x%016x", v.Hi, v.Lo)
}

func macString(v uint64) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func ip4String(v uint64) string {
	return fmt.Sprintf("%d.%d.%d.%d", byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func ip6String(v Value) string {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(v.Hi >> (56 - 8*uint(i)))
		b[8+i] = byte(v.Lo >> (56 - 8*uint(i)))
	}
	return netip.AddrFrom16(b).String()
}

func (o *FormatOptions) port(n Port) string {
	if o.Names && o.PortName != nil {
		if s, ok := o.PortName(n); ok {
			return s
		}
	}
	return portString(n)
}

func portString(n Port) string {
	switch n {
	case PortInPort:
		return "IN_PORT"
	case PortTable:
		return "TABLE"
	case PortNormal:
		return "NORMAL"
	case PortFlood:
		return "FLOOD"
	case PortAll:
		return "ALL"
	case PortController:
		return "CONTROLLER"
	case PortLocal:
		return "LOCAL"
	case PortNone:
		return "NONE"
	}
	return strconv.Itoa(int(n))
}

// formatValue prints a field value in the field's own format (set_field
// and learn immediates).
func formatValue(f *Field, v Value, o *FormatOptions) string {
	switch f.Format {
	case FormatDecimal:
		return strconv.FormatUint(v.Lo, 10)
	case FormatMAC:
		return macString(v.Lo)
	case FormatIPv4:
		return ip4String(v.Lo)
	case FormatIPv6:
		return ip6String(v)
	case FormatPort:
		return o.port(Port(v.Lo))
	}
	return hex128(v)
}
