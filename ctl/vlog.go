package ctl

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// logLevel is gvsd's log level, changed at run time by SetLogLevel (nil
// until gvsd registers its logger's level).
var logLevel atomic.Pointer[zap.AtomicLevel]

// RegisterLogLevel hands the server the level of gvsd's logger, so that
// vlog/set can change it while gvsd runs.
func RegisterLogLevel(l zap.AtomicLevel) { logLevel.Store(&l) }

// logModule is the one module gvs logs as (Open vSwitch has one per
// source file); "ANY" names it too.
const logModule = "gvsd"

// vlogLevels maps Open vSwitch's level names, and zap's, to zap levels.
// "off" is the level above every message gvs logs.
var vlogLevels = map[string]zapcore.Level{
	"dbg": zapcore.DebugLevel, "debug": zapcore.DebugLevel, "info": zapcore.InfoLevel,
	"warn": zapcore.WarnLevel, "err": zapcore.ErrorLevel, "error": zapcore.ErrorLevel,
	"emer": zapcore.DPanicLevel, "off": zapcore.FatalLevel,
}

// vlogName is the Open vSwitch spelling of a zap level.
func vlogName(l zapcore.Level) string {
	switch l {
	case zapcore.DebugLevel:
		return "DBG"
	case zapcore.InfoLevel:
		return "INFO"
	case zapcore.WarnLevel:
		return "WARN"
	case zapcore.ErrorLevel:
		return "ERR"
	case zapcore.DPanicLevel, zapcore.PanicLevel:
		return "EMER"
	}
	return "OFF"
}

// parseVlogSpec reads an ovs-appctl vlog/set argument: words separated
// by ':' (or spaces), each a destination (console, file, syslog, ANY: gvs
// logs to its standard error only, so all are the same), a module (gvsd
// or ANY) or a level. It returns the level; a spec without one is an
// error, as is any word it does not know.
func parseVlogSpec(spec string) (zapcore.Level, error) {
	var level *zapcore.Level
	words := strings.FieldsFunc(spec, func(r rune) bool { return r == ':' || r == ' ' })
	if len(words) == 0 {
		return 0, fmt.Errorf("empty log level specification: want [module:]level, e.g. gvsd:dbg")
	}
	for _, w := range words {
		lw := strings.ToLower(w)
		if l, ok := vlogLevels[lw]; ok {
			level = &l
			continue
		}
		switch lw {
		case "any", logModule, "console", "file", "syslog":
			continue
		}
		return 0, fmt.Errorf("no destination, level, or module %q (gvs has module %s; levels dbg, info, warn, err, emer, off)", w, logModule)
	}
	if level == nil {
		return 0, fmt.Errorf("%q names no level (dbg, info, warn, err, emer or off)", spec)
	}
	return *level, nil
}

// SetLogLevel changes gvsd's log level (ovs-appctl vlog/set) and returns
// the levels now in force.
func (s *Server) SetLogLevel(_ context.Context, r *ctlpb.SetLogLevelRequest) (*ctlpb.LogLevelsResponse, error) {
	al := logLevel.Load()
	if al == nil {
		return nil, status.Error(codes.FailedPrecondition, "this gvsd has no adjustable log level")
	}
	l, err := parseVlogSpec(r.Spec)
	if err != nil {
		return nil, invalid("%v", err)
	}
	before := al.Level()
	al.SetLevel(l)
	// Logged at the higher of both levels, so the change is seen; never
	// above error, where zap would panic or exit.
	s.log.WithOptions(zap.AddStacktrace(zapcore.FatalLevel)).Log(min(max(before, l, zapcore.InfoLevel), zapcore.ErrorLevel),
		"log level changed", zap.String("from", before.String()), zap.String("to", l.String()))
	return logLevels(al), nil
}

// ListLogLevels returns gvsd's log levels (ovs-appctl vlog/list).
func (s *Server) ListLogLevels(context.Context, *ctlpb.ListLogLevelsRequest) (*ctlpb.LogLevelsResponse, error) {
	al := logLevel.Load()
	if al == nil {
		return nil, status.Error(codes.FailedPrecondition, "this gvsd has no adjustable log level")
	}
	return logLevels(al), nil
}

// logLevels is the vlog/list reply for al.
func logLevels(al *zap.AtomicLevel) *ctlpb.LogLevelsResponse {
	name := vlogName(al.Level())
	text := fmt.Sprintf("                 console\n                 -------\n%-16s  %4s\n", logModule, name)
	return &ctlpb.LogLevelsResponse{Levels: map[string]string{logModule: name}, Text: text}
}
