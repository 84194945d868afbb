package difffuzz

// Shrink removes flows and then frames from c, one at a time, keeping each
// removal after which diverges(c) still holds, and returns the smaller
// case. diverges runs both switches, so each step costs a run.
func Shrink(c *Case, diverges func(*Case) bool) *Case {
	cur := *c
	cur.Flows = shrink(cur.Flows, func(fs []string) bool { try := cur; try.Flows = fs; return diverges(&try) })
	cur.Frames = shrink(cur.Frames, func(fs []Frame) bool { try := cur; try.Frames = fs; return diverges(&try) })
	return &cur
}

// shrink drops elements of s one at a time while keep still holds.
func shrink[T any](s []T, keep func([]T) bool) []T {
	for i := 0; i < len(s); {
		try := append(append([]T(nil), s[:i]...), s[i+1:]...)
		if keep(try) {
			s = try
		} else {
			i++
		}
	}
	return s
}
