package openflow

import "github.com/gvs-project/gvs/flowtable"

// An NXM/OXM header is class(16) field(7) hasmask(1) length(8). Experimenter
// OXM fields (class 0xffff) are followed by a 32-bit experimenter ID that
// the length byte counts.
const (
	nxmClassOF        = 0x0000 // NXM_OF_*
	nxmClassNX        = 0x0001 // NXM_NX_*
	oxmClassBasic     = 0x8000 // OXM_OF_*
	oxmClassPktReg    = 0x8001 // OXM_OF_PKT_REG*
	oxmClassExp       = 0xffff // experimenter
	onfExperimenterID = 0x4f4e4600
)

// wireKind says how a wire field maps to flowtable storage when it is not a
// plain copy of one flowtable field.
type wireKind uint8

const (
	kindPlain     wireKind = iota
	kindInPortOXM          // 32-bit OpenFlow 1.1 port number
	kindVLANPCP            // OXM vlan_pcp: also sets the CFI bit
	kindARPOp              // 16 bits on the wire, 8 stored
)

// wireField is one NXM or OXM field: its class, field number, experimenter
// and value length on the wire, and the flowtable field it stands for.
type wireField struct {
	class uint16
	field uint8
	exp   uint32 // experimenter ID for class 0xffff
	n     int    // value bytes
	id    flowtable.FieldID
	kind  wireKind
	since Version // the first OpenFlow version that has this name
}

func wf(class uint16, field uint8, n int, id flowtable.FieldID) wireField {
	return wireField{class: class, field: field, n: n, id: id}
}

// The wire fields gvs encodes; index constants name them for the encoder.
const (
	wInPort = iota
	wInPortOXM
	wEthSrc
	wEthDst
	wEthType
	wVLANTCI
	wVLANVID
	wVLANPCP
	wIPTOS
	wIPDSCP
	wIPECNNX
	wIPECN
	wIPTTL
	wIPProto
	wIPProtoOXM
	wIPv4Src
	wIPv4SrcOXM
	wIPv4Dst
	wIPv4DstOXM
	wTCPSrc
	wTCPSrcOXM
	wTCPDst
	wTCPDstOXM
	wUDPSrc
	wUDPSrcOXM
	wUDPDst
	wUDPDstOXM
	wSCTPSrc
	wSCTPDst
	wICMPType
	wICMPTypeOXM
	wICMPCode
	wICMPCodeOXM
	wARPOp
	wARPOpOXM
	wARPSPA
	wARPSPAOXM
	wARPTPA
	wARPTPAOXM
	wARPSHA
	wARPSHAOXM
	wARPTHA
	wARPTHAOXM
	wIPv6Src
	wIPv6SrcOXM
	wIPv6Dst
	wIPv6DstOXM
	wIPv6Label
	wIPv6LabelOXM
	wICMPv6Type
	wICMPv6TypeOXM
	wICMPv6Code
	wICMPv6CodeOXM
	wNDTarget
	wNDTargetOXM
	wNDSLL
	wNDSLLOXM
	wNDTLL
	wNDTLLOXM
	wIPFrag
	wTunID
	wTunIDOXM
	wTunSrc
	wTunDst
	wPktMark
	wTCPFlags
	wTCPFlagsONF
	wTCPFlagsOXM
	wConjID
	wCTState
	wCTZone
	wCTMark
	wCTLabel
	wMetadata
	wEthSrcOXM
	wEthDstOXM
	wEthTypeOXM
	wReg0                // + n, n < 16
	wXReg0  = wReg0 + 16 // + n, n < 8
	wXXReg0 = wXReg0 + 8 // + n, n < 4
	nWire   = wXXReg0 + 4
)

var wireFields = buildWireFields()

// wireIndex finds a wire field by class, field and experimenter.
var wireIndex = func() map[uint64]int {
	idx := make(map[uint64]int, nWire)
	for i, f := range wireFields {
		idx[wireKey(f.class, f.field, f.exp)] = i
	}
	return idx
}()

func wireKey(class uint16, field uint8, exp uint32) uint64 {
	return uint64(class)<<40 | uint64(field)<<32 | uint64(exp)
}

func buildWireFields() (w [nWire]wireField) {
	w[wInPort] = wf(nxmClassOF, 0, 2, flowtable.FieldInPort)
	w[wInPortOXM] = wireField{class: oxmClassBasic, field: 0, n: 4, id: flowtable.FieldInPort, kind: kindInPortOXM}
	w[wEthSrc] = wf(nxmClassOF, 2, 6, flowtable.FieldEthSrc)
	w[wEthSrcOXM] = wf(oxmClassBasic, 4, 6, flowtable.FieldEthSrc)
	w[wEthDst] = wf(nxmClassOF, 1, 6, flowtable.FieldEthDst)
	w[wEthDstOXM] = wf(oxmClassBasic, 3, 6, flowtable.FieldEthDst)
	w[wEthType] = wf(nxmClassOF, 3, 2, flowtable.FieldEthType)
	w[wEthTypeOXM] = wf(oxmClassBasic, 5, 2, flowtable.FieldEthType)
	w[wVLANTCI] = wf(nxmClassOF, 4, 2, flowtable.FieldVLANTCI)
	w[wVLANVID] = wf(oxmClassBasic, 6, 2, flowtable.FieldVLANVID)
	w[wVLANPCP] = wireField{class: oxmClassBasic, field: 7, n: 1, id: flowtable.FieldVLANPCP, kind: kindVLANPCP}
	w[wIPTOS] = wf(nxmClassOF, 5, 1, flowtable.FieldIPTOS)
	w[wIPDSCP] = wf(oxmClassBasic, 8, 1, flowtable.FieldIPDSCP)
	w[wIPECNNX] = wf(nxmClassNX, 28, 1, flowtable.FieldIPECN)
	w[wIPECN] = wf(oxmClassBasic, 9, 1, flowtable.FieldIPECN)
	w[wIPTTL] = wf(nxmClassNX, 29, 1, flowtable.FieldIPTTL)
	w[wIPProto] = wf(nxmClassOF, 6, 1, flowtable.FieldIPProto)
	w[wIPProtoOXM] = wf(oxmClassBasic, 10, 1, flowtable.FieldIPProto)
	w[wIPv4Src] = wf(nxmClassOF, 7, 4, flowtable.FieldIPv4Src)
	w[wIPv4SrcOXM] = wf(oxmClassBasic, 11, 4, flowtable.FieldIPv4Src)
	w[wIPv4Dst] = wf(nxmClassOF, 8, 4, flowtable.FieldIPv4Dst)
	w[wIPv4DstOXM] = wf(oxmClassBasic, 12, 4, flowtable.FieldIPv4Dst)
	w[wTCPSrc] = wf(nxmClassOF, 9, 2, flowtable.FieldTCPSrc)
	w[wTCPSrcOXM] = wf(oxmClassBasic, 13, 2, flowtable.FieldTCPSrc)
	w[wTCPDst] = wf(nxmClassOF, 10, 2, flowtable.FieldTCPDst)
	w[wTCPDstOXM] = wf(oxmClassBasic, 14, 2, flowtable.FieldTCPDst)
	w[wUDPSrc] = wf(nxmClassOF, 11, 2, flowtable.FieldUDPSrc)
	w[wUDPSrcOXM] = wf(oxmClassBasic, 15, 2, flowtable.FieldUDPSrc)
	w[wUDPDst] = wf(nxmClassOF, 12, 2, flowtable.FieldUDPDst)
	w[wUDPDstOXM] = wf(oxmClassBasic, 16, 2, flowtable.FieldUDPDst)
	w[wSCTPSrc] = wf(oxmClassBasic, 17, 2, flowtable.FieldSCTPSrc)
	w[wSCTPDst] = wf(oxmClassBasic, 18, 2, flowtable.FieldSCTPDst)
	w[wICMPType] = wf(nxmClassOF, 13, 1, flowtable.FieldICMPType)
	w[wICMPTypeOXM] = wf(oxmClassBasic, 19, 1, flowtable.FieldICMPType)
	w[wICMPCode] = wf(nxmClassOF, 14, 1, flowtable.FieldICMPCode)
	w[wICMPCodeOXM] = wf(oxmClassBasic, 20, 1, flowtable.FieldICMPCode)
	w[wARPOp] = wireField{class: nxmClassOF, field: 15, n: 2, id: flowtable.FieldARPOp, kind: kindARPOp}
	w[wARPOpOXM] = wireField{class: oxmClassBasic, field: 21, n: 2, id: flowtable.FieldARPOp, kind: kindARPOp}
	w[wARPSPA] = wf(nxmClassOF, 16, 4, flowtable.FieldARPSPA)
	w[wARPSPAOXM] = wf(oxmClassBasic, 22, 4, flowtable.FieldARPSPA)
	w[wARPTPA] = wf(nxmClassOF, 17, 4, flowtable.FieldARPTPA)
	w[wARPTPAOXM] = wf(oxmClassBasic, 23, 4, flowtable.FieldARPTPA)
	w[wARPSHA] = wf(nxmClassNX, 17, 6, flowtable.FieldARPSHA)
	w[wARPSHAOXM] = wf(oxmClassBasic, 24, 6, flowtable.FieldARPSHA)
	w[wARPTHA] = wf(nxmClassNX, 18, 6, flowtable.FieldARPTHA)
	w[wARPTHAOXM] = wf(oxmClassBasic, 25, 6, flowtable.FieldARPTHA)
	w[wIPv6Src] = wf(nxmClassNX, 19, 16, flowtable.FieldIPv6Src)
	w[wIPv6SrcOXM] = wf(oxmClassBasic, 26, 16, flowtable.FieldIPv6Src)
	w[wIPv6Dst] = wf(nxmClassNX, 20, 16, flowtable.FieldIPv6Dst)
	w[wIPv6DstOXM] = wf(oxmClassBasic, 27, 16, flowtable.FieldIPv6Dst)
	w[wIPv6Label] = wf(nxmClassNX, 27, 4, flowtable.FieldIPv6Label)
	w[wIPv6LabelOXM] = wf(oxmClassBasic, 28, 4, flowtable.FieldIPv6Label)
	w[wICMPv6Type] = wf(nxmClassNX, 21, 1, flowtable.FieldICMPv6Type)
	w[wICMPv6TypeOXM] = wf(oxmClassBasic, 29, 1, flowtable.FieldICMPv6Type)
	w[wICMPv6Code] = wf(nxmClassNX, 22, 1, flowtable.FieldICMPv6Code)
	w[wICMPv6CodeOXM] = wf(oxmClassBasic, 30, 1, flowtable.FieldICMPv6Code)
	w[wNDTarget] = wf(nxmClassNX, 23, 16, flowtable.FieldNDTarget)
	w[wNDTargetOXM] = wf(oxmClassBasic, 31, 16, flowtable.FieldNDTarget)
	w[wNDSLL] = wf(nxmClassNX, 24, 6, flowtable.FieldNDSLL)
	w[wNDSLLOXM] = wf(oxmClassBasic, 32, 6, flowtable.FieldNDSLL)
	w[wNDTLL] = wf(nxmClassNX, 25, 6, flowtable.FieldNDTLL)
	w[wNDTLLOXM] = wf(oxmClassBasic, 33, 6, flowtable.FieldNDTLL)
	w[wIPFrag] = wf(nxmClassNX, 26, 1, flowtable.FieldIPFrag)
	w[wTunID] = wf(nxmClassNX, 16, 8, flowtable.FieldTunID)
	w[wTunIDOXM] = wf(oxmClassBasic, 38, 8, flowtable.FieldTunID)
	w[wTunSrc] = wf(nxmClassNX, 31, 4, flowtable.FieldTunSrc)
	w[wTunDst] = wf(nxmClassNX, 32, 4, flowtable.FieldTunDst)
	w[wPktMark] = wf(nxmClassNX, 33, 4, flowtable.FieldPktMark)
	w[wTCPFlags] = wf(nxmClassNX, 34, 2, flowtable.FieldTCPFlags)
	w[wTCPFlagsONF] = wireField{class: oxmClassExp, field: 42, exp: onfExperimenterID, n: 2, id: flowtable.FieldTCPFlags}
	w[wTCPFlagsOXM] = wf(oxmClassBasic, 42, 2, flowtable.FieldTCPFlags)
	w[wConjID] = wf(nxmClassNX, 37, 4, flowtable.FieldConjID)
	w[wCTState] = wf(nxmClassNX, 105, 4, flowtable.FieldCTState)
	w[wCTZone] = wf(nxmClassNX, 106, 2, flowtable.FieldCTZone)
	w[wCTMark] = wf(nxmClassNX, 107, 4, flowtable.FieldCTMark)
	w[wCTLabel] = wf(nxmClassNX, 108, 16, flowtable.FieldCTLabel)
	w[wMetadata] = wf(oxmClassBasic, 2, 8, flowtable.FieldMetadata)
	for i := 0; i < 16; i++ {
		w[wReg0+i] = wf(nxmClassNX, uint8(i), 4, flowtable.FieldReg0+flowtable.FieldID(i))
	}
	for i := 0; i < 8; i++ {
		w[wXReg0+i] = wf(oxmClassPktReg, uint8(i), 8, flowtable.FieldXReg0+flowtable.FieldID(i))
	}
	for i := 0; i < 4; i++ {
		w[wXXReg0+i] = wf(nxmClassNX, uint8(111+i), 16, flowtable.FieldXXReg0+flowtable.FieldID(i))
	}
	// NXM names date from OpenFlow 1.0, OXM_OF_* from 1.2, the packet
	// registers from 1.3; tun_id and tcp_flags came to OXM later.
	for i := range w {
		switch w[i].class {
		case nxmClassOF, nxmClassNX:
			w[i].since = OF10
		case oxmClassBasic:
			w[i].since = OF12
		default:
			w[i].since = OF13
		}
	}
	w[wTunIDOXM].since = OF13
	w[wTCPFlagsOXM].since = OF15
	return w
}

// pick returns the NXM form of a field (version 0) or the form OVS uses in
// OXM for version v: the OXM_OF one once the version has it, else the NXM
// one.
func pick(v Version, nxm, oxm int) int {
	if v != 0 && v >= wireFields[oxm].since {
		return oxm
	}
	return nxm
}
