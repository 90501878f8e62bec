package passkeytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// The helpers below change a registration or assertion JSON returned by
// Register or Login for negative tests. ModifyClientData,
// ModifyAuthenticatorData and TamperSignature do not re-sign, so the relying
// party must reject the result, at the latest at the signature check;
// Authenticator.Resign then signs it again so that only the modified content
// is wrong. The Modify and Tamper helpers panic when given anything but a
// response of this package, as a test helper should.

// ModifyClientData decodes response.clientDataJSON, calls fn with its members
// (strings, bools, json.Number, ...) to change in place, and returns the
// credential JSON with the rewritten clientDataJSON. Members keep their order
// and encoding, so a fn that changes nothing returns an equivalent,
// still-valid response.
func ModifyClientData(credentialJSON []byte, fn func(map[string]any)) []byte {
	top, resp := mustSplit(credentialJSON)
	raw := mustField(resp, "clientDataJSON")
	keys, m, err := decodeOrdered(raw)
	if err != nil {
		panic("passkeytest: ModifyClientData: " + err.Error())
	}
	fn(m)
	setField(resp, "clientDataJSON", encodeOrdered(keys, m))
	return join(top, resp)
}

// ModifyAuthenticatorData calls fn with a copy of the authenticator data and
// puts fn's result back: into response.authenticatorData of an assertion, or
// into both the attestation object and response.authenticatorData of a
// registration. The layout (WebAuthn L3 §6.1) is rpIdHash [0:32], flags [32]
// (UP 0x01, UV 0x04, BE 0x08, BS 0x10, AT 0x40), signCount [33:37] big
// endian, then attested credential data on registration.
func ModifyAuthenticatorData(credentialJSON []byte, fn func(authData []byte) []byte) []byte {
	top, resp := mustSplit(credentialJSON)
	if _, ok := resp["attestationObject"]; !ok {
		setField(resp, "authenticatorData", fn(mustField(resp, "authenticatorData")))
		return join(top, resp)
	}
	obj := mustAttestationObject(resp)
	obj.AuthData = fn(obj.AuthData)
	setField(resp, "attestationObject", mustEncodeCBOR(obj))
	setField(resp, "authenticatorData", obj.AuthData)
	return join(top, resp)
}

// TamperSignature flips the lowest bit of the last byte of the signature: of
// response.signature in an assertion, of attStmt.sig in a registration with
// packed attestation. For ECDSA the DER encoding stays well-formed, so the
// relying party fails on the signature itself. It panics for "none"
// attestation, which has no signature.
func TamperSignature(credentialJSON []byte) []byte {
	top, resp := mustSplit(credentialJSON)
	if _, ok := resp["attestationObject"]; !ok {
		sig := mustField(resp, "signature")
		sig[len(sig)-1] ^= 1
		setField(resp, "signature", sig)
		return join(top, resp)
	}
	obj := mustAttestationObject(resp)
	var stmt map[string]any
	if err := cbor.Unmarshal(obj.AttStmt, &stmt); err != nil {
		panic("passkeytest: TamperSignature: " + err.Error())
	}
	sig, ok := stmt["sig"].([]byte)
	if !ok || len(sig) == 0 {
		panic("passkeytest: TamperSignature: attestation statement has no signature")
	}
	sig[len(sig)-1] ^= 1
	obj.AttStmt = mustEncodeCBOR(stmt)
	setField(resp, "attestationObject", mustEncodeCBOR(obj))
	return join(top, resp)
}

// Resign signs a (modified) response again with the key of the credential
// named by its rawId: response.signature of an assertion, attStmt.sig of a
// registration with packed attestation, over the response's current
// authenticator data and clientDataJSON. A registration with "none"
// attestation has no signature and is returned unchanged. The counter is not
// touched. Errors: ErrNoCredential if the credential is not held; another
// error if credentialJSON is malformed.
func (a *Authenticator) Resign(credentialJSON []byte) ([]byte, error) {
	top, resp, err := split(credentialJSON)
	if err != nil {
		return nil, err
	}
	var rawID string
	if err := json.Unmarshal(top["rawId"], &rawID); err != nil {
		return nil, fmt.Errorf("passkeytest: Resign: rawId: %w", err)
	}
	id, err := decodeB64(rawID)
	if err != nil {
		return nil, fmt.Errorf("passkeytest: Resign: rawId: %w", err)
	}
	clientData, err := field(resp, "clientDataJSON")
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	c := a.find(id)
	a.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("%w: Resign: credential %s not held", ErrNoCredential, rawID)
	}
	// c.key is never replaced, so signing outside the lock is safe.

	if _, ok := resp["attestationObject"]; !ok {
		authData, err := field(resp, "authenticatorData")
		if err != nil {
			return nil, err
		}
		sig, err := c.sign(authData, clientData)
		if err != nil {
			return nil, err
		}
		setField(resp, "signature", sig)
		return join(top, resp), nil
	}
	obj, err := attestationObjectOf(resp)
	if err != nil {
		return nil, err
	}
	if obj.Fmt != AttestationPacked {
		return credentialJSON, nil
	}
	sig, err := c.sign(obj.AuthData, clientData)
	if err != nil {
		return nil, err
	}
	stmt, err := a.enc.Marshal(map[string]any{"alg": int64(c.alg), "sig": sig})
	if err != nil {
		return nil, err
	}
	obj.AttStmt = stmt
	enc, err := a.enc.Marshal(obj)
	if err != nil {
		return nil, err
	}
	setField(resp, "attestationObject", enc)
	return join(top, resp), nil
}

// split decodes a credential JSON into its top-level members and the members
// of its response.
func split(credentialJSON []byte) (top, resp map[string]json.RawMessage, err error) {
	if err := json.Unmarshal(credentialJSON, &top); err != nil {
		return nil, nil, fmt.Errorf("passkeytest: credential JSON: %w", err)
	}
	if err := json.Unmarshal(top["response"], &resp); err != nil || resp == nil {
		return nil, nil, errors.New("passkeytest: credential JSON has no response object")
	}
	return top, resp, nil
}

func mustSplit(credentialJSON []byte) (top, resp map[string]json.RawMessage) {
	top, resp, err := split(credentialJSON)
	if err != nil {
		panic(err)
	}
	return top, resp
}

func join(top, resp map[string]json.RawMessage) []byte {
	top["response"] = encodeJSON(resp)
	return encodeJSON(top)
}

// field decodes the base64url member name of resp.
func field(resp map[string]json.RawMessage, name string) ([]byte, error) {
	var s string
	if err := json.Unmarshal(resp[name], &s); err != nil {
		return nil, fmt.Errorf("passkeytest: response.%s: %w", name, err)
	}
	b, err := decodeB64(s)
	if err != nil {
		return nil, fmt.Errorf("passkeytest: response.%s: %w", name, err)
	}
	return b, nil
}

func mustField(resp map[string]json.RawMessage, name string) []byte {
	b, err := field(resp, name)
	if err != nil {
		panic(err)
	}
	return b
}

func setField(resp map[string]json.RawMessage, name string, b []byte) {
	resp[name] = encodeJSON(b64(b))
}

func attestationObjectOf(resp map[string]json.RawMessage) (*rawAttestationObject, error) {
	raw, err := field(resp, "attestationObject")
	if err != nil {
		return nil, err
	}
	var obj rawAttestationObject
	if err := cbor.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("passkeytest: attestationObject: %w", err)
	}
	return &obj, nil
}

func mustAttestationObject(resp map[string]json.RawMessage) *rawAttestationObject {
	obj, err := attestationObjectOf(resp)
	if err != nil {
		panic(err)
	}
	return obj
}

// cborEncMode is CTAP2 canonical CBOR, as in New.
func cborEncMode() cbor.EncMode {
	enc, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic("passkeytest: " + err.Error())
	}
	return enc
}

func mustEncodeCBOR(v any) []byte {
	b, err := cborEncMode().Marshal(v)
	if err != nil {
		panic("passkeytest: encode CBOR: " + err.Error())
	}
	return b
}

// decodeOrdered decodes a JSON object, remembering the order of its members.
func decodeOrdered(raw []byte) ([]string, map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("clientDataJSON is not a JSON object")
	}
	var keys []string
	m := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key := tok.(string) // object keys are always strings
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := m[key]; !dup {
			keys = append(keys, key)
		}
		m[key] = v
	}
	return keys, m, nil
}

// encodeOrdered encodes m as a JSON object: members named in keys first, in
// that order, then members fn added, sorted.
func encodeOrdered(keys []string, m map[string]any) []byte {
	var added []string
	for k := range m {
		if !slices.Contains(keys, k) {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for _, k := range slices.Concat(keys, added) {
		v, ok := m[k]
		if !ok {
			continue // fn deleted it
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.Write(encodeJSON(k))
		buf.WriteByte(':')
		buf.Write(encodeJSON(v))
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
