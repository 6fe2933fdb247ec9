package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	sigsyaml "sigs.k8s.io/yaml"
)

// mayDifferPattern is what mayDiffer finds, as a regular expression: the specification of the
// one-pass scanner, which is many times faster on documents that hold none of it.
var mayDifferPattern = regexp.MustCompile(`(?i)\b(y|n|yes|no|on|off)\b|\d{4}-\d\d?-\d\d?|(^|[\s:\[,{])[-+]?0[0-9ob]|\d_|!|<<|\x{85}|\x{2028}|\x{2029}|\.(inf|nan)\b`)

func TestMayDifferAgreesWithItsPattern(t *testing.T) {
	fixed := []string{
		"", "y", "Yes", "on", "OFF", "no:", "a: n", "ny", "yes_", "app-0024", "a: 012", "a: -012", "a: +0o7",
		"[012]", "{a: 0b1}", "012", "-012", "a-012", "x:012", "2024-1-2", "12024-12-31", "2024-12-", "1:2", "1:60",
		"1_000", "!tag", "<<: *a", "a\u0085b", "a\u2028b", "a\u2029b", ".inf", ".NaN", ".infx", "a.nan b", "sha256:0123",
		"name: bench-app-0024\n  replicas: 3\n", "image: repo:0a1", "\t0o1", "\f07",
	}
	for _, s := range fixed {
		if got, want := mayDiffer([]byte(s)), mayDifferPattern.MatchString(s); got != want {
			t.Errorf("%q: mayDiffer says %v, the pattern %v", s, got, want)
		}
	}
	alphabet := []string{"y", "n", "e", "s", "o", "f", "O", "N", "Y", "b", "B", "i", "a", "x", "0", "1", "2", "5", "9", "-", "+", ":", "_", ".", " ", "\n", "\t", "[", "{", ",", "!", "<", "\u0085", "\u2028", "\xe2", "\x80"}
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 300000; n++ {
		b := []byte{}
		for k := r.Intn(12); k >= 0; k-- {
			b = append(b, alphabet[r.Intn(len(alphabet))]...)
		}
		if got, want := mayDiffer(b), mayDifferPattern.Match(b); got != want {
			t.Fatalf("%q: mayDiffer says %v, the pattern %v", b, got, want)
		}
	}
}

// mayDiffer does not look for base 60 because both readers take it as text: were that to change
// with a new module version, this fails and the pattern must look for it again.
func TestBase60IsTextToBoth(t *testing.T) {
	doc := []byte("a: 1:20\nb: -1:30:45\nc: 190:20:30.15\nd: [1:20, 0:59]\n")
	j, err := sigsyaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"1:20","b":"-1:30:45","c":"190:20:30.15","d":["1:20","0:59"]}`; string(j) != want {
		t.Errorf("kubectl's reading: %s, want %s", j, want)
	}
	for _, d := range compare12(doc, j) {
		t.Errorf("YAML 1.1 and 1.2 readings differ at %v: %v and %v", d.Path, d.Kubectl, d.Yaml12)
	}
}

// A document that is one object is answered with the JSON it was decoded from: a reader of the
// answer (JSON.parse, which reads every number as a double) must get the value the decoded map gives.
func TestRawObjectIsTheDecodedValue(t *testing.T) {
	docs := []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: \"<&>\", b: \"\\u2028\"}\n",
		"apiVersion: v1\nkind: X\nmetadata: {name: x}\nn: 18446744073709551615\nm: 9007199254740993\nf: 0.1\ng: 1e21\nh: 3.0\ni: -1.5\n",
		"apiVersion: v1\nkind: X\nmetadata: {name: x}\nz: -0.0\n",
	}
	for _, d := range docs {
		var raw, maps chunk
		a, err := decodeYAMLChunk([]byte(d), &raw, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := decodeYAMLChunk([]byte(d), &maps, true)
		if err != nil {
			t.Fatal(err)
		}
		var x, y interface{}
		ja, _ := json.Marshal(a[0].Object)
		jb, _ := json.Marshal(b[0].Object)
		if json.Unmarshal(ja, &x) != nil || json.Unmarshal(jb, &y) != nil || !reflect.DeepEqual(x, y) {
			t.Errorf("%q: %s, want %s", d, ja, jb)
		}
		// -0 and numbers that may be past 2^53 are left to the map, which holds kubectl's value.
		if _, isRaw := a[0].Object.(json.RawMessage); isRaw == (strings.Contains(d, "-0.0") || longDigits([]byte(d))) {
			t.Errorf("%q: given as JSON %v", d, isRaw)
		}
	}
}

// A chunk seen again, at another offset of another frame, is answered from what the first reading
// found, every finding included: the answers are those of two readings.
func TestRepeatedChunkIsAnsweredAsFirstRead(t *testing.T) {
	docs := []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: x, a: y}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yes12}\ndata: {on: yes}\n",
		"apiVersion: v1\nkind: List\nitems:\n- metadata: {name: inferred}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: [not, a, map]\n",
	}
	for _, d := range docs {
		first := read([]byte(d))
		again := read([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: before}\n---\n" + d))
		if len(again.Chunks) != 2 {
			t.Fatalf("%q: %d chunks, want 2", d, len(again.Chunks))
		}
		a, _ := json.Marshal(first.Chunks[0])
		second := again.Chunks[1]
		second.Offset = 0
		b, _ := json.Marshal(second)
		if string(a) != string(b) {
			t.Errorf("%q read again: %s, want %s", d, b, a)
		}
		if !strings.Contains(string(a), `"duplicate"`) && !strings.Contains(string(a), `"yaml12"`) &&
			!strings.Contains(string(a), `"inferred"`) && !strings.Contains(string(a), `"error"`) {
			t.Errorf("%q: no finding to carry over: %s", d, a)
		}
	}
}

// kubectlText skips kubectl's transform for valid UTF-8 without a byte order mark: it must give
// what the transform gives for every input, byte order marks and broken sequences included.
func TestKubectlTextIsKubectlsTransform(t *testing.T) {
	pieces := [][]byte{
		{0xef, 0xbb, 0xbf}, {0xff, 0xfe}, {0xfe, 0xff}, {0xff}, {0xc3}, {0xc3, 0xbc}, {0xe2, 0x80}, {0xe2, 0x80, 0xa8},
		{0xed, 0xa0, 0x80}, {0xf0, 0x9f, 0x98, 0x80}, {0}, []byte("a"), []byte(":"), []byte("\n"), []byte("---\n"), []byte("\u00fc"),
	}
	r := rand.New(rand.NewSource(2))
	for n := 0; n < 100000; n++ {
		var b []byte
		for k := r.Intn(8); k >= 0; k-- {
			b = append(b, pieces[r.Intn(len(pieces))]...)
		}
		want, err := io.ReadAll(transform.NewReader(bytes.NewReader(b), unicode.BOMOverride(unicode.UTF8.NewDecoder())))
		if err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		got, err := kubectlText(b)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: kubectlText gives %q (%v), the transform %q", b, got, err, want)
		}
	}
}

// A frame kubectl decodes to other bytes is answered with those bytes, which the offsets index,
// and with the objects of every document: a UTF-16 file's second document is not lost.
func TestUTF16FrameIsReadAsKubectlDecodesIt(t *testing.T) {
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n"
	le := []byte{0xff, 0xfe}
	for _, u := range text {
		le = append(le, byte(u), byte(u>>8))
	}
	res := read(le)
	if res.Text == nil || *res.Text != text {
		t.Fatalf("text %v, want %q", res.Text, text)
	}
	if len(res.Chunks) != 2 || !strings.HasPrefix(text[res.Chunks[1].Offset:], "apiVersion: v1\nkind: Pod") {
		t.Fatalf("chunks %+v", res.Chunks)
	}
	// kustomize splits the bytes on `---` lines, which UTF-16 does not hold as bytes: it reads one object.
	if k := res.Kustomize; k == nil || k.Objects != 1 || k.Kubectl != 2 || k.Index != 1 {
		t.Errorf("kustomize %+v, want 1 of 2 objects read", k)
	}
	if plain := read([]byte(text)); plain.Text != nil || plain.Kustomize != nil {
		t.Errorf("UTF-8 answered with text %v, kustomize %+v", plain.Text, plain.Kustomize)
	}
}

// An object holding an integer past 2^53 is answered with the text kubectl sends for it as well:
// int64 values to the last digit, larger ones as the float64 kubectl decodes them to. A list's
// items and JSON documents too; an object without a long number has no such text.
func TestExactTextKeepsEveryDigitKubectlSends(t *testing.T) {
	const meta = "apiVersion: v1\nkind: X\nmetadata: {name: x}\n"
	cases := []struct{ doc, want string }{
		{meta + "a: 9007199254740993\n", `{"a":9007199254740993,"apiVersion":"v1","kind":"X","metadata":{"name":"x"}}`},
		{meta + "a: 9223372036854775807\nb: -9223372036854775808\n", `{"a":9223372036854775807,"apiVersion":"v1","b":-9223372036854775808,"kind":"X","metadata":{"name":"x"}}`},
		{meta + "a: 9223372036854775809\n", `{"a":9223372036854776000,"apiVersion":"v1","kind":"X","metadata":{"name":"x"}}`},
		{meta + "a: 18446744073709551615\n", `{"a":18446744073709552000,"apiVersion":"v1","kind":"X","metadata":{"name":"x"}}`},
		{meta + "a: 9007199254740992\nb: 1.5\n", `{"a":9007199254740992,"apiVersion":"v1","b":1.5,"kind":"X","metadata":{"name":"x"}}`},
		{meta + "a: 900719925474099\nb: 1e300\n", ``},
		{meta + "a: 0x7FFFFFFFFFFFFFFF\n", `{"a":9223372036854775807,"apiVersion":"v1","kind":"X","metadata":{"name":"x"}}`},
		{meta + "image: app@sha256:b85f8b5633085558b85f8b563308555812345678901234567a\nb: 1.1234567890123456789\nc: x1234567890123456789\n", ``},
		{"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: X, metadata: {name: x}, a: 9007199254740993}\n- {apiVersion: v1, kind: X, metadata: {name: z}, a: 1}\n",
			`{"a":9007199254740993,"apiVersion":"v1","kind":"X","metadata":{"name":"x"}}`},
		{`{"apiVersion": "v1", "kind": "X", "metadata": {"name": "x"}, "a": 9007199254740993}`, `{"a":9007199254740993,"apiVersion":"v1","kind":"X","metadata":{"name":"x"}}`},
	}
	for _, c := range cases {
		r := read([]byte(c.doc))
		if len(r.Chunks) != 1 || r.Chunks[0].Error != "" || len(r.Chunks[0].Objects) == 0 {
			t.Fatalf("%q: %+v", c.doc, r)
		}
		first := r.Chunks[0].Objects[0]
		if first.JSON != c.want {
			t.Errorf("%q: exact text %s, want %s", c.doc, first.JSON, c.want)
		}
		for _, o := range r.Chunks[0].Objects[1:] {
			if o.JSON != "" {
				t.Errorf("%q: item %d has an exact text: %s", c.doc, o.Item, o.JSON)
			}
		}
	}
}

// A key written in a mapping overrides the one `<<` brings in, and the first of `<<: [*a, *b]`
// wins: neither is a key set twice. A key written twice in one mapping is, merge or none, with
// the line and words of the strict reading.
func TestMergeOverridesAreNotDuplicates(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"a: &l {app: web, tier: fe}\nb:\n  <<: *l\n  tier: pod\n", ""},
		{"a: &l {app: web, tier: fe}\nb:\n  c:\n    d:\n      <<: *l\n      tier: pod\n      app: x\n", ""},
		{"a: &l {app: web}\nm: &m {app: api, z: 1}\nb:\n  <<: [*l, *m]\n  z: 2\n", ""},
		{"a: &l {app: web}\nb:\n  <<: *l\n  app: x\n  app: y\n", "yaml: unmarshal errors:\n  line 5: key \"app\" already set in map"},
		{"a: &l {app: web, app: api}\nb:\n  <<: *l\n", "yaml: unmarshal errors:\n  line 1: key \"app\" already set in map"},
		{"a: &l {x: 1}\nb:\n  <<: *l\n  yes: 1\n  true: 2\n", "yaml: unmarshal errors:\n  line 5: key true already set in map"},
		{"a: &l {x: 1}\nb:\n  <<: *l\n  \"<<\": 1\n  '<<': 2\n", "yaml: unmarshal errors:\n  line 5: key \"<<\" already set in map"},
		{"a: 1\na: 2\n", "yaml: unmarshal errors:\n  line 2: key \"a\" already set in map"},
	}
	for _, c := range cases {
		_, strictErr := sigsyaml.YAMLToJSONStrict([]byte(c.doc))
		if strictErr == nil {
			t.Fatalf("%q: the strict reading finds nothing: the case tests nothing", c.doc)
		}
		if got := duplicates([]byte(c.doc), strictErr); got != c.want {
			t.Errorf("%q: got %q, want %q", c.doc, got, c.want)
		}
	}
}

// Where no merge is at stake, the mappings' own reading gives the strict reading's error word for
// word (a `<<` in a comment makes it read them).
func TestDuplicatesWithoutMergeAreTheStrictReading(t *testing.T) {
	docs := []string{
		"# <<\nb:\n  c:\n    x: 1\n  c:\n    x: 2\n",
		"# <<\nb:\n  c: [1]\n  c:\n  - 2\n  d: {e: 1, e: 2}\n",
		"# <<\n1: a\n1: b\nyes: c\non: d\n\"x\": e\nx: f\n",
		"# <<\nitems:\n- a: 1\n  a: 2\n- b: 1\n  b: &x {c: 1}\n",
	}
	for _, d := range docs {
		_, strictErr := sigsyaml.YAMLToJSONStrict([]byte(d))
		if strictErr == nil {
			t.Fatalf("%q: the strict reading finds nothing: the case tests nothing", d)
		}
		if got := duplicates([]byte(d), strictErr); got != strictErr.Error() {
			t.Errorf("%q: got %q, the strict reading %q", d, got, strictErr.Error())
		}
	}
}
