package flowtable

import (
	"fmt"
	"strconv"
	"strings"
)

// The actions that do nothing to the packet: conjunction, which only the
// classifier reads, and note.

// Conjunction contributes dimension Clause (1-based) of NClauses to the
// conjunctive match ID. A flow whose actions are conjunctions (and notes)
// is never executed; see the classifier.
type Conjunction struct {
	ID       uint32
	Clause   uint8
	NClauses uint8
}

// Note carries opaque bytes; it does nothing.
type Note struct{ Data []byte }

func init() {
	registerAction(parseConjunction, "conjunction")
	registerAction(parseNote, "note")
}

// parseConjunction parses conjunction(id,k/n).
func parseConjunction(p *parser, a actionArg, _ *actState) (Action, error) {
	arg, col := a.arg, a.col
	id, rest, ok := strings.Cut(arg, ",")
	k, n, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return nil, p.errAt(a.pc.col, a.pc.s, "conjunction needs (id,k/n)")
	}
	idv, err := strconv.ParseUint(strings.TrimSpace(id), 0, 32)
	if err != nil {
		return nil, p.errAt(col, id, "bad conjunction id")
	}
	kv, err1 := strconv.ParseUint(strings.TrimSpace(k), 10, 8)
	nv, err2 := strconv.ParseUint(strings.TrimSpace(n), 10, 8)
	if err1 != nil || err2 != nil || nv < 2 || nv > 64 || kv < 1 || kv > nv {
		return nil, p.errAt(col+len(id)+1, rest, "bad conjunction clause %q: want k/n with 2 <= n <= 64 and 1 <= k <= n", rest)
	}
	return Conjunction{ID: uint32(idv), Clause: uint8(kv), NClauses: uint8(nv)}, nil
}

// parseNote parses note:HEX.HEX..., padded as Open vSwitch pads it.
func parseNote(p *parser, a actionArg, _ *actState) (Action, error) {
	arg, col := a.arg, a.col
	var data []byte
	h := strings.ReplaceAll(arg, ".", "")
	if len(h)%2 != 0 {
		return nil, p.errAt(col, arg, "note needs hex bytes (01.02.03)")
	}
	for i := 0; i < len(h); i += 2 {
		a, ok1 := hexDigit(h[i])
		b, ok2 := hexDigit(h[i+1])
		if !ok1 || !ok2 {
			return nil, p.errAt(col, arg, "bad hex digit in note %q", arg)
		}
		data = append(data, a<<4|b)
	}
	// Open vSwitch pads a note so that its action is a multiple of 8 bytes
	// long (10 bytes of header).
	for (len(data)+10)%8 != 0 {
		data = append(data, 0)
	}
	return Note{Data: data}, nil
}

func (a Conjunction) format(aw *actionWriter) {
	aw.addf("conjunction(%d,%d/%d)", a.ID, a.Clause, a.NClauses)
}

func (a Note) format(aw *actionWriter) {
	hexes := make([]string, len(a.Data))
	for i, b := range a.Data {
		hexes[i] = fmt.Sprintf("%02x", b)
	}
	aw.add("note:" + strings.Join(hexes, "."))
}

// Access: none; the classifier matches conjunctions itself.
func (Conjunction) Access(_, _ *FieldSet) {}

// Access: none.
func (Note) Access(_, _ *FieldSet) {}

// Translate: a conjunction flow is never executed.
func (Conjunction) Translate(*Key, Translator) bool { return true }

func (Note) Translate(*Key, Translator) bool { return true }
