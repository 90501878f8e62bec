package webhook

import "time"

// SetBookkeepingTimeout shortens the bound of the dispatcher's store calls
// (10 s) for tests. Call it before Start.
func SetBookkeepingTimeout(s *Service, d time.Duration) { s.bookTimeout = d }
