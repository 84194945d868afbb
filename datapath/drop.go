package datapath

// DropReason says why a packet produced no output. Reasons are counted per
// bridge and shown by the replay summary, gvsctl and metrics.
type DropReason uint8

const (
	DropNone           DropReason = iota
	DropTooShort                  // frame shorter than an Ethernet header
	DropTableMiss                 // the last lookup matched no flow
	DropExplicit                  // the last flow matched had no actions (actions=drop)
	DropLoop                      // resubmit depth or count exceeded, or a patch loop
	DropNoOutput                  // the actions ran to the end without an output
	DropPortDown                  // output to a port that is down or has no device
	DropVLAN                      // NORMAL: VLAN not allowed on the ingress port
	DropTTL                       // dec_ttl reached zero
	DropController                // sent to a controller, and gvs has no controller channel
	DropConntrack                 // ct() without a connection tracker, or ct said drop
	DropTooBig                    // larger than the output port's MTU
	DropFragment                  // an IP fragment, and the bridge's fragment handling mode is drop
	DropRecircOverflow            // more ct() recirculations of one packet than a worker holds
	numDropReasons
)

var dropNames = [numDropReasons]string{
	"none", "too_short", "table_miss", "explicit_drop", "loop", "no_output",
	"port_down", "vlan", "ttl_exceeded", "controller", "conntrack", "too_big", "fragment", "recirc_overflow",
}

// String returns the reason's metric label, e.g. "table_miss".
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropNames[r]
	}
	return "unknown"
}

// DropReasons lists every reason except DropNone, in a stable order.
func DropReasons() []DropReason {
	rs := make([]DropReason, 0, numDropReasons-1)
	for r := DropTooShort; r < numDropReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}
