package openflow

import "fmt"

// Error types and the OFPET_BAD_MATCH codes (OpenFlow 1.2+ numbering) that
// the match decoder reports.
const (
	ErrTypeBadMatch = 4

	BadMatchType      = 0  // OFPBMC_BAD_TYPE: unsupported match type
	BadMatchLen       = 1  // OFPBMC_BAD_LEN: length problem in the match
	BadMatchWildcards = 5  // OFPBMC_BAD_WILDCARDS: value bits outside the mask
	BadMatchField     = 6  // OFPBMC_BAD_FIELD: unsupported field
	BadMatchValue     = 7  // OFPBMC_BAD_VALUE: unsupported value in a field
	BadMatchMask      = 8  // OFPBMC_BAD_MASK: unsupported mask
	BadMatchPrereq    = 9  // OFPBMC_BAD_PREREQ: a prerequisite was not met
	BadMatchDupField  = 10 // OFPBMC_DUP_FIELD: a field appears twice
)

// MatchError is a match the decoder refused. Code is the OFPET_BAD_MATCH
// code an OFPT_ERROR reply to it carries.
type MatchError struct {
	Code uint16
	Msg  string
}

func (e *MatchError) Error() string { return "openflow: bad match: " + e.Msg }

func matchErr(code uint16, format string, args ...any) error {
	return &MatchError{Code: code, Msg: fmt.Sprintf(format, args...)}
}
