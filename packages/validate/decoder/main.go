// Command strata-decode reads Kubernetes manifests the way kubectl does and reports the objects.
//
// kubectl reads a manifest file with k8s.io/apimachinery's YAML-or-JSON stream decoder (documents
// split on `---` lines, each converted to JSON by sigs.k8s.io/yaml, which speaks YAML 1.1: `yes` is
// a boolean, `<<` merges, U+0085 and U+2028 break lines), decodes each document with the
// unstructured JSON scheme (any object with `items` is a list; items without a kind take the list's
// kind less "List"), checks that metadata decodes into ObjectMeta, and flattens lists (a list's own
// fields are given with its chunk, so that its kind and metadata can be judged as kubectl does). This program
// does exactly that with the same modules, so that Strata judges the objects kubectl would apply,
// and says where each one starts so that problems can name a line.
//
// Input on stdin: frames of `<byte length>\n<bytes>`, one per file. Output on stdout: one JSON line
// per frame, in order:
//
//	{"chunks":[{"offset":0,"length":120,"objects":[{"object":{...},"item":-1}],"error":""}],"aligned":true,"stream":[...]}
//
// A chunk is one document as kubectl's YAML reader splits the stream (its byte offset in the file);
// its objects are what kubectl decodes from it (a list's items each with their index). "stream" holds
// the objects of the whole file decoded as one stream, exactly as kubectl's stream visitor does, and
// "aligned" says whether the chunks' objects are that same sequence: they differ only for streams
// kubectl reads as JSON across `---` lines, and then "stream" is the truth. With -reference only the
// stream is decoded and printed (the differential tests compare Strata with it).
//
// Before any of that, kubectl passes every file and stdin through a byte-order-mark-aware UTF-8
// decoder (kubectlText): UTF-16 with a BOM becomes UTF-8, a UTF-8 BOM goes, and bytes that are not
// UTF-8 become U+FFFD. Offsets are in those bytes; when they differ from the frame's, "text" holds
// them (they have the same lines: the decoder maps each character on its own, and line breaks stay),
// and "kustomize" says whether kustomize, which reads the frame's own bytes, finds the same objects.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	goruntime "runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	yaml3 "go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

type object struct {
	// Object is the decoded map, or for a document that is one object (nearly all of them) the JSON
	// it was decoded from: the same value, and written out without walking the map again.
	Object interface{} `json:"object"`
	// Item is the index of the object in the list it came from, or -1.
	Item int `json:"item"`
	// Offset is the byte offset of a JSON object within its chunk, or -1 when unknown.
	Offset int `json:"offset"`
	// JSON is the object as kubectl sends it to the API server (encoding/json of the decoded map),
	// given when it holds a number of 16 digits or more: an integer of that size may be past 2^53,
	// and a reader that takes every number as a double (JSON.parse) would send a rounded one.
	JSON string `json:"json,omitempty"`
}

type chunk struct {
	Offset  int      `json:"offset"`
	Length  int      `json:"length"`
	Objects []object `json:"objects"`
	Error   string   `json:"error,omitempty"`
	// Duplicate is set when the chunk has a key twice in one mapping: kubectl silently keeps the
	// last value, which is worth a problem of its own.
	Duplicate string `json:"duplicate,omitempty"`
	// Yaml12 names every field that a YAML 1.2 reader (kustomize's kyaml) reads differently from
	// kubectl's YAML 1.1 reader, with both readings, or says why YAML 1.2 cannot read the chunk.
	Yaml12 []difference `json:"yaml12,omitempty"`
	// Inferred lists the list items without apiVersion and kind, which kubectl takes from the list's
	// kind and kustomize refuses.
	Inferred []int `json:"inferred,omitempty"`
	// Collisions are keys that YAML 1.1 reads apart from an earlier key of their mapping but that
	// kubectl's conversion to JSON makes the same key (see collisions).
	Collisions []collision `json:"collisions,omitempty"`
	// List is, for a document that kubectl decodes as a list, the list's own fields (all but items):
	// kubectl maps the list's apiVersion and kind, and validates its metadata, before it flattens it.
	List map[string]interface{} `json:"list,omitempty"`
}

type difference struct {
	Path    []interface{} `json:"path"`
	Kubectl interface{}   `json:"kubectl"`
	Yaml12  interface{}   `json:"yaml12"`
	// Absent names the reading that has no such field at all ("kubectl" or "yaml12"), where the
	// other has one: null in Kubectl or Yaml12 is then no value, not a null.
	Absent string `json:"absent,omitempty"`
	Error  string `json:"error,omitempty"`
}

type result struct {
	Chunks  []chunk  `json:"chunks"`
	Aligned bool     `json:"aligned"`
	Stream  []object `json:"stream,omitempty"`
	Error   string   `json:"error,omitempty"`
	// Text is what kubectl decodes (kubectlText), when it is not the frame's bytes: the chunks'
	// offsets are in it.
	Text *string `json:"text,omitempty"`
	// Kustomize is set when Text is, and kustomize reads other objects from the frame's bytes.
	Kustomize *kustomizeReading `json:"kustomize,omitempty"`
}

// kustomizeReading is how kustomize's reading of a file's own bytes differs from kubectl's.
type kustomizeReading struct {
	// Objects is how many objects kustomize reads, or -1 when it refuses the file.
	Objects int `json:"objects"`
	// Kubectl is how many kubectl reads.
	Kubectl int `json:"kubectl"`
	// Index is the first object (in kubectl's order) that kustomize reads otherwise, or does not read.
	Index int    `json:"index"`
	Error string `json:"error,omitempty"`
}

// kubectlText is what kubectl's FileVisitor hands its stream decoder, for files and stdin alike
// (k8s.io/cli-runtime pkg/resource/visitor.go: transform.NewReader(f,
// unicode.BOMOverride(unicode.UTF8.NewDecoder()))). Valid UTF-8 without a BOM goes through that
// transform unchanged, so it is given back as it is without running it: nearly every file.
func kubectlText(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}) && utf8.Valid(data) {
		return data, nil
	}
	return io.ReadAll(transform.NewReader(bytes.NewReader(data), unicode.BOMOverride(unicode.UTF8.NewDecoder())))
}

// metadataOnly is how kubectl's metadata-validating decoder checks that metadata is ObjectMeta.
type metadataOnly struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
}

// decodeObject decodes one document's JSON as kubectl's builder does, lists flattened. Objects
// that may hold a number past 2^53 carry the JSON kubectl sends for them (exactText).
func decodeObject(raw []byte) ([]object, error) {
	objs, err := decodeObjects(raw)
	if err == nil && longDigits(raw) {
		for i := range objs {
			if err := exactText(&objs[i]); err != nil {
				return nil, err
			}
		}
	}
	return objs, err
}

// exactText sets o.JSON to the object as kubectl sends it, when that text holds a long number.
// Integers that fit in int64 keep every digit; others were decoded as float64 and are written as
// encoding/json writes a float64, which is the shortest text that reads back as the same double:
// what JavaScript writes for it as well, so only the int64 digits are at stake.
func exactText(o *object) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o.Object); err != nil {
		return err
	}
	if text := bytes.TrimSpace(buf.Bytes()); longDigits(text) {
		o.JSON = string(text)
	}
	return nil
}

// longDigits says whether b holds a number of 16 digits or more: every integer past 2^53
// (9007199254740992) is one. A run of digits inside a word (a digest's hex, `app0123...`) or after a
// decimal point is not a number that a double could round, and a document without such a number
// (nearly all) is read the same as doubles.
func longDigits(b []byte) bool {
	word := func(c byte) bool {
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	for i := 0; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' || i > 0 && (word(b[i-1]) || b[i-1] == '.') {
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j-i >= 16 && (j == len(b) || !word(b[j])) {
			return true
		}
		i = j
	}
	return false
}

// decodeObjects is decodeObject without the exact text.
func decodeObjects(raw []byte) ([]object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &metadataOnly{}); err != nil {
		return nil, err
	}
	switch o := obj.(type) {
	case *unstructured.UnstructuredList:
		out := make([]object, 0, len(o.Items))
		for i := range o.Items {
			item, err := json.Marshal(o.Items[i].Object)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(item, &metadataOnly{}); err != nil {
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
			out = append(out, object{Object: o.Items[i].Object, Item: i, Offset: -1})
		}
		return out, nil
	case *unstructured.Unstructured:
		return []object{{Object: o.Object, Item: -1, Offset: -1}}, nil
	default:
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
}

// decodeStream is kubectl's stream visitor: one decoder over the whole file, stopping at the first error.
func decodeStream(data []byte) ([]object, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []object
	for {
		ext := runtime.RawExtension{}
		if err := d.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		objs, err := decodeObject(ext.Raw)
		if err != nil {
			return out, err
		}
		out = append(out, objs...)
	}
}

// chunks splits data the way kubectl's YAML reader does, with each chunk's byte offset. A chunk is
// found in data at the start of a line at or after the end of the previous one.
func chunks(data []byte) ([][]byte, []int, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var parts [][]byte
	var offsets []int
	pos := 0
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return parts, offsets, nil
		}
		if err != nil {
			return parts, offsets, err
		}
		at := pos
		for {
			i := bytes.Index(data[at:], b)
			if i < 0 {
				at = pos
				break
			}
			at += i
			if at == 0 || data[at-1] == '\n' {
				break
			}
			at++
		}
		parts = append(parts, append([]byte(nil), b...))
		offsets = append(offsets, at)
		pos = at + len(b)
	}
}

// decodeChunk decodes one chunk with the stream decoder, as kubectl would if it were the whole
// file; JSON objects get their offsets within the chunk.
func decodeChunk(b []byte) ([]object, error) {
	objs, err := decodeStream(b)
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(b))
		var offs []int
		for {
			var v json.RawMessage
			start := dec.InputOffset()
			if dec.Decode(&v) != nil {
				break
			}
			offs = append(offs, int(start)+len(b[start:])-len(bytes.TrimLeft(b[start:], " \t\r\n")))
		}
		if len(offs) == len(objs) {
			for i := range objs {
				objs[i].Offset = offs[i]
			}
		}
	}
	return objs, err
}

func read(raw []byte) result {
	data, err := kubectlText(raw)
	if err != nil {
		return result{Chunks: []chunk{}, Error: err.Error()}
	}
	res := readText(data)
	if !bytes.Equal(data, raw) {
		text := string(data)
		res.Text = &text
		res.Kustomize = compareKustomize(raw, res)
	}
	return res
}

// readText splits and decodes the text kubectl decodes.
func readText(data []byte) result {
	parts, offsets, splitErr := chunks(data)
	res := result{Chunks: []chunk{}, Aligned: true}
	// A stream that starts with `{` is compared below with its chunks' objects as maps.
	start := bytes.TrimLeft(data, " \t\r\n")
	jsonStream := len(start) > 0 && start[0] == '{'
	var flat []object
	for i, p := range parts {
		c := chunk{Offset: offsets[i], Length: len(p)}
		trimmed := bytes.TrimLeft(p, " \t\r\n")
		var objs []object
		var err error
		if len(trimmed) > 0 && trimmed[0] == '{' {
			objs, err = decodeChunk(p)
		} else {
			objs, err = decodeYAMLChunkOnce(p, &c, jsonStream)
		}
		c.Objects = objs
		if c.Objects == nil {
			c.Objects = []object{}
		}
		if err != nil {
			c.Error = err.Error()
		} else if bytes.Contains(p, []byte("items")) {
			c.List = listHead(p)
		}
		flat = append(flat, objs...)
		res.Chunks = append(res.Chunks, c)
	}
	if splitErr != nil {
		res.Error = splitErr.Error()
		res.Aligned = false
	}
	// A stream that starts with `{` is read by kubectl as JSON across `---` lines: only then can
	// the whole stream differ from its chunks.
	if jsonStream && !anyError(res.Chunks) {
		stream, streamErr := decodeStream(data)
		if streamErr != nil {
			res.Aligned = false
			if res.Error == "" {
				res.Error = streamErr.Error()
			}
		} else if !same(stream, flat) {
			res.Aligned = false
			res.Stream = stream
		}
	}
	return res
}

// decodedChunk is what decodeYAMLChunk finds in one chunk: nothing in it depends on where the
// chunk is.
type decodedChunk struct {
	objs      []object
	err       error
	duplicate string
	yaml12    []difference
	inferred  []int
	collide   []collision
}

// decodedChunks holds the findings of every chunk decoded so far, by its bytes, one map per
// value of keepMaps.
var decodedChunks [2]sync.Map

// memoLimit is the largest chunk whose findings are kept: built output repeats most documents
// (an app's envs share what they do not change), and a larger chunk is rarely seen twice.
const memoLimit = 64 << 10

// decodeYAMLChunkOnce is decodeYAMLChunk, done once per distinct chunk in this process: at 500
// apps a third of the 12,000 built documents repeat one of another env. The objects are shared
// between the answers that use them, which only encode them.
func decodeYAMLChunkOnce(p []byte, c *chunk, keepMaps bool) ([]object, error) {
	if len(p) > memoLimit {
		return decodeYAMLChunk(p, c, keepMaps)
	}
	key := string(p)
	memo := &decodedChunks[0]
	if keepMaps {
		memo = &decodedChunks[1]
	}
	if v, ok := memo.Load(key); ok {
		d := v.(decodedChunk)
		c.Duplicate, c.Yaml12, c.Inferred, c.Collisions = d.duplicate, d.yaml12, d.inferred, d.collide
		return d.objs, d.err
	}
	objs, err := decodeYAMLChunk(p, c, keepMaps)
	memo.Store(key, decodedChunk{objs: objs, err: err, duplicate: c.Duplicate, yaml12: c.Yaml12, inferred: c.Inferred, collide: c.Collisions})
	return objs, err
}

// decodeYAMLChunk is what kubectl does with one YAML document (sigs.k8s.io/yaml to JSON, then the
// unstructured scheme), plus the checks for readings that other consumers make differently.
//
// With keepMaps false, an object that is not a list item is given as the JSON it was decoded from:
// unstructured decoding keeps every value of a non-list object as it is (numbers as int64 or float64,
// which encode back to the same number), so a reader of the answer gets the same value either way.
// Only -0, which the decoding makes 0, is left to the map.
func decodeYAMLChunk(p []byte, c *chunk, keepMaps bool) ([]object, error) {
	// The strict reading first: it differs from kubectl's only by refusing a repeated key, so when
	// it succeeds its JSON is kubectl's, and the lenient reading is needed only when it fails.
	j, strictErr := sigsyaml.YAMLToJSONStrict(p)
	if strictErr != nil {
		var err error
		if j, err = sigsyaml.YAMLToJSON(p); err != nil {
			return nil, fmt.Errorf("error converting YAML to JSON: %w", err)
		}
	}
	objs, err := decodeObject(j)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return objs, nil
	}
	// An object with its exact text keeps its map: the JSON sigs.k8s.io/yaml writes has integers
	// past int64 as written, where kubectl reads (and sends) them as float64.
	if !keepMaps && len(objs) == 1 && objs[0].Item == -1 && objs[0].JSON == "" && !negativeZero(j) {
		objs[0].Object = json.RawMessage(bytes.TrimSpace(j))
	}
	if strictErr != nil {
		c.Duplicate = duplicates(p, strictErr)
	}
	if nonTextKey(p) {
		c.Collisions = collisions(p)
	}
	if mayDiffer(p) {
		c.Yaml12 = compare12(p, j)
	}
	if bytes.Contains(p, []byte("items")) {
		c.Inferred = inferred(j)
	}
	return objs, nil
}

// mayDiffer finds what YAML 1.1 and YAML 1.2 may read differently: boolean words, dates, leading
// zeros, 0o and 0b, underscores in numbers, tags, merge keys and the 1.1-only line breaks.
// Documents without any of them (nearly all built output) skip the second reading. It is the
// regular expression mayDifferPattern (main_test.go checks that they agree) in one pass over the
// bytes: the expression took half the decoder's time, since it scans all of every document that
// has none of them.
//
// A zero after a letter, digit or `-` is inside a plain scalar (`app-0024`), which both versions
// read as the same string, so only a zero that starts a scalar counts. Base 60 (`1:20`) is not
// looked for: YAML 1.1 has it, but neither reader implements it (go.yaml.in/yaml v2 and v3 both
// read `1:20` as text, TestBase60IsTextToBoth), and looking for a digit, a colon and a digit sent
// every image with a tag or digest (`app:1.2.3`, `sha256:6ab1...`) to the second reading.
func mayDiffer(p []byte) bool {
	n := len(p)
	digit := func(i int) bool { return i >= 0 && i < n && p[i] >= '0' && p[i] <= '9' }
	word := func(i int) bool {
		if i < 0 || i >= n {
			return false
		}
		c := p[i]
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	lower := func(i int) byte {
		if i >= n {
			return 0
		}
		c := p[i]
		if c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for i := 0; i < n; i++ {
		c := p[i]
		switch {
		case c == '!':
			return true
		case c == '<' && i+1 < n && p[i+1] == '<':
			return true
		case c == 0xc2 && i+1 < n && p[i+1] == 0x85:
			return true
		case c == 0xe2 && i+2 < n && p[i+1] == 0x80 && (p[i+2] == 0xa8 || p[i+2] == 0xa9):
			return true
		case c == '.' && i+3 < n:
			w := string([]byte{lower(i + 1), lower(i + 2), lower(i + 3)})
			if (w == "inf" || w == "nan") && !word(i+4) {
				return true
			}
		}
		if digit(i) {
			if i+1 < n && p[i+1] == '_' {
				return true
			}
			if digit(i+1) && digit(i+2) && digit(i+3) && i+5 < n && p[i+4] == '-' && digit(i+5) {
				j := i + 6
				if digit(j) {
					j++
				}
				if j+1 < n && p[j] == '-' && digit(j+1) {
					return true
				}
			}
		}
		// A zero that starts a scalar: at the start, or after a blank, `:`, `[`, `,` or `{`, with a sign or not.
		starts := c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ':' || c == '[' || c == ',' || c == '{'
		if i == 0 || starts {
			j := i
			if starts {
				j = i + 1
			}
			if j < n && (p[j] == '-' || p[j] == '+') {
				j++
			}
			if j+1 < n && p[j] == '0' && (digit(j+1) || lower(j+1) == 'o' || lower(j+1) == 'b') {
				return true
			}
		}
		// A word on its own that YAML 1.1 reads as a boolean (compared without making a string of
		// every word: that was most of this scan's time).
		if word(i) && !word(i-1) {
			j := i
			for j < n && word(j) && j-i <= 3 {
				j++
			}
			if j-i <= 3 && !word(j) {
				switch string([]byte{lower(i), lower(i + 1), lower(i + 2)}[:j-i]) {
				case "y", "n", "yes", "no", "on", "off":
					return true
				}
			}
		}
	}
	return false
}

// negativeZero says whether JSON may hold the number -0, which unstructured decoding reads as 0.
func negativeZero(j []byte) bool {
	for i := 0; i+2 < len(j); i++ {
		if (j[i] == ':' || j[i] == '[' || j[i] == ',') && j[i+1] == '-' && j[i+2] == '0' {
			return true
		}
	}
	return false
}

func anyError(cs []chunk) bool {
	for _, c := range cs {
		if c.Error != "" {
			return true
		}
	}
	return false
}

func same(a, b []object) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, _ := json.Marshal(a[i].Object)
		y, _ := json.Marshal(b[i].Object)
		if !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

func main() {
	reference := flag.Bool("reference", false, "decode each frame as one stream, as kubectl does, and print only that")
	workers := flag.Int("j", goruntime.GOMAXPROCS(0), "frames decoded at a time")
	flag.Parse()
	if *workers < 1 {
		fmt.Fprintln(os.Stderr, "strata-decode: -j must be at least 1")
		os.Exit(2)
	}
	// Decoding allocates a lot and keeps little (a frame's values are garbage once its line is
	// written): collecting only when the heap has grown elevenfold, or reaches 300 MiB, spends far
	// less time in the collector. GOGC or GOMEMLIMIT, when set, still decide.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(1000)
		debug.SetMemoryLimit(300 << 20)
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()

	// Frames are decoded by a pool of workers and answered in their order: each frame's answer
	// goes through its own channel, queued in input order, so the writer waits for the oldest.
	type job struct {
		data []byte
		done chan []byte
	}
	jobs := make(chan job, *workers)
	order := make(chan chan []byte, 4*(*workers))
	for w := 0; w < *workers; w++ {
		go func() {
			for j := range jobs {
				j.done <- answer(j.data, *reference)
			}
		}()
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		for done := range order {
			if _, err := out.Write(<-done); err != nil {
				fail(err)
			}
		}
	}()
	for {
		header, err := in.ReadString('\n')
		if errors.Is(err, io.EOF) && header == "" {
			break
		}
		if err != nil {
			fail(fmt.Errorf("reading a frame header: %w", err))
		}
		n, err := strconv.Atoi(strings.TrimSpace(header))
		if err != nil || n < 0 {
			fail(fmt.Errorf("bad frame header %q", header))
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(in, data); err != nil {
			fail(fmt.Errorf("reading a frame of %d bytes: %w", n, err))
		}
		done := make(chan []byte, 1)
		order <- done
		jobs <- job{data: data, done: done}
	}
	close(jobs)
	close(order)
	<-written
}

// answer is the JSON line for one frame.
func answer(data []byte, reference bool) []byte {
	var v interface{}
	if reference {
		// kubectl's FileVisitor: the transform, then its stream visitor.
		text, err := kubectlText(data)
		var objs []object
		if err == nil {
			objs, err = decodeStream(text)
		}
		r := map[string]interface{}{"objects": objs}
		if objs == nil {
			r["objects"] = []object{}
		}
		if err != nil {
			r["error"] = err.Error()
		}
		v = r
	} else {
		v = read(data)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fail(err)
	}
	return buf.Bytes()
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "strata-decode: %v\n", err)
	os.Exit(2)
}

// compare12 reads a YAML chunk as kubectl does (YAML 1.1, sigs.k8s.io/yaml) and as kustomize does
// (YAML 1.2, go.yaml.in/yaml/v3 as in kyaml) and returns every difference, in the order of the
// paths (keys sorted), or why YAML 1.2 cannot read it.
func compare12(chunk, j []byte) []difference {
	var v11 interface{}
	if err := json.Unmarshal(j, &v11); err != nil {
		return nil
	}
	refused := func(err error) []difference { return []difference{{Path: []interface{}{}, Error: err.Error()}} }
	var node yaml3.Node
	if err := yaml3.Unmarshal(chunk, &node); err != nil {
		return refused(err)
	}
	var v12 interface{}
	if len(node.Content) > 0 {
		var err error
		if v12, err = value12(node.Content[0]); err != nil {
			return refused(err)
		}
	}
	// Through JSON, as both readings would reach the API server.
	b, err := json.Marshal(v12)
	if err != nil {
		return refused(err)
	}
	var v12j interface{}
	if err := json.Unmarshal(b, &v12j); err != nil {
		return refused(err)
	}
	var out []difference
	diff(nil, v11, v12j, &out)
	return out
}

// value12 is a node's YAML 1.2 value as kustomize's output carries it.
func value12(n *yaml3.Node) (interface{}, error) {
	switch n.Kind {
	case yaml3.AliasNode:
		return value12(n.Alias)
	case yaml3.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return value12(n.Content[0])
	case yaml3.SequenceNode:
		out := make([]interface{}, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value12(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml3.MappingNode:
		out := map[string]interface{}{}
		explicit := map[string]bool{}
		var merges []*yaml3.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.Kind == yaml3.ScalarNode) {
				merges = append(merges, v)
				continue
			}
			key, err := value12(k)
			if err != nil {
				return nil, err
			}
			val, err := value12(v)
			if err != nil {
				return nil, err
			}
			ks := fmt.Sprint(key)
			out[ks] = val
			explicit[ks] = true
		}
		for _, m := range merges {
			sources := []*yaml3.Node{m}
			if m.Kind == yaml3.SequenceNode {
				sources = m.Content
			}
			for _, src := range sources {
				v, err := value12(src)
				if err != nil {
					return nil, err
				}
				mv, ok := v.(map[string]interface{})
				if !ok {
					return nil, fmt.Errorf("merge of a non-mapping")
				}
				for k, x := range mv {
					if !explicit[k] {
						if _, set := out[k]; !set {
							out[k] = x
						}
					}
				}
			}
		}
		return out, nil
	default:
		var v interface{}
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		// kustomize writes a timestamp back in RFC 3339: 2024-01-01 becomes "2024-01-01T00:00:00Z".
		if t, ok := v.(time.Time); ok {
			return t.Format(time.RFC3339Nano), nil
		}
		return v, nil
	}
}

// diff adds to out each place where a (kubectl's reading) and b (YAML 1.2's) differ: a value, a
// field only one of them has, or a mapping or list that the other reads as something else (a list
// of another length is one difference).
func diff(path []interface{}, a, b interface{}, out *[]difference) {
	switch x := a.(type) {
	case map[string]interface{}:
		y, ok := b.(map[string]interface{})
		if !ok {
			*out = append(*out, difference{Path: path, Kubectl: a, Yaml12: b})
			return
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			at := append(append([]interface{}{}, path...), k)
			xv, inX := x[k]
			yv, inY := y[k]
			switch {
			case !inX:
				*out = append(*out, difference{Path: at, Yaml12: yv, Absent: "kubectl"})
			case !inY:
				*out = append(*out, difference{Path: at, Kubectl: xv, Absent: "yaml12"})
			default:
				diff(at, xv, yv, out)
			}
		}
	case []interface{}:
		y, ok := b.([]interface{})
		if !ok || len(x) != len(y) {
			*out = append(*out, difference{Path: path, Kubectl: a, Yaml12: b})
			return
		}
		for i := range x {
			diff(append(append([]interface{}{}, path...), i), x[i], y[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, difference{Path: path, Kubectl: a, Yaml12: b})
		}
	}
}

// inferred is the indexes of a list's items that have neither apiVersion nor kind.
func inferred(j []byte) []int {
	var doc struct {
		Items []map[string]interface{} `json:"items"`
	}
	if err := json.Unmarshal(j, &doc); err != nil {
		return nil
	}
	var out []int
	for i, item := range doc.Items {
		if item["apiVersion"] == nil && item["kind"] == nil {
			out = append(out, i)
		}
	}
	return out
}

// kustomizeSeparator is kyaml's document separator (sigs.k8s.io/kustomize/kyaml kio/byteio_reader.go).
var kustomizeSeparator = regexp.MustCompile(`\n---.*\n`)

// kustomizeObjects reads a file's own bytes the way kustomize's reader (kyaml's ByteReader) does:
// `\r\n` made `\n`, split on `---` lines as bytes, the first YAML 1.2 document of each part, a lone
// List unwrapped. Only files that kubectl decodes to other bytes (kubectlText) are read this way.
func kustomizeObjects(raw []byte) ([]interface{}, error) {
	s := strings.ReplaceAll(string(raw), "\r\n", "\n")
	if s == "" {
		return nil, nil
	}
	var parts []string
	prev := 0
	for _, loc := range kustomizeSeparator.FindAllStringIndex(s, -1) {
		if rest := strings.TrimSpace(s[loc[0]+4 : loc[1]]); rest != "" && rest[0] != '#' {
			return nil, fmt.Errorf("invalid document separator: %s", strings.TrimSpace(s[loc[0]:loc[1]]))
		}
		parts = append(parts, s[prev:loc[0]])
		prev = loc[1]
	}
	parts = append(parts, s[prev:])
	var out []interface{}
	for i, p := range parts {
		if i != len(parts)-1 {
			p += "\n"
		}
		var node yaml3.Node
		if err := yaml3.NewDecoder(strings.NewReader(p)).Decode(&node); err != nil {
			if errors.Is(err, io.EOF) {
				continue
			}
			return nil, err
		}
		v, err := value12(&node)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var o interface{}
		if err := json.Unmarshal(b, &o); err != nil {
			return nil, err
		}
		if m, ok := o.(map[string]interface{}); ok && len(parts) == 1 && (m["kind"] == "List" || m["kind"] == "ResourceList") {
			if items, ok := m["items"].([]interface{}); ok {
				out = append(out, items...)
				continue
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// compareKustomize says where kustomize, reading a file's own bytes, finds other objects than
// kubectl does in res (read from the bytes kubectlText gave), or nil when it finds the same.
func compareKustomize(raw []byte, res result) *kustomizeReading {
	var kubectl []interface{}
	objs := res.Stream
	if objs == nil {
		for _, c := range res.Chunks {
			objs = append(objs, c.Objects...)
		}
	}
	for _, o := range objs {
		b, err := json.Marshal(o.Object)
		var v interface{}
		if err == nil {
			err = json.Unmarshal(b, &v)
		}
		if err != nil {
			return &kustomizeReading{Objects: -1, Kubectl: len(objs), Error: err.Error()}
		}
		kubectl = append(kubectl, v)
	}
	got, err := kustomizeObjects(raw)
	if err != nil {
		return &kustomizeReading{Objects: -1, Kubectl: len(kubectl), Error: err.Error()}
	}
	for i := range kubectl {
		var differ []difference
		if i < len(got) {
			diff(nil, kubectl[i], got[i], &differ)
		}
		if i >= len(got) || len(differ) > 0 {
			return &kustomizeReading{Objects: len(got), Kubectl: len(kubectl), Index: i}
		}
	}
	if len(got) != len(kubectl) {
		return &kustomizeReading{Objects: len(got), Kubectl: len(kubectl), Index: len(kubectl)}
	}
	return nil
}

// listHead is the list's own fields (all but items) when the document, one YAML or JSON value, is
// one that kubectl's unstructured scheme decodes as a list (it has items), or nil.
func listHead(p []byte) map[string]interface{} {
	j, err := sigsyaml.YAMLToJSON(p)
	if err != nil {
		return nil
	}
	var head map[string]interface{}
	if json.Unmarshal(j, &head) != nil || head == nil {
		return nil
	}
	if _, ok := head["items"]; !ok {
		return nil
	}
	delete(head, "items")
	return head
}

// duplicates is what is left of the strict reading's error (sigs.k8s.io/yaml's YAMLToJSONStrict:
// `line N: key K already set in map`) once merge keys are read as YAML does: a key written in a
// mapping overrides the one a `<<` brings in, and of the mappings in `<<: [*a, *b]` the first wins.
// The strict reading counts both as a key set twice; kubectl reads them without a word (it converts
// leniently), as does the API server, which is sent JSON. A key written twice in one mapping, the
// only loss kubectl keeps silent, is still reported, with the strict reading's line and words.
// Without `<<` in the chunk the strict error is taken as it is; a chunk that YAML 1.2 cannot parse
// keeps it too.
func duplicates(p []byte, strictErr error) string {
	if !bytes.Contains(p, []byte("<<")) {
		return strictErr.Error()
	}
	var doc yaml3.Node
	if err := yaml3.Unmarshal(p, &doc); err != nil {
		return strictErr.Error()
	}
	var lines []string
	seen := map[*yaml3.Node]bool{}
	var walk func(n *yaml3.Node)
	walk = func(n *yaml3.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.Kind == yaml3.MappingNode {
			written := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if isMergeKey(k) {
					continue
				}
				if id, ok := key11(k); ok {
					if written[id] {
						lines = append(lines, fmt.Sprintf("line %d: key %s already set in map", v.Line, id))
					}
					written[id] = true
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if len(lines) == 0 {
		return ""
	}
	return "yaml: unmarshal errors:\n  " + strings.Join(lines, "\n  ")
}

// isMergeKey says whether a key is `<<` as YAML 1.1 reads it (plain, or tagged !!merge).
func isMergeKey(k *yaml3.Node) bool {
	return k.Kind == yaml3.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Style&(yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) == 0)
}

// key11 is a scalar key as the strict reading names it (Go syntax of its YAML 1.1 value: `"tier"`,
// `true` for y or yes), so that keys equal to kubectl are equal here and are named in its words.
func key11(k *yaml3.Node) (string, bool) {
	if k.Kind == yaml3.AliasNode {
		k = k.Alias
	}
	if k == nil || k.Kind != yaml3.ScalarNode {
		return "", false
	}
	if k.Style&(yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) != 0 {
		return fmt.Sprintf("%#v", k.Value), true
	}
	text := k.Value
	if k.Style&yaml3.TaggedStyle != 0 {
		text = k.Tag + " " + text
	}
	var v interface{}
	if err := yaml2.Unmarshal([]byte(text), &v); err != nil {
		return fmt.Sprintf("%#v", k.Value), true
	}
	return fmt.Sprintf("%#v", v), true
}

// collision is a key that Go holds apart from an earlier key of its mapping (text and a boolean,
// an integer and a float: `"true"` and `true`, `1` and `1.0`) but that sigs.k8s.io/yaml makes the
// same key of the JSON kubectl sends: kubectl keeps one of the two values, the one Go's map order
// puts last. The strict reading says nothing of it; the keys are given as written.
type collision struct {
	Line      int    `json:"line"`
	Key       string `json:"key"`
	FirstLine int    `json:"firstLine"`
	First     string `json:"first"`
	JSON      string `json:"json"`
}

// nonTextKey says whether a chunk may have a plain key that YAML 1.1 reads as no text (a boolean
// or a number), at the start of a line (after `- ` items) or after `{` or `,`: only such a chunk
// can have keys that collide (collisions). Nearly every chunk has none, and is read no further.
func nonTextKey(p []byte) bool {
	n := len(p)
	for i := 0; i < n; i++ {
		if i > 0 && p[i-1] != '\n' && p[i-1] != '{' && p[i-1] != ',' {
			continue
		}
		j := i
		for j < n && (p[j] == ' ' || p[j] == '\t' || (p[j] == '-' && j+1 < n && p[j+1] == ' ')) {
			j++
		}
		start := j
		for j < n && strings.IndexByte(":\n#{}[],\"'", p[j]) < 0 {
			j++
		}
		if j >= n || p[j] != ':' || (j+1 < n && p[j+1] != ' ' && p[j+1] != '\t' && p[j+1] != '\n' && p[j+1] != '\r') {
			continue
		}
		token := bytes.TrimRight(p[start:j], " \t")
		if len(token) == 0 {
			continue
		}
		if boolWords[string(token)] {
			return true
		}
		if strings.IndexByte("0123456789+-.", token[0]) < 0 {
			continue
		}
		var v interface{}
		if yaml2.Unmarshal(token, &v) == nil {
			if _, text := v.(string); !text {
				return true
			}
		}
	}
	return false
}

// boolWords are the words YAML 1.1 reads as booleans (go-yaml v2's resolve table).
var boolWords = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"true": true, "True": true, "TRUE": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"off": true, "Off": true, "OFF": true, "false": true, "False": true, "FALSE": true,
}

// collisions finds the keys of each mapping that collide in JSON (collision), after the first.
func collisions(p []byte) []collision {
	var doc yaml3.Node
	if err := yaml3.Unmarshal(p, &doc); err != nil {
		return nil
	}
	var out []collision
	seen := map[*yaml3.Node]bool{}
	var walk func(n *yaml3.Node)
	walk = func(n *yaml3.Node) {
		if n == nil || seen[n] || n.Kind == yaml3.AliasNode {
			return
		}
		seen[n] = true
		if n.Kind == yaml3.MappingNode {
			type held struct {
				identity string
				key      *yaml3.Node
			}
			byJSON := map[string]held{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if isMergeKey(k) || k.Kind != yaml3.ScalarNode {
					continue
				}
				v, ok := value11(k)
				if !ok {
					continue
				}
				name, ok := jsonKeyOf(v)
				if !ok {
					continue
				}
				identity := fmt.Sprintf("%T %#v", v, v)
				if prev, found := byJSON[name]; !found {
					byJSON[name] = held{identity, k}
				} else if prev.identity != identity {
					out = append(out, collision{Line: k.Line, Key: written(k), FirstLine: prev.key.Line, First: written(prev.key), JSON: name})
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return out
}

// value11 is a scalar key's value as kubectl's YAML 1.1 reading (go-yaml v2) makes it.
func value11(k *yaml3.Node) (interface{}, bool) {
	if k.Style&(yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) != 0 {
		return k.Value, true
	}
	text := k.Value
	if k.Style&yaml3.TaggedStyle != 0 {
		text = k.Tag + " " + text
	}
	var v interface{}
	if err := yaml2.Unmarshal([]byte(text), &v); err != nil {
		return nil, false
	}
	return v, true
}

// jsonKeyOf is the key sigs.k8s.io/yaml makes of a YAML key (convertToJSONableObject), or false
// for one it refuses.
func jsonKeyOf(v interface{}) (string, bool) {
	switch k := v.(type) {
	case string:
		return k, true
	case int:
		return strconv.Itoa(k), true
	case int64:
		return strconv.FormatInt(k, 10), true
	case float64:
		s := strconv.FormatFloat(k, 'g', -1, 32)
		switch s {
		case "+Inf":
			s = ".inf"
		case "-Inf":
			s = "-.inf"
		case "NaN":
			s = ".nan"
		}
		return s, true
	case bool:
		return strconv.FormatBool(k), true
	}
	return "", false
}

// written is a scalar key as it is written, near enough for a message: quoted as it was.
func written(k *yaml3.Node) string {
	switch {
	case k.Style&yaml3.DoubleQuotedStyle != 0:
		return strconv.Quote(k.Value)
	case k.Style&yaml3.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(k.Value, "'", "''") + "'"
	}
	return k.Value
}
