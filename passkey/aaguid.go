package passkey

import (
	_ "embed"
	"encoding/json"
	"sync"

	"github.com/google/uuid"
)

// aaguidJSON maps the AAGUIDs of common passkey providers to their names
// (from the providers' published metadata).
//
//go:embed aaguid.json
var aaguidJSON []byte

var aaguidNames = sync.OnceValue(func() map[uuid.UUID]string {
	var raw map[string]string
	if err := json.Unmarshal(aaguidJSON, &raw); err != nil {
		panic("passkey: aaguid.json: " + err.Error())
	}
	m := make(map[uuid.UUID]string, len(raw))
	for k, v := range raw {
		m[uuid.MustParse(k)] = v
	}
	return m
})

// authenticatorName names an authenticator by its AAGUID, or "" when it is
// not a known provider.
func authenticatorName(aaguid []byte) string {
	id, err := uuid.FromBytes(aaguid)
	if err != nil {
		return ""
	}
	return aaguidNames()[id]
}
