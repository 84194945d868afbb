package ctl

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Bounds of an audit summary: a request is described, never copied.
const (
	summaryMax    = 400 // characters of a whole summary
	summaryString = 64  // characters of one string value
	summaryMap    = 8   // entries of a map shown (else only its size)
	summaryDepth  = 2   // levels of nested messages shown
)

// summarize describes a request or response in one short line: its set
// fields in declaration order as name=value, strings quoted and cut to
// summaryString characters, bytes and lists by their length only
// ("flows=[100000]"), small maps entry by entry, nested messages in
// braces; "" for nil or a message with nothing set. The result is at most
// summaryMax characters.
func summarize(m any) string {
	pm, ok := m.(proto.Message)
	if !ok || pm == nil {
		return ""
	}
	r := pm.ProtoReflect()
	if !r.IsValid() {
		return ""
	}
	var b strings.Builder
	writeFields(&b, r, 0)
	s := b.String()
	if n := summaryMax; len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// writeFields writes the set fields of m.
func writeFields(b *strings.Builder, m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len() && b.Len() <= summaryMax; i++ {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		sep(b)
		b.WriteString(string(fd.Name()))
		v := m.Get(fd)
		switch {
		case fd.IsList():
			fmt.Fprintf(b, "=[%d]", v.List().Len())
		case fd.IsMap():
			writeMap(b, v.Map())
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			if depth >= summaryDepth {
				b.WriteString("{…}")
				continue
			}
			b.WriteString("{")
			writeFields(b, v.Message(), depth+1)
			b.WriteString("}")
		default:
			b.WriteString("=")
			b.WriteString(scalar(fd, v))
		}
	}
}

// writeMap writes a map's entries in key order, or only its size if it
// is large.
func writeMap(b *strings.Builder, m protoreflect.Map) {
	if m.Len() > summaryMap {
		fmt.Fprintf(b, "={%d entries}", m.Len())
		return
	}
	entries := map[string]string{}
	m.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		entries[cut(k.String())] = cut(fmt.Sprint(v.Interface()))
		return true
	})
	b.WriteString("={")
	for i, k := range sortedKeys(entries) {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(b, "%s:%q", k, entries[k])
	}
	b.WriteString("}")
}

// scalar formats one scalar value.
func scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return fmt.Sprintf("%q", cut(v.String()))
	case protoreflect.BytesKind:
		return fmt.Sprintf("<%d bytes>", len(v.Bytes()))
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
	}
	return fmt.Sprint(v.Interface())
}

// cut shortens s to summaryString characters.
func cut(s string) string {
	if r := []rune(s); len(r) > summaryString {
		return string(r[:summaryString]) + "…"
	}
	return s
}

// sep separates one summary item from the previous one.
func sep(b *strings.Builder) {
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "{") {
		b.WriteString(" ")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
