package flowtable

import "math/bits"

// Key is the classifier's view of a packet: every field at a fixed place
// (see the w* constants in field.go). The zero Key is a packet with every
// field absent. Keys are plain values: copying one copies the packet's
// metadata, which is how a traversal forks (e.g. for ct()).
type Key [KeyWords]uint64

// Value holds the value (or mask) of one field: fields of up to 64 bits use
// Lo only; 128-bit fields use Hi for the most-significant half.
type Value struct{ Hi, Lo uint64 }

// IsZero reports whether v is all zero bits.
func (v Value) IsZero() bool { return v.Hi == 0 && v.Lo == 0 }

// And returns v & m.
func (v Value) And(m Value) Value { return Value{v.Hi & m.Hi, v.Lo & m.Lo} }

// OnesValue returns a Value with the low n bits set.
func OnesValue(n int) Value {
	switch {
	case n >= 128:
		return Value{^uint64(0), ^uint64(0)}
	case n > 64:
		return Value{1<<uint(n-64) - 1, ^uint64(0)}
	case n == 64:
		return Value{0, ^uint64(0)}
	default:
		return Value{0, 1<<uint(n) - 1}
	}
}

// storageBits is the number of bits a field occupies in the Key.
func (f *Field) storageBits() int { return f.Bits - int(f.ValueShift) }

// FullMask returns the all-ones mask of the field, in value terms.
func (f *Field) FullMask() Value {
	m := OnesValue(f.storageBits())
	return m.shl(f.ValueShift)
}

func (v Value) shl(n uint) Value {
	switch {
	case n == 0:
		return v
	case n >= 128:
		return Value{}
	case n >= 64:
		return Value{v.Lo << (n - 64), 0}
	}
	return Value{v.Hi<<n | v.Lo>>(64-n), v.Lo << n}
}

func (v Value) shr(n uint) Value {
	switch {
	case n == 0:
		return v
	case n >= 128:
		return Value{}
	case n >= 64:
		return Value{0, v.Hi >> (n - 64)}
	}
	return Value{v.Hi >> n, v.Lo>>n | v.Hi<<(64-n)}
}

// Get returns field f of k.
func (k *Key) Get(f *Field) Value {
	if f.Bits > 64 {
		return Value{k[f.Word], k[f.Word+1]}
	}
	return Value{0, (k[f.Word] >> f.Shift & f.smask) << f.ValueShift}
}

// Set stores v into field f of k, leaving other fields alone. Bits of v
// beyond the field's width are ignored.
func (k *Key) Set(f *Field, v Value) {
	if f.Bits > 64 {
		k[f.Word], k[f.Word+1] = v.Hi, v.Lo
		return
	}
	m := f.smask
	k[f.Word] = k[f.Word]&^(m<<f.Shift) | (v.Lo>>f.ValueShift&m)<<f.Shift
}

// SetMasked stores the bits of v selected by mask into field f of k.
func (k *Key) SetMasked(f *Field, v, mask Value) {
	old := k.Get(f)
	k.Set(f, Value{old.Hi&^mask.Hi | v.Hi&mask.Hi, old.Lo&^mask.Lo | v.Lo&mask.Lo})
}

// GetBits returns bits [ofs, ofs+n) of field f as a value aligned at bit 0.
func (k *Key) GetBits(f *Field, ofs, n int) Value {
	return k.Get(f).shr(uint(ofs)).And(OnesValue(n))
}

// SetBits replaces bits [ofs, ofs+n) of field f with the low n bits of v.
func (k *Key) SetBits(f *Field, ofs, n int, v Value) {
	m := OnesValue(n).shl(uint(ofs))
	k.SetMasked(f, v.shl(uint(ofs)), m)
}

// hashWords hashes the words of k listed in idx after masking them with
// mask. It allocates nothing.
func hashWords(k, mask *Key, idx []uint8) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, i := range idx {
		h ^= k[i] & mask[i]
		h *= 0xff51afd7ed558ccd
		h = bits.RotateLeft64(h, 31)
	}
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 29
	return h
}

// headerMask has the bits of a Key that the fields not marked Metadata
// occupy, the packet headers; headerWords is its prefix up to the last word with
// a header bit. initHeaderMask fills both once the fields are defined.
var (
	headerMask  Key
	headerWords []uint64
)

func initHeaderMask() {
	for i := range fields {
		f := &fields[i]
		if n := f.storageBits(); n < 64 {
			f.smask = 1<<uint(n) - 1
		} else {
			f.smask = ^uint64(0)
		}
		if f.ID != FieldNone && !f.Metadata {
			headerMask.Set(f, f.FullMask())
		}
	}
	n := len(headerMask)
	for n > 0 && headerMask[n-1] == 0 {
		n--
	}
	headerWords = headerMask[:n]
}

// HeaderMask returns the mask of the bits of a Key that are packet
// headers: every field except those marked Metadata.
func HeaderMask() Key { return headerMask }

// SameHeaders reports whether a and b agree on every packet header bit,
// whatever their metadata (in_port, registers, conntrack, tunnel...). It
// allocates nothing.
func SameHeaders(a, b *Key) bool {
	for i, m := range headerWords {
		if (a[i]^b[i])&m != 0 {
			return false
		}
	}
	return true
}

// ClearCT resets the conntrack metadata of k (ct_state, ct_zone, ct_mark,
// ct_label), as ct_clear does and as a packet has before any ct().
func (k *Key) ClearCT() {
	k.Set(&fields[FieldCTState], Value{})
	k.Set(&fields[FieldCTZone], Value{})
	k.Set(&fields[FieldCTMark], Value{})
	k.Set(&fields[FieldCTLabel], Value{})
}
