package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBodyBytes caps every request body.
const maxBodyBytes = 1 << 20

// decodeJSON reads r's body into v. The body is capped at 1 MiB; an empty
// body decodes as {} so that the handler's validation names the missing
// fields; malformed JSON, a wrong type or trailing data is a 400 naming the
// problem. Unknown fields are ignored, as the browser SDK sends some.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}
		}
		return badRequest("could not read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		// Browsers send text/plain, form and header-less bodies cross-site
		// without a CORS preflight; only JSON proves the caller could set
		// headers, which keeps cookie sessions safe from forged requests.
		return &httpError{status: http.StatusUnsupportedMediaType, msg: "Content-Type must be application/json"}
	}
	if hasNULEscape(body) {
		// No column of any engine takes NUL, and no legitimate value has one.
		return badRequest("strings must not contain the NUL character (\\u0000)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badRequest(describeJSONError(err))
	}
	if dec.More() {
		return badRequest("request body must contain a single JSON value")
	}
	return nil
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at offset %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end of input"
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("request body must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("%s must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	default:
		return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
	}
}

func jsonKind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint32", "uint64", "float64":
		return "a number"
	default:
		return "a " + k
	}
}

// writeJSON writes v with the given status. v == nil writes the JSON null
// the reference answers with on some endpoints.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// hasNULEscape reports whether JSON text spells a NUL character: a \u0000
// escape that is not itself an escaped backslash followed by "u0000".
func hasNULEscape(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		j += i
		slashes := 0
		for k := j - 1; k >= 0 && body[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 1 {
			return true
		}
		i = j + 5
	}
}

// isJSONContentType reports whether a Content-Type header names JSON
// (application/json or application/*+json, any parameters).
func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}
