package flowtable

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recorder is a Translator that writes down every call, with what it
// depends on of the key at that point.
type recorder struct {
	k     *Key
	calls []string
}

func (r *recorder) Output(p Port) { r.calls = append(r.calls, fmt.Sprint("output ", p)) }
func (r *recorder) Resubmit(in Port, table uint8) {
	r.calls = append(r.calls, fmt.Sprint("resubmit ", in, table))
}
func (r *recorder) PushVLAN(tpid uint16) { r.calls = append(r.calls, fmt.Sprint("push_vlan ", tpid)) }
func (r *recorder) Learn(l Learn) {
	f := l.Flow(r.k)
	r.calls = append(r.calls, "learn "+f.Format(FormatOptions{NoStats: true, Exact: true}))
}
func (r *recorder) Conntrack(c CT) { r.calls = append(r.calls, fmt.Sprintf("ct %+v", c)) }
func (r *recorder) Controller(c Controller) {
	r.calls = append(r.calls, fmt.Sprintf("controller %+v", c))
}
func (r *recorder) TTLExceeded() { r.calls = append(r.calls, "ttl exceeded") }
func (r *recorder) FinTimeout(ft FinTimeout) {
	r.calls = append(r.calls, fmt.Sprintf("fin_timeout %+v", ft))
}

// TestAccessIsComplete: what an action reports reading (Access) is all its
// translation depends on, and what it reports writing is all it changes —
// the contract a flow cache relies on to un-wildcard a packet's fields.
// Every action of the flow files is translated on random keys, then on
// the same keys with every bit it does not read flipped: its calls to the
// Translator must be the same, and the resulting keys must differ only in
// the flipped bits it does not write.
func TestAccessIsComplete(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "flows", "*.flows"))
	if len(files) == 0 {
		t.Skip("flow files missing")
	}
	r := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for _, file := range append(files, "every action") {
		var mods []*FlowMod
		var err error
		if file == "every action" {
			mods, err = ParseFlows(strings.NewReader(everyAction), CmdAdd)
		} else {
			var fh *os.File
			if fh, err = os.Open(file); err != nil {
				t.Fatal(err)
			}
			mods, err = ParseFlows(fh, CmdAdd)
			fh.Close()
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, m := range mods {
			for _, a := range m.Flow.Actions {
				var reads, writes FieldSet
				a.Access(&reads, &writes)
				var rmask, wmask Key
				reads.AddTo(&rmask)
				writes.AddTo(&wmask)
				for trial := 0; trial < 16; trial++ {
					k1 := edgyKey(r, &m.Flow.Match)
					k2 := edgyKey(r, &m.Flow.Match)
					var flip Key
					for i := range k1 {
						k2[i] = k1[i]&rmask[i] | k2[i]&^rmask[i]
						flip[i] = k1[i] ^ k2[i]
					}
					if msg := sameEffect(a, k1, k2, &flip, &wmask); msg != "" {
						t.Fatalf("%s: %s: %s", filepath.Base(file), actionString(a), msg)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d actions translated twice", checked)
}

// edgyKey returns a key matching m where m has a mask, and elsewhere, field
// by field, 0, 1, 2, all ones or random bits: the values at which actions
// such as dec_ttl change their minds.
func edgyKey(r *rand.Rand, m *Match) Key {
	var k Key
	for i := range fields {
		f := &fields[i]
		if f.ID == FieldNone {
			continue
		}
		var v Value
		switch r.IntN(5) {
		case 0:
		case 1:
			v.Lo = 1
		case 2:
			v.Lo = 2
		case 3:
			v = f.FullMask()
		default:
			v = Value{Hi: r.Uint64(), Lo: r.Uint64()}.And(f.FullMask())
		}
		k.Set(f, v)
	}
	for i := range k {
		k[i] = k[i]&^m.Mask[i] | m.Value[i]&m.Mask[i]
	}
	return k
}

// everyAction has each kind of action once, with nothing in the match to
// pin the fields it reads.
const everyAction = `ip,actions=dec_ttl
ipv6,actions=dec_ttl
actions=move:NXM_OF_ETH_SRC[0..31]->NXM_NX_REG0[],move:NXM_NX_REG1[0..15]->NXM_OF_VLAN_TCI[]
actions=output:NXM_NX_REG2[0..15],output:in_port,output:3,normal,flood,all,local,controller:64
actions=resubmit(,3),resubmit(5,4),goto_table:9
actions=push_vlan:0x88a8,pop_vlan,strip_vlan,mod_vlan_vid:7,mod_vlan_pcp:3
actions=set_field:0x5->reg3,load:0x1->NXM_NX_REG4[3],set_field:fa:16:3e:00:00:01->eth_dst,mod_dl_src:fa:16:3e:00:00:02
ip,actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:8,mod_nw_ecn:2,mod_nw_ttl:9
tcp,actions=mod_tp_src:1,mod_tp_dst:2
ip,actions=ct(zone=NXM_NX_REG6[0..15],table=1),ct(commit,zone=5,exec(set_field:1->ct_mark)),ct_clear
actions=conjunction(1,1/2)
actions=note:00,set_tunnel:5,set_tunnel64:6
actions=fin_timeout(idle_timeout=5,hard_timeout=7)
actions=learn(table=10,priority=5,idle_timeout=30,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[])
actions=learn(table=11,limit=3,result_dst=NXM_NX_REG7[0],NXM_OF_ETH_SRC[],load:NXM_NX_REG0[]->NXM_NX_REG1[])
`

func sameEffect(a Action, k1, k2 Key, flip, wmask *Key) string {
	r1, r2 := &recorder{k: &k1}, &recorder{k: &k2}
	c1, c2 := a.Translate(&k1, r1), a.Translate(&k2, r2)
	if c1 != c2 {
		return "continues differently"
	}
	if !reflect.DeepEqual(r1.calls, r2.calls) {
		return fmt.Sprintf("calls %q became %q", strings.Join(r1.calls, "; "), strings.Join(r2.calls, "; "))
	}
	for i := range k1 {
		// Outside the written fields the keys keep their difference
		// (the flipped bits, nothing else).
		d := k1[i] ^ k2[i]
		if d&^wmask[i] != flip[i]&^wmask[i] {
			return fmt.Sprintf("changed key word %d outside the fields it writes", i)
		}
		// Inside them, a difference can only be a flipped bit left as
		// it was: what the action wrote came from what it read.
		if d&wmask[i]&^flip[i] != 0 {
			return fmt.Sprintf("wrote a value into key word %d that depends on something it does not read", i)
		}
	}
	return ""
}

func actionString(a Action) string {
	f := &Flow{Actions: []Action{a}}
	return f.Format(FormatOptions{NoStats: true})
}
