package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the YAML file at path and parses it with Parse. A read failure wraps the os error,
// so errors.Is(err, fs.ErrNotExist) tells a missing file apart (the CLI tolerates a missing
// default file, as Hanko does).
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes Hanko's config.yaml on top of Default. Keys absent from data keep their
// defaults; lists given in data replace the default list. Empty input (or only comments)
// yields Default().
//
// Unknown keys are errors ("line 3: unknown key \"account.foo\""), as are values of the wrong
// type; all problems are reported together, joined with errors.Join. Ports may be YAML integers
// or strings; durations are Go duration strings. Only the first YAML document is read.
//
// On error Parse returns the zero Config. It neither post-processes nor validates: call
// ApplyEnv, PostProcess and Validate next.
func Parse(data []byte) (Config, error) {
	c, err := parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// parse is Parse without the "config: " prefix on errors.
func parse(data []byte) (Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	if err == nil || errors.Is(err, io.EOF) { // io.EOF: no document at all
		return c, nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return Config{}, err // syntax error, excessive aliasing, ...
	}

	// The decoder names Go types; walk the document to name config keys instead.
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return Config{}, err
	}
	w := keyWalker{valueKeys: map[int]string{}, unknownLines: map[int]bool{}, seen: map[walkKey]bool{}}
	w.walk(&root, reflect.TypeFor[Config](), "", 0)

	msgs := w.unknown
	for _, m := range te.Errors {
		line, rest, ok := splitLine(m)
		switch {
		case !ok:
		case strings.Contains(rest, " not found in type ") && w.unknownLines[line]:
			continue // already reported with its full key path
		case w.valueKeys[line] != "":
			m = fmt.Sprintf("line %d: %s: %s", line, w.valueKeys[line], rest)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 { // cannot happen, but never turn a failure into success
		return Config{}, err
	}
	slices.SortStableFunc(msgs, func(a, b string) int { // file order reads best
		la, _, _ := splitLine(a)
		lb, _, _ := splitLine(b)
		return cmp.Compare(la, lb)
	})
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = errors.New(m)
	}
	return Config{}, errors.Join(errs...)
}

// splitLine splits yaml.v3's "line N: message".
func splitLine(m string) (int, string, bool) {
	head, rest, ok := strings.Cut(m, ": ")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(head, "line "))
	if err != nil || !strings.HasPrefix(head, "line ") {
		return 0, "", false
	}
	return n, rest, true
}

// keyWalker walks the YAML tree alongside the Config type. It finds unknown keys with their full
// dotted path (yaml.v3 only names the Go type) and remembers which key each line's value
// belongs to, to name the key in type errors.
type keyWalker struct {
	unknown      []string
	unknownLines map[int]bool
	valueKeys    map[int]string // line -> dotted key; "" when a line holds several values
	seen         map[walkKey]bool
}

// walkKey marks an alias target already walked as a given type, so aliases cannot make the
// walk exponential ("billion laughs").
type walkKey struct {
	n *yaml.Node
	t reflect.Type
}

// maxWalkDepth bounds recursion through aliases; Config is far shallower.
const maxWalkDepth = 64

func (w *keyWalker) walk(n *yaml.Node, t reflect.Type, path string, depth int) {
	if n == nil || depth > maxWalkDepth {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c, t, path, depth+1)
		}
	case yaml.AliasNode:
		if k := (walkKey{n.Alias, t}); !w.seen[k] {
			w.seen[k] = true
			w.walk(n.Alias, t, path, depth+1)
		}
	case yaml.MappingNode:
		if t.Kind() == reflect.Map { // third_party.custom_providers: keys are names
			for i := 0; i+1 < len(n.Content); i += 2 {
				w.walk(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value), depth+1)
			}
			return
		}
		if t.Kind() != reflect.Struct || t == reflect.TypeFor[Duration]() {
			w.note(n.Line, path) // a type error the decoder reports
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" || (k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag != "!!str") {
				w.walkMerge(val, t, path, depth+1)
				continue
			}
			key := joinKey(path, k.Value)
			f, ok := fieldByYAMLKey(t, k.Value)
			if !ok {
				w.unknown = append(w.unknown, fmt.Sprintf("line %d: unknown key %q", k.Line, key))
				w.unknownLines[k.Line] = true
				continue
			}
			w.walk(val, f.Type, key, depth+1)
		}
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			w.note(n.Line, path)
			return
		}
		for i, c := range n.Content {
			w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case yaml.ScalarNode:
		w.note(n.Line, path)
	}
}

// note records that the value on line belongs to key. Values of several keys on one line (flow
// style) are attributed to their common parent key.
func (w *keyWalker) note(line int, key string) {
	if prev, seen := w.valueKeys[line]; seen {
		key = commonKey(prev, key)
	}
	w.valueKeys[line] = key
}

// commonKey returns the longest dotted key that is a prefix of both a and b
// ("a.origins[0]", "a.origins[1]" -> "a.origins").
func commonKey(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	boundary := func(s string) bool { return n == len(s) || s[n] == '.' || s[n] == '[' }
	if boundary(a) && boundary(b) {
		return a[:n]
	}
	if i := strings.LastIndexAny(a[:n], ".["); i >= 0 {
		return a[:i]
	}
	return ""
}

// walkMerge handles a "<<" merge key, whose value is a mapping or a list of mappings.
func (w *keyWalker) walkMerge(n *yaml.Node, t reflect.Type, path string, depth int) {
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			w.walk(c, t, path, depth+1)
		}
		return
	}
	w.walk(n, t, path, depth+1)
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlKey returns the YAML key of a struct field, or "" if the field is not in the YAML form.
func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name) // yaml.v3's rule for untagged fields
	}
	return name
}

func fieldByYAMLKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
