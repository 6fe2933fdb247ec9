package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// tally counts the resources the fast writer handled and those it left to kustomize.
type tally struct{ fast, slow int }

// agree checks one resource: when fastYAML answers, kustomize's AsYAML must succeed with the same
// bytes. It reports whether the fast writer answered.
func agree(t *testing.T, where string, res *resource.Resource, n *tally) bool {
	t.Helper()
	want, wantErr := slowYAML(res)
	got, ok := fastYAML(res)
	if !ok {
		n.slow++
		return false
	}
	n.fast++
	switch {
	case wantErr != nil:
		t.Errorf("%s: the fast writer wrote\n%s\nwhere kustomize fails: %v", where, got, wantErr)
	case !bytes.Equal(got, want):
		t.Errorf("%s: the fast writer differs from kustomize\nfast:\n%s\nkustomize:\n%s", where, got, want)
	}
	return true
}

// slowYAML is kustomize's own writer; a panic in yaml.v3's encoder counts as its failure.
func slowYAML(res *resource.Resource) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return res.AsYAML()
}

// documents reads every YAML document of a file as a bare node, as written: anchors, aliases,
// tags and comments included (kustomize's reader would resolve the anchors).
func documents(t *testing.T, path string) []*yaml3.Node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []*yaml3.Node
	dec := yaml3.NewDecoder(f)
	for {
		var doc yaml3.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, doc.Content[0])
	}
}

func resourceOf(n *yaml3.Node) *resource.Resource {
	return &resource.Resource{RNode: *kyaml.NewRNode(n)}
}

func nameOf(n *yaml3.Node) string {
	name, _ := kyaml.NewRNode(n).GetString("metadata.name")
	return name
}

// corpusFiles are the awkward resources: those kustomize builds and those it would refuse.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/awkward/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			out = append(out, f)
		}
	}
	return append(out, "testdata/nodes-only.yaml", "testdata/unwritable.yaml")
}

// The documents the fast writer must take, and those it must leave to kustomize: the narrowness
// is part of what is tested, so that a change that widens or narrows it is a visible decision.
var expectFast = map[string]bool{
	"decimal-ints": true, "ints-of-other-shapes": false, "floats": false,
	"quoted-numbers": true, "booleans": true, "yaml11-booleans": true, "nulls": true,
	"empty-values": true, "empties": true, "timestamps": false, "quoted-timestamps": true,
	"explicit-tags": false, "explicit-str-tags": false, "timestamp-tag": false,
	"block-scalars": false, "whitespace": true, "unicode": true, "unicode-line-separators": false,
	"unicode-bom": false, "unicode-nel": false, "lookalikes": true,
	"header-comments": true, "comments": false, "comments-in-flow": false, "keys-needing-quotes": true, "long-key": false,
	"merge-key-quoted": false, "anchors": false, "merge-keys": false, "flow-style": true,
	"deep": true, "web": true, "widgets.strata.test": false,
	"duplicate-keys": false, "int-keys": false, "bool-and-null-keys": false, "complex-keys": false,
	"alias-key": false, "float-key": false, "merge-of-list": false, "infinities": false, "control-characters": false,
}

func TestFastYAMLAgreesWithKustomizeOnAwkwardResources(t *testing.T) {
	var docs, fields tally
	seen := map[string]bool{}
	for _, file := range corpusFiles(t) {
		for _, doc := range documents(t, file) {
			name := nameOf(doc)
			seen[name] = true
			fast := agree(t, fmt.Sprintf("%s %s", file, name), resourceOf(doc), &docs)
			if want, ok := expectFast[name]; !ok {
				t.Errorf("%s: %s has no expectation in expectFast", file, name)
			} else if fast != want {
				t.Errorf("%s: %s: fast writer used %v, expected %v", file, name, fast, want)
			}
			// Each field of spec alone, so that one value left to kustomize does not hide the
			// others from the comparison.
			for field, one := range fieldsOf(doc, "spec") {
				agree(t, fmt.Sprintf("%s %s spec.%s", file, name, field), resourceOf(one), &fields)
			}
		}
	}
	for name := range expectFast {
		if !seen[name] {
			t.Errorf("expectFast names %s, which no corpus file holds", name)
		}
	}
	t.Logf("documents: %d fast, %d left to kustomize; single fields: %d fast, %d left", docs.fast, docs.slow, fields.fast, fields.slow)
	if fields.fast < 100 || fields.slow < 50 {
		t.Errorf("the corpus should exercise both writers: %+v", fields)
	}
}

// fieldsOf makes one resource per entry of the named top-level mapping, keyed by the entry's key.
func fieldsOf(doc *yaml3.Node, key string) map[string]*yaml3.Node {
	out := map[string]*yaml3.Node{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != key || doc.Content[i+1].Kind != yaml3.MappingNode {
			continue
		}
		spec := doc.Content[i+1]
		for j := 0; j+1 < len(spec.Content); j += 2 {
			one := *spec
			one.Content = spec.Content[j : j+2]
			out[spec.Content[j].Value] = &yaml3.Node{Kind: yaml3.MappingNode, Content: []*yaml3.Node{
				{Kind: yaml3.ScalarNode, Value: "apiVersion"}, {Kind: yaml3.ScalarNode, Value: "strata.test/v1"},
				{Kind: yaml3.ScalarNode, Value: "kind"}, {Kind: yaml3.ScalarNode, Value: "Field"},
				{Kind: yaml3.ScalarNode, Value: key}, &one,
			}}
		}
	}
	return out
}

// The corpus built by kustomize itself (its reader, transformers and sort orders), written by
// both writers. Variants add the transformers that create nodes of their own.
func TestFastYAMLAgreesWithKustomizeOnBuiltCorpus(t *testing.T) {
	resources := "resources:\n  - numbers.yaml\n  - scalars.yaml\n  - strings.yaml\n  - keys.yaml\n  - structure.yaml\n  - crd.yaml\n"
	variants := map[string]string{
		"legacy order": resources,
		"fifo order":   resources + "sortOptions:\n  order: fifo\n",
		"custom legacy order": resources + "sortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [Keys, Deployment]\n" +
			"    orderLast: [CustomResourceDefinition]\n",
		"transformers": resources + `namespace: awkward
namePrefix: pre-
nameSuffix: -suf
labels:
  - pairs: {team: "007", tier: "true", build: "1.0"}
    includeSelectors: false
commonAnnotations:
  note: "yes"
  count: "12"
images:
  - name: nginx
    newTag: "1.26"
replicas:
  - name: web
    count: 5
patches:
  - target: {kind: Deployment}
    patch: |
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value: {name: ADDED, value: "0x1F"}
      - op: add
        path: /spec/minReadySeconds
        value: 7
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        template:
          spec:
            terminationGracePeriodSeconds: 30
            containers:
              - name: web
                tty: true
configMapGenerator:
  - name: generated
    literals: ["a=1", "b=true", "c=1.5", "d=", "e=yes", "f=multi\nline"]
`,
	}
	names := make([]string, 0, len(variants))
	for name := range variants {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			mem := filesys.MakeFsInMemory()
			for _, f := range corpusFiles(t) {
				if filepath.Dir(f) != filepath.Join("testdata", "awkward") {
					continue
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := mem.WriteFile(filepath.Join("/c", filepath.Base(f)), b); err != nil {
					t.Fatal(err)
				}
			}
			if err := mem.WriteFile("/c/kustomization.yaml", []byte(variants[name])); err != nil {
				t.Fatal(err)
			}
			m, err := krusty.MakeKustomizer(options()).Run(mem, "/c")
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.AsYaml()
			if err != nil {
				t.Fatal(err)
			}
			got, err := asYAML(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the build differs from kustomize's AsYaml:\n%s", firstDifference(got, want))
			}
			var n tally
			for _, res := range m.Resources() {
				agree(t, res.CurId().String(), res, &n)
			}
			t.Logf("%d resources fast, %d left to kustomize", n.fast, n.slow)
			if n.fast == 0 || n.slow == 0 {
				t.Errorf("both writers should be used: %+v", n)
			}
		})
	}
}

// A resource kustomize reads but cannot write fails the build with kustomize's own error.
func TestBuildFailsLikeKustomizeOnUnwritableResources(t *testing.T) {
	for _, doc := range documents(t, "testdata/unwritable.yaml") {
		name := nameOf(doc)
		t.Run(name, func(t *testing.T) {
			text, err := kyaml.String(doc)
			if err != nil {
				t.Fatal(err)
			}
			mem := filesys.MakeFsInMemory()
			ok := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n"
			for path, content := range map[string]string{
				"/u/kustomization.yaml": "resources:\n  - fine.yaml\n  - bad.yaml\n",
				"/u/fine.yaml":          ok,
				"/u/bad.yaml":           text,
			} {
				if err := mem.WriteFile(path, []byte(content)); err != nil {
					t.Fatal(err)
				}
			}
			m, err := krusty.MakeKustomizer(options()).Run(mem, "/u")
			if err != nil {
				t.Fatal(err)
			}
			_, want := m.AsYaml()
			_, got := asYAML(m)
			if want == nil || got == nil || got.Error() != want.Error() {
				t.Errorf("expected kustomize's error %v, got %v", want, got)
			}
		})
	}
}

func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("at byte %d\nfast:      %q\nkustomize: %q", i, got[from:min(len(got), i+200)], want[from:min(len(want), i+200)])
}

// Every overlay of the repository, built from disk as the builder builds it.
func TestFastYAMLAgreesWithKustomizeOnRepositoryOverlays(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var overlays []string
	err = filepath.WalkDir(filepath.Join(root, "overlays"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "kustomization.yaml" {
			overlays = append(overlays, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(overlays) < 4 {
		t.Fatalf("expected the repository's overlays under %s, found %d", root, len(overlays))
	}
	disk := filesys.MakeFsOnDisk()
	var n tally
	for _, dir := range overlays {
		m, err := krusty.MakeKustomizer(options()).Run(disk, dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		want, err := m.AsYaml()
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		got, err := asYAML(m)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from kustomize's AsYaml:\n%s", dir, firstDifference(got, want))
		}
		for _, res := range m.Resources() {
			agree(t, dir+" "+res.CurId().String(), res, &n)
		}
	}
	t.Logf("%d overlays, %d resources fast, %d left to kustomize", len(overlays), n.fast, n.slow)
	// The point of the fast writer is that manifests take it.
	if n.fast < 9*(n.fast+n.slow)/10 {
		t.Errorf("the fast writer took only %d of %d resources", n.fast, n.fast+n.slow)
	}
}

// Every value of the pools below with every common tag and style, as a value in a block mapping,
// in a flow sequence and as a key: nodes made as code, as kustomize's transformers make them.
func TestFastYAMLAgreesWithKustomizeOnEveryValueTagAndStyle(t *testing.T) {
	var n tally
	values := append(append([]string{}, randomValues...), commonValues...)
	styles := []yaml3.Style{0, yaml3.DoubleQuotedStyle, yaml3.SingleQuotedStyle, yaml3.LiteralStyle, yaml3.FoldedStyle}
	for _, v := range values {
		for _, tag := range []string{"", "!!str", "resolved", "!!int", "!!bool", "!!null"} {
			for _, style := range styles {
				scalar := func() *yaml3.Node {
					s := &yaml3.Node{Kind: yaml3.ScalarNode, Value: v, Style: style, Tag: tag}
					if tag == "resolved" {
						s.Tag = (&yaml3.Node{Kind: yaml3.ScalarNode, Value: v}).ShortTag()
					}
					return s
				}
				key := func(k string) *yaml3.Node { return &yaml3.Node{Kind: yaml3.ScalarNode, Tag: "!!str", Value: k} }
				flow := &yaml3.Node{Kind: yaml3.SequenceNode, Style: yaml3.FlowStyle, Content: []*yaml3.Node{scalar()}}
				for place, doc := range map[string]*yaml3.Node{
					"value": {Kind: yaml3.MappingNode, Content: []*yaml3.Node{key("k"), scalar()}},
					"flow":  {Kind: yaml3.MappingNode, Content: []*yaml3.Node{key("k"), flow}},
					"key":   {Kind: yaml3.MappingNode, Content: []*yaml3.Node{scalar(), key("v")}},
				} {
					agree(t, fmt.Sprintf("%q tagged %q, style %d, as a %s", v, tag, style, place), resourceOf(doc), &n)
				}
			}
		}
	}
	t.Logf("%d fast, %d left to kustomize", n.fast, n.slow)
}

// Random nodes of every tag, style and awkward value, built as code (not parsed) so that
// combinations no parser produces, such as an untagged "123" or a double-quoted !!int, are
// covered too. Each document has its own rate of odd choices (tags, styles, comments, anchors),
// so that some are mostly plain and others mostly odd.
func TestFastYAMLAgreesWithKustomizeOnRandomNodes(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	var n tally
	for i := 0; i < 10000; i++ {
		g := &generator{r: r, odd: []float64{0, 0.02, 0.1, 0.4}[r.Intn(4)]}
		doc := &yaml3.Node{Kind: yaml3.MappingNode, Content: []*yaml3.Node{
			{Kind: yaml3.ScalarNode, Tag: "!!str", Value: "kind"}, {Kind: yaml3.ScalarNode, Tag: "!!str", Value: "Random"},
		}}
		for k := r.Intn(4); k >= 0; k-- {
			doc.Content = append(doc.Content, g.key(), g.node(3))
		}
		top := doc
		if r.Intn(2) == 0 {
			// As kustomize's reader keeps a resource: inside its document node.
			top = &yaml3.Node{Kind: yaml3.DocumentNode, Content: []*yaml3.Node{doc}, HeadComment: g.comment()}
			if r.Intn(10) == 0 {
				top.FootComment = "# foot"
			}
		}
		agree(t, fmt.Sprintf("random document %d", i), resourceOf(top), &n)
		if t.Failed() {
			out, _ := kyaml.String(top)
			t.Fatalf("random document %d, as yaml.v3 writes it:\n%s", i, out)
		}
	}
	t.Logf("%d fast, %d left to kustomize", n.fast, n.slow)
	if n.fast < 1500 || n.slow < 1500 {
		t.Errorf("the random nodes should exercise both writers: %+v", n)
	}
}

var randomValues = []string{
	"", "a", "word", "1", "-1", "0", "-0", "+1", "007", "08", "0o7", "0x1F", "0b1", "-0b1", "1_000", "12",
	"123456789012345678", "1234567890123456789", "9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1.0", "1.", "1e3", "1E+3", ".5",
	"-.5", "1e400", "6.02e23", ".inf", "-.inf", "+.inf", ".Inf", ".NaN", ".nan", ".infx", "inf", "nan", "Infinity",
	"true", "True", "TRUE", "tRUE", "false", "False", "yes", "no", "on", "off", "y", "n", "Y", "N",
	"~", "null", "Null", "NULL", "nULL", "2024-01-01", "2024-1-2", "2001-12-14t21:59:43.10-05:00", "2024-01-01x",
	"1:20", "190:20:30", "<<", "---", "...", "#", "# c", "a #b", "a# b", "a: b", "a:b", "- a", "-", "?", "? a", ":",
	": a", "[", "]", "{a}", ",", "'", "\"", "\\", "`", "@", "%", "!", "!a", "&a", "*a", "|", ">",
	" ", "  a", "a ", "a  b", "\t", "a\tb", "\ta", "\n", "\n\n", "a\n", "a\n\n", "a\n\n\n", "\na", " a\nb",
	"a \nb", "a\n b", "a\n\tb", "a\r\nb", "\r", "é", "日本", "😀", "\u00a0", "\u2028", "\u2029", "\ufeff",
	"\u0085", "\x7f", "\x00", "\x1b", "\ufffe", "\xff", "\ue000",
	strings.Repeat("long words ", 20), strings.Repeat("x", 200), strings.Repeat("a\n", 30),
}

var (
	commonTags  = []string{"", "!!str", "resolved", "resolved"}
	oddTags     = []string{"!!int", "!!bool", "!!null", "!!float", "!!timestamp", "!!binary", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "!", "!custom", "!!map", "!!merge"}
	commonStyle = []yaml3.Style{0, 0, 0, yaml3.DoubleQuotedStyle, yaml3.SingleQuotedStyle, yaml3.LiteralStyle}
	oddStyles   = []yaml3.Style{yaml3.FoldedStyle, yaml3.TaggedStyle, yaml3.DoubleQuotedStyle | yaml3.TaggedStyle, yaml3.FlowStyle}
	comments    = []string{"# c", "c", "# a\n# b", "#", "a\nb", "# :", "# - x"}
)

type generator struct {
	r   *rand.Rand
	odd float64
}

func (g *generator) isOdd() bool { return g.r.Float64() < g.odd }

func (g *generator) pick(common, odd []string) string {
	if g.isOdd() {
		return odd[g.r.Intn(len(odd))]
	}
	return common[g.r.Intn(len(common))]
}

func (g *generator) comment() string {
	if g.isOdd() {
		return comments[g.r.Intn(len(comments))]
	}
	return ""
}

// commonValues are values manifests hold; every random value is one of randomValues or of these,
// or a concatenation.
var commonValues = []string{"a", "web", "nginx:1.25", "100m", "128Mi", "1", "3", "8080", "-1", "0", "true", "false",
	"null", "~", "yes", "no", "on", "1.2.3", "10.0.0.1", "/healthz", "app.kubernetes.io/name", "a b", "a\nb", "a\nb\n",
	"echo $HOME && exit 0\n", "é", "日本", "😀", ""}

func (g *generator) value() string {
	pick := func() string {
		if g.isOdd() || g.r.Intn(16) == 0 {
			return randomValues[g.r.Intn(len(randomValues))]
		}
		return commonValues[g.r.Intn(len(commonValues))]
	}
	v := pick()
	for g.r.Intn(4) == 0 {
		v += pick()
	}
	return v
}

func (g *generator) decorate(n *yaml3.Node) {
	n.HeadComment, n.LineComment, n.FootComment = g.comment(), g.comment(), g.comment()
	if g.isOdd() && g.isOdd() {
		n.Anchor = "a"
	}
}

func (g *generator) scalar() *yaml3.Node {
	style := commonStyle[g.r.Intn(len(commonStyle))]
	if g.isOdd() {
		style = oddStyles[g.r.Intn(len(oddStyles))]
	}
	n := &yaml3.Node{Kind: yaml3.ScalarNode, Value: g.value()}
	// Commonly no tag, !!str, or the tag yaml.v3 resolves the value to (as its parser sets it).
	if tag := g.pick(commonTags, oddTags); tag == "resolved" {
		n.Tag = n.ShortTag()
	} else {
		n.Tag = tag
	}
	n.Style = style
	g.decorate(n)
	return n
}

// key is mostly a key manifests have, and otherwise any scalar.
func (g *generator) key() *yaml3.Node {
	if g.r.Intn(3) == 0 {
		return g.scalar()
	}
	keys := []string{"name", "image", "app.kubernetes.io/name", "a-1", "a10", "a9", "B", "_x", "key with spaces", "y", "n", "on", "ключ"}
	n := &yaml3.Node{Kind: yaml3.ScalarNode, Tag: "!!str", Value: keys[g.r.Intn(len(keys))]}
	g.decorate(n)
	return n
}

func (g *generator) node(depth int) *yaml3.Node {
	if depth == 0 || g.r.Intn(3) == 0 {
		return g.scalar()
	}
	n := &yaml3.Node{}
	if g.r.Intn(3) == 0 {
		n.Style = yaml3.FlowStyle
	}
	if g.r.Intn(2) == 0 {
		n.Kind = yaml3.MappingNode
		n.Tag = g.pick([]string{"", "", "!!map"}, []string{"tag:yaml.org,2002:map", "!!seq", "!x"})
		for k := g.r.Intn(4); k > 0; k-- {
			n.Content = append(n.Content, g.key(), g.node(depth-1))
		}
	} else {
		n.Kind = yaml3.SequenceNode
		n.Tag = g.pick([]string{"", "", "!!seq"}, []string{"tag:yaml.org,2002:seq", "!!map", "!x"})
		for k := g.r.Intn(4); k > 0; k-- {
			n.Content = append(n.Content, g.node(depth-1))
		}
	}
	if g.isOdd() {
		n.Style |= yaml3.TaggedStyle
	}
	g.decorate(n)
	return n
}
