package main

// The YAML of a build, written with a fraction of the work kustomize spends on it.
//
// kustomize writes a resource (resource.(*Resource).AsYAML) by serialising its yaml.v3 node to
// text, decoding that text with yaml.v3 into Go maps, encoding those as JSON, decoding the JSON
// with yaml.v2 and encoding the result with yaml.v2 (sigs.k8s.io/yaml.JSONToYAML). Only the last
// step shapes the bytes; everything before it decides which Go values reach it. For the shapes
// manifests have, those values follow from the node alone: strings, bools, nil, ints and nested
// maps and slices. fastYAML builds them with one walk of the node and hands them to the same
// yaml.v2 Marshal. Anything whose value after the round trip is not certain from the rules below
// (floats, big or non-decimal numbers, timestamps, explicit or unknown tags, anchors, aliases,
// merge keys, keys that are not strings, duplicate or long keys, empty keys or flow values written
// plain, folded scalars, blocks starting with a tab, characters the text or JSON steps would
// change, comments other than above a key of a block mapping) makes the resource go through
// kustomize's own AsYAML instead. yaml_test.go compares both writers on a corpus of awkward
// resources, on random nodes, and on every overlay of the repository.
//
// The rules, from the sources of go.yaml.in/yaml/v3 v3.0.3 (encode.go, emitterc.go, resolve.go,
// decode.go), encoding/json and go.yaml.in/yaml/v2 v2.4.2:
//   - The encoder drops a scalar's tag when it is !!str and the style is quoted or block, or
//     when the tag is what the value resolves to plainly; a !!str whose value resolves otherwise
//     is double-quoted. Any other tag is written and read back: not handled here.
//   - A scalar written quoted or as a block (also any value with a line break) reads back as the
//     string; a plain one reads back as resolve(value), which plainResolve mirrors.
//   - The emitter quotes a plain scalar only when it cannot be plain; every value that resolves
//     to a bool, null or int here is a plain-safe token, and quoting a string keeps a string.
//     The exception is the empty value: plain (null) in a block, '' in a flow collection or a key.
//   - yaml.v3 decodes ints that fit into int, mappings with string keys into
//     map[string]interface{} (a duplicate key is an error); JSON writes those as digits,
//     true/false, null, strings, objects, arrays; yaml.v2 reads them back as int, bool, nil,
//     string, map[interface{}]interface{}, []interface{}: the types built here.
//   - JSON escapes control characters, U+2028 and U+2029 but writes other characters as they
//     are; yaml.v2 rejects DEL, C1 controls, U+FFFE and U+FFFF, and folds U+0085 as a line break.
//     Strings here hold only tab, line feed and printable characters other than U+FEFF.
//   - Comments are dropped, but yaml.v3 places some where its own reader then fails (a line
//     comment after a key whose value is a flow collection); a head comment above a key of a block
//     mapping, where a file's header lands, is always written on lines of its own.

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
)

// asYAML writes m exactly as m.AsYaml() does: each resource's YAML, separated by "---\n".
func asYAML(m resmap.ResMap) ([]byte, error) {
	var buf bytes.Buffer
	for i, res := range m.Resources() {
		out, ok := fastYAML(res)
		if !ok {
			var err error
			if out, err = res.AsYAML(); err != nil {
				// kustomize's own call, for its error worded as the CLI words it.
				return m.AsYaml()
			}
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(out)
	}
	return buf.Bytes(), nil
}

// fastYAML returns res.AsYAML() and true, or false when the value is not one it can vouch for.
func fastYAML(res *resource.Resource) ([]byte, bool) {
	n := res.Document()
	// kustomize keeps a resource as the document node its reader made; yaml.v3 writes that node
	// as its one mapping, with the document's comments around it.
	if n != nil && n.Kind == yaml3.DocumentNode {
		if len(n.Content) != 1 || n.Anchor != "" || n.Tag != "" || n.LineComment != "" || n.FootComment != "" {
			return nil, false
		}
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml3.MappingNode {
		return nil, false
	}
	v, ok := plainValue(n, false, 0)
	if !ok {
		return nil, false
	}
	out, err := yaml2.Marshal(v)
	if err != nil {
		return nil, false
	}
	return out, true
}

// maxDepth bounds the walk; manifests nest a few dozen levels at most.
const maxDepth = 500

// maxKeyBytes keeps keys short enough to be simple keys for both yaml.v3 (128 characters) and
// yaml.v2 reading JSON (1024).
const maxKeyBytes = 128

// plainValue is the Go value n becomes after the text, yaml.v3, JSON and yaml.v2 round trip.
// inFlow says whether n sits inside a flow collection.
func plainValue(n *yaml3.Node, inFlow bool, depth int) (interface{}, bool) {
	// Comments are dropped by the round trip, but some placements make yaml.v3 write text it
	// cannot read back (a line comment after a key whose value is a flow collection): only a
	// head comment above a key of a block mapping is taken, the place a file's header lands.
	if depth > maxDepth || n.Anchor != "" || n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		return nil, false
	}
	switch n.Kind {
	case yaml3.MappingNode:
		if !collectionTagDropped(n, "!!map") || len(n.Content)%2 != 0 {
			return nil, false
		}
		flow := inFlow || n.Style&yaml3.FlowStyle != 0
		m := make(map[interface{}]interface{}, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			kn := n.Content[i]
			if kn.Kind != yaml3.ScalarNode || kn.Anchor != "" || kn.LineComment != "" || kn.FootComment != "" || flow && kn.HeadComment != "" {
				return nil, false
			}
			k, ok := scalarValue(kn)
			if !ok {
				return nil, false
			}
			ks, isString := k.(string)
			// "<<" is a merge key to yaml.v3's decoder; a duplicate key fails its decode.
			if !isString || ks == "<<" || len(ks) > maxKeyBytes || strings.ContainsAny(ks, "\n\t") {
				return nil, false
			}
			if _, dup := m[ks]; dup {
				return nil, false
			}
			v, ok := plainValue(n.Content[i+1], flow, depth+1)
			if !ok {
				return nil, false
			}
			m[ks] = v
		}
		return m, true
	case yaml3.SequenceNode:
		if !collectionTagDropped(n, "!!seq") {
			return nil, false
		}
		flow := inFlow || n.Style&yaml3.FlowStyle != 0
		s := make([]interface{}, len(n.Content))
		for i, c := range n.Content {
			v, ok := plainValue(c, flow, depth+1)
			if !ok {
				return nil, false
			}
			s[i] = v
		}
		return s, true
	case yaml3.ScalarNode:
		if n.Value == "" && !inFlow && n.Style&(yaml3.SingleQuotedStyle|yaml3.DoubleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle|yaml3.TaggedStyle) == 0 && (n.Tag == "" || shortTag(n.Tag) == "!!null") {
			// An empty plain value in a block collection is written as nothing and read as null (in
			// a flow collection the emitter writes '' instead).
			return nil, true
		}
		return scalarValue(n)
	}
	// Aliases, nested documents and zero nodes.
	return nil, false
}

// collectionTagDropped says whether yaml.v3's encoder writes the collection without a tag.
func collectionTagDropped(n *yaml3.Node, implied string) bool {
	return n.Tag == "" || n.Style&yaml3.TaggedStyle == 0 && shortTag(n.Tag) == implied
}

// scalarValue is what a scalar node becomes: yaml.v3's encoder (encoder.node) decides the tag and
// style it is written with, and its decoder reads that back.
func scalarValue(n *yaml3.Node) (interface{}, bool) {
	v := n.Value
	// Folded scalars are refolded by the emitter: left to kustomize.
	if !safeText(v) || n.Style&yaml3.FoldedStyle != 0 {
		return nil, false
	}
	// The encoder's choice of style: quoted if asked, else a literal block if asked or if the value
	// has a line break, else plain (or double-quoted, for a !!str that would not read back as one).
	quoted := n.Style&(yaml3.SingleQuotedStyle|yaml3.DoubleQuotedStyle) != 0
	block := !quoted && (n.Style&yaml3.LiteralStyle != 0 || strings.Contains(v, "\n"))
	if block && strings.HasPrefix(v, "\t") {
		// A block whose first line starts with a tab, which yaml.v3 cannot read back ("found a tab
		// character where an indentation space is expected").
		return nil, false
	}
	if n.Tag != "" {
		if n.Style&yaml3.TaggedStyle != 0 {
			return nil, false
		}
		stag := shortTag(n.Tag)
		if stag == "!!str" {
			// Dropped with a quoted or block style, dropped because the value resolves to a string
			// plainly, or dropped with forced double quotes: a string in every case.
			return v, true
		}
		if rtag, _, known := plainResolve(v); !known || rtag != stag {
			// The tag would be written out, or it is not certain that it would not.
			return nil, false
		}
	}
	if quoted || block {
		return v, true
	}
	if v == "" {
		// A key or a value in a flow collection is written as ''; a value in a block is handled by
		// plainValue.
		return nil, false
	}
	_, val, known := plainResolve(v)
	if !known {
		return nil, false
	}
	return val, true
}

// shortTag is yaml.v3's shortTag: "tag:yaml.org,2002:x" is "!!x".
func shortTag(tag string) string {
	if rest, ok := strings.CutPrefix(tag, "tag:yaml.org,2002:"); ok {
		return "!!" + rest
	}
	return tag
}

// decimalInt is the one spelling of an integer handled here: no sign but minus, no leading zero,
// no underscores or base prefix; one that does not fit an int64 is left to kustomize.
var decimalInt = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,18})$`)

// yamlStyleFloat is yaml.v3's own pattern for floats (resolve.go).
var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// plainResolve mirrors yaml.v3's resolve("", in) for a plain scalar, for the outcomes handled
// here: a string, a bool, null or a decimal int. known is false for everything else (floats,
// other ints, timestamps), and also for some strings, where telling them from those is not worth
// the code: that only sends the resource the slow way.
func plainResolve(in string) (tag string, value interface{}, known bool) {
	if in == "" {
		return "!!null", nil, true
	}
	c := in[0]
	switch {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		// resolve's 'S' and 'D' hints: a map entry (+.inf, -.inf), a timestamp, an int or a float.
		if decimalInt.MatchString(in) {
			i, err := strconv.ParseInt(in, 10, 64)
			if err != nil {
				// Beyond int64: yaml.v3 makes it a uint64 or a float.
				return "", nil, false
			}
			return "!!int", int(i), true
		}
		if maybeNumberOrTime(in) {
			return "", nil, false
		}
		return "!!str", in, true
	case c == '.':
		// The '.' hint: .inf and .nan, or a float.
		lower := strings.ToLower(in)
		if _, err := strconv.ParseFloat(in, 64); err == nil || lower == ".inf" || lower == ".nan" {
			return "", nil, false
		}
		return "!!str", in, true
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		// The 'M' hint: only the map of resolve.go.
		switch in {
		case "true", "True", "TRUE":
			return "!!bool", true, true
		case "false", "False", "FALSE":
			return "!!bool", false, true
		case "~", "null", "Null", "NULL":
			return "!!null", nil, true
		}
		return "!!str", in, true
	}
	// No hint: resolve returns the string untouched.
	return "!!str", in, true
}

// maybeNumberOrTime over-approximates when resolve's 'S'/'D' branch returns anything but a string:
// a +/-.inf or .nan spelling, a timestamp (four digits and a dash first), an int or uint of any
// base (underscores ignored), a float, or a 0b/0o prefix.
func maybeNumberOrTime(in string) bool {
	if strings.Contains(strings.ToLower(in), ".inf") || strings.Contains(strings.ToLower(in), ".nan") {
		return true
	}
	if len(in) > 4 && in[4] == '-' && isDigits(in[:4]) {
		return true
	}
	plain := strings.ReplaceAll(in, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return true
	}
	if yamlStyleFloat.MatchString(plain) {
		return true
	}
	for _, p := range []string{"0b", "-0b", "0o", "-0o"} {
		if strings.HasPrefix(plain, p) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// safeText says whether s is valid UTF-8 made only of tab, line feed and characters that both
// YAML libraries and JSON carry unchanged (see the header).
func safeText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		switch {
		case r >= 0xA0 && r <= 0xD7FF && r != 0x2028 && r != 0x2029:
		case r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
		i += size
	}
	return true
}
