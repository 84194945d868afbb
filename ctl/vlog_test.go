package ctl

import (
	"testing"

	"go.uber.org/zap/zapcore"
)

// TestParseVlogSpec: vlog/set's argument in Open vSwitch's forms.
func TestParseVlogSpec(t *testing.T) {
	for spec, want := range map[string]zapcore.Level{
		"dbg": zapcore.DebugLevel, "gvsd:dbg": zapcore.DebugLevel, "ANY:info": zapcore.InfoLevel,
		"console:gvsd:warn": zapcore.WarnLevel, "err": zapcore.ErrorLevel, "ANY:ANY:off": zapcore.FatalLevel,
		"gvsd info": zapcore.InfoLevel, "error": zapcore.ErrorLevel,
	} {
		if got, err := parseVlogSpec(spec); err != nil || got != want {
			t.Errorf("%q = %v %v, want %v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"", "gvsd", "bogus:dbg", "gvsd:loud", ":::"} {
		if _, err := parseVlogSpec(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}
