package passcode

import (
	"io"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// Test hooks into the unexported code sampler and MAC check.

func NewCode(r io.Reader) (string, error) { return newCode(r) }

const SampleLimit = sampleLimit

func (s *Service) Matches(p store.Passcode, code string) bool { return s.matches(p, code) }

func (s *Service) MAC(id uuid.UUID, code string) string { return s.mac(id, code) }
