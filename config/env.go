package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ApplyEnv overrides c with environment variables named as Hanko's envconfig names them: the
// YAML key path upper-cased and joined by "_" (session.lifespan -> SESSION_LIFESPAN,
// third_party.providers.google.client_id -> THIRD_PARTY_PROVIDERS_GOOGLE_CLIENT_ID). Names are
// derived from the yaml tags, so every key has one. Values are parsed by the field's type:
//
//   - strings are taken verbatim (an empty value sets "");
//   - booleans use strconv.ParseBool (true, false, 1, 0, ...);
//   - integers are decimal; durations are Go durations ("1h");
//   - string lists are comma-separated, items trimmed, empty items dropped
//     (SERVER_PUBLIC_CORS_ALLOW_ORIGINS=https://a.example,https://b.example);
//   - lists of objects (WEBHOOKS_HOOKS, SAML_IDENTITY_PROVIDERS) are JSON objects separated by
//     ";" (or one JSON array), using the same keys as YAML:
//     {"callback":"https://example.com/hook","events":["user"]};{"callback":...}.
//   - maps (THIRD_PARTY_CUSTOM_PROVIDERS) are one JSON object keyed by name:
//     {"acme":{"enabled":true,"issuer":"https://id.acme.test","client_id":"…","secret":"…"}}.
//
// A variable replaces the whole value, lists included. Values that do not parse are errors
// naming the variable; all of them are reported (errors.Join) and c is left unchanged.
// lookup is typically os.LookupEnv; the package never reads the process environment itself.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	next := *c // setters replace slices, never write into shared ones
	var errs []error
	walkEnv(reflect.ValueOf(&next).Elem(), "", func(name string, v reflect.Value) {
		raw, ok := lookup(name)
		if !ok {
			return
		}
		if err := setFromEnv(v, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	*c = next
	return nil
}

// walkEnv calls fn for every leaf field of the struct v with its environment variable name.
// Structs nest (their name becomes a prefix); every other type, including lists and Duration,
// is a leaf.
func walkEnv(v reflect.Value, prefix string, fn func(name string, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		key := yamlKey(t.Field(i))
		if key == "" {
			continue
		}
		name := prefix + strings.ToUpper(key)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			walkEnv(fv, name+"_", fn)
			continue
		}
		fn(name, fv)
	}
}

// envNames lists every environment variable ApplyEnv consults, in field order.
func envNames() []string {
	var names []string
	c := Default()
	walkEnv(reflect.ValueOf(&c).Elem(), "", func(name string, _ reflect.Value) {
		names = append(names, name)
	})
	return names
}

// setFromEnv parses raw according to v's type and stores it in v.
func setFromEnv(v reflect.Value, raw string) error {
	if v.Type() == reflect.TypeFor[Duration]() {
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid boolean %q (want true or false)", raw)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q", raw)
		}
		v.SetInt(n)
	case reflect.Slice:
		switch v.Type().Elem().Kind() {
		case reflect.String:
			items := []string{}
			for item := range strings.SplitSeq(raw, ",") {
				if item = strings.TrimSpace(item); item != "" {
					items = append(items, item)
				}
			}
			v.Set(reflect.ValueOf(items).Convert(v.Type()))
		case reflect.Struct:
			list, err := decodeJSONObjects(v.Type(), raw)
			if err != nil {
				return err
			}
			v.Set(list)
		default:
			return fmt.Errorf("unsupported list type %s", v.Type())
		}
	case reflect.Map: // third_party.custom_providers: one JSON object keyed by name
		m := reflect.New(v.Type())
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(m.Interface()); err != nil {
			return fmt.Errorf("invalid JSON object: %w", err)
		}
		if dec.More() {
			return errors.New("invalid JSON object: trailing data")
		}
		v.Set(m.Elem())
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// decodeJSONObjects decodes raw as JSON objects separated by ";" (Hanko's WEBHOOKS_HOOKS
// format) or as one JSON array, into a new slice of type t. Unknown keys are errors, as in YAML.
// Separators are found by the JSON decoder, so ";" inside a string value is fine.
func decodeJSONObjects(t reflect.Type, raw string) (reflect.Value, error) {
	out := reflect.MakeSlice(t, 0, 1)
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "[") {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		p := reflect.New(t)
		if err := dec.Decode(p.Interface()); err != nil {
			return reflect.Value{}, fmt.Errorf("invalid JSON list: %w", err)
		}
		if dec.More() {
			return reflect.Value{}, errors.New("invalid JSON list: trailing data")
		}
		if p.Elem().IsNil() {
			return out, nil
		}
		return p.Elem(), nil
	}
	for i := 1; ; i++ {
		s = strings.TrimLeft(s, " \t\r\n;")
		if s == "" {
			return out, nil
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		p := reflect.New(t.Elem())
		if err := dec.Decode(p.Interface()); err != nil {
			return reflect.Value{}, fmt.Errorf("entry %d: invalid JSON object: %w", i, err)
		}
		out = reflect.Append(out, p.Elem())
		s = strings.TrimLeft(s[dec.InputOffset():], " \t\r\n")
		if s != "" && s[0] != ';' {
			return reflect.Value{}, fmt.Errorf("entry %d: expected \";\" after the JSON object", i)
		}
	}
}
