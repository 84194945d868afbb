// Package flowtable holds gvs's OpenFlow model: match fields, flow keys,
// matches, actions and flow entries; the ovs-ofctl text syntax (parser and
// printer); the 255 flow tables of a bridge with Open vSwitch's add, modify
// and delete semantics; and the classifier that finds the highest-priority
// entry matching a packet's key.
//
// # Layout
//
// The model: field.go (every field: names, width, prerequisite, where it
// lives in a Key, whether it is metadata rather than a header), key.go
// ([Key], [Value], [SameHeaders]), match.go ([Match], prerequisites),
// flow.go ([Flow], [FlowMod]) and action.go (the [Action] interface, the
// [Translator] an action translates against, [FieldSet] and the table of
// action names).
//
// The ovs-ofctl syntax: parse.go (flow text and its fields), parse_match.go
// and parse_value.go (match fields and values), parse_action.go (splitting
// an action list and dispatching each action to the parser registered for
// its name); format.go, format_match.go and format_action.go print flows,
// matches and action lists in both dump shapes ([FormatOptions]: OpenFlow
// 1.0 with Nicira extensions, or -O OpenFlow13).
//
// The actions, one file per action or family of small relatives:
// act_output.go (output, output:reg, controller), act_resubmit.go
// (resubmit, goto_table), act_vlan.go, act_rewrite.go (the OpenFlow 1.0
// mod_* rewrites), act_dec_ttl.go, act_field.go (set_field, load, move,
// set_tunnel), act_ct.go (ct, nat, ct_clear), act_learn.go and
// act_conjunction.go (conjunction, note). Each file holds the action's
// type, its parser with the prerequisites it checks, its printer, the
// fields it reads and writes (Access) and its translation (Translate).
//
// The tables and the classifier: tables.go ([Tables], [Snapshot], lookup
// and counters), tables_txn.go (the copy-on-write transaction every change
// runs in), tables_flowmod.go (Apply and Replace: add, modify, delete),
// tables_learn.go (flows added by learn), tables_expire.go (timeouts),
// tables_dump.go (Flows, in dump order) and classifier.go (the per-table
// tuple-space search and conjunctive matches).
//
// # Adding an action
//
// Write one act_*.go file: the action's type; a parser registered with
// registerAction under its ovs-ofctl names in the file's init, which checks
// its prerequisites against the actState it is given (and updates it when
// the action changes what later actions may require); a format method for
// both dump shapes; Access; and Translate, written against the
// [Translator] interface. When the action needs something of the datapath
// that Translator does not offer, add a method to Translator and implement
// it in datapath's xlate_actions.go. No code lists every action type; the
// few places that single out one kind name only it (conjunction and note in
// isSoft and the action-list parser, output and controller in Flow.OutputsTo,
// set_field in ct's exec).
//
// Executing actions is the datapath's business: this package does not
// import it. The datapath's translation implements [Translator] and calls
// each action's Translate in turn.
//
// # Keys
//
// A packet is summarised in a [Key]: a fixed array of 64-bit words in which
// every field has a fixed place (see [Field]). Some fields share storage, as
// in Open vSwitch: arp_spa/arp_tpa live where nw_src/nw_dst do, arp_op in
// nw_proto, icmp_type/icmp_code in tp_src/tp_dst, arp_sha/arp_tha where
// nd_sll/nd_tll do. Prerequisites make the sharing unambiguous.
//
// A [Match] is a Key of values and a Key of masks. The classifier groups
// flows by mask (tuple-space search), so a lookup costs one hash probe per
// distinct mask in a table, whatever the number of flows.
//
// # Concurrency
//
// Lookups take no lock and allocate nothing. Flow modifications are
// serialised per table set and published with atomic pointer swaps, so a
// reader sees either the old or the new state of any one flow.
package flowtable
