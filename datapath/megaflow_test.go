package datapath

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/gvs-project/gvs/flowtable"
)

// translated is what one traversal with exact wildcards produced.
type translated struct {
	ops     []op
	recircs []recirc
	drop    DropReason
	wc      flowtable.Key
}

// translateWC translates key k on bridge b from table 0 without side
// effects, with wildcards made exact.
func translateWC(w *Worker, b *Bridge, k *flowtable.Key, table uint8) translated {
	x := &w.x
	x.reset(k, b, 64, w.Now())
	x.dryRun, x.exactWC = true, true
	x.run(table)
	x.dryRun, x.exactWC = false, false
	return translated{ops: append([]op(nil), x.ops...), recircs: append([]recirc(nil), x.recircs...), drop: x.drop, wc: x.wc}
}

// TestMegaflowWildcards is the property a megaflow cache stands on: a
// packet that agrees with another on every bit translation un-wildcarded
// translates to exactly the same operations (header rewrites carry the
// same values, outputs go to the same ports, recirculations resume in the
// same place with the same metadata) and the same drop reason. Keys are
// built to hit every flow of Neutron's flow files (br-int, br-vlan, br-tun
// with learn, the firewall with ct) and of the extra files, then perturbed
// in header and tunnel bits outside the wildcards.
func TestMegaflowWildcards(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "flows", "*.flows"))
	if err != nil || len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no flow files: %v", err)
		}
		t.Skip("flow files missing")
	}
	r := rand.New(rand.NewPCG(1, 2))
	header := flowtable.HeaderMask()
	header.Set(fTunID, fTunID.FullMask())
	checked := 0
	for _, file := range files {
		s := newSwitch(t)
		b := s.bridge("br0", FailSecure)
		for i := 1; i <= 12; i++ {
			s.port("br0", "p"+itoa(i)+":"+itoa(i))
		}
		if err := s.dp.LoadFlowFile("br0", file); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, f := range b.Flows.Flows(nil) {
			for trial := 0; trial < 4; trial++ {
				k := keyFor(r, &f.Match)
				k.Set(fInPort, u64(uint64(1+r.IntN(12))))
				// Starting in the flow's own table, as a recirculation
				// pass does, reaches every flow.
				want := translateWC(s.w, b, &k, f.Table)
				for j := 0; j < 4; j++ {
					var k2 flowtable.Key
					var perturbed flowtable.Key
					for i := range k {
						perturbed[i] = r.Uint64() &^ want.wc[i] & header[i]
						k2[i] = k[i] ^ perturbed[i]
					}
					got := translateWC(s.w, b, &k2, f.Table)
					if msg := sameTranslation(&want, &got, &perturbed); msg != "" {
						t.Fatalf("%s: flow %q\nkey  %s\nkey' %s (agrees on the wildcards)\n%s",
							filepath.Base(file), f.Format(flowtable.FormatOptions{NoStats: true}), FormatKey(&k), FormatKey(&k2), msg)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d perturbed translations matched their originals", checked)
}

// keyFor returns a key matching m: m's values where it has a mask, random
// bits elsewhere (ct_state too: a recirculation pass has one).
func keyFor(r *rand.Rand, m *flowtable.Match) flowtable.Key {
	var k flowtable.Key
	for i := range k {
		k[i] = m.Value[i]&m.Mask[i] | r.Uint64()&^m.Mask[i]
	}
	return k
}

// sameTranslation compares two traversals; perturbed are the key bits in
// which their packets differ, which a recirculation key may carry.
func sameTranslation(a, b *translated, perturbed *flowtable.Key) string {
	if a.drop != b.drop {
		return "drop reason " + a.drop.String() + " became " + b.drop.String()
	}
	if len(a.ops) != len(b.ops) {
		return "operations " + itoa(len(a.ops)) + " became " + itoa(len(b.ops))
	}
	for i := range a.ops {
		oa, ob := a.ops[i], b.ops[i]
		if oa.kind != ob.kind || oa.port != ob.port {
			return "operation " + itoa(i) + " differs in kind or port"
		}
		if oa.kind == opCT {
			ra, rb := &a.recircs[oa.a], &b.recircs[ob.a]
			if ra.table != rb.table || ra.bridge != rb.bridge || !sameCT(&ra.ct, &rb.ct) {
				return "recirculation " + itoa(i) + " differs"
			}
			for w := range ra.key {
				if (ra.key[w]^rb.key[w])&^perturbed[w] != 0 {
					return "recirculation key " + itoa(i) + " differs outside the packet's own bits"
				}
			}
			continue
		}
		if oa != ob {
			return "operation " + itoa(i) + " carries other values"
		}
	}
	return ""
}

func sameCT(a, b *flowtable.CT) bool { return reflect.DeepEqual(a, b) }

func itoa(i int) string { return strconv.Itoa(i) }
