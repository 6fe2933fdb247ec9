package main

// Alias bombs: a few hundred bytes of YAML whose aliases expand into billions of nodes.
//
// kubectl reads manifests with sigs.k8s.io/yaml over go-yaml, whose decoder counts the nodes it
// builds inside aliases and fails with "document contains excessive aliasing" once they outnumber
// the rest beyond a ratio. kustomize's reader does not decode: it parses files into yaml.v3 nodes
// and then copies every alias's target in place (kyaml's RNode.DeAnchor), with no limit, so one
// such file makes the builder (and the kustomize CLI) allocate until the process dies, taking every
// other build in flight with it. guardedFS refuses such a file before kustomize reads it, by the
// same rule kubectl applies: a document that has aliases is decoded once with go-yaml's yaml.v3
// decoder (the same ratio and limits as the yaml.v2 one sigs.k8s.io/yaml uses), and only a refusal
// for excessive aliasing is acted on; every other error is left for kustomize to report in its words.
// ../src/aliases.ts makes the same refusal for the kustomize engine, by the same count: change both
// together.

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"sync"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// guardedFS is the file system one build reads through: every file kustomize reads is checked for
// alias bombs first. The first refusal is kept, since kustomize wraps (and, trying a path as a file
// and then as a folder, sometimes replaces) the error its read returns.
type guardedFS struct {
	filesys.FileSystem
	// name turns a path kustomize reads into the one the user knows (relative to the root).
	name    func(string) string
	mu      sync.Mutex
	refused error
	// originsIn, when set, is the folder built with origins (origins.go): its kustomization is read
	// as asking for them; asked says whether it did so itself.
	originsIn string
	asked     bool
}

func (g *guardedFS) ReadFile(p string) ([]byte, error) {
	data, err := g.FileSystem.ReadFile(p)
	if err != nil {
		return data, err
	}
	if line, bomb := aliasBomb(data, isKustomization(p)); bomb {
		refusal := fmt.Errorf("%s:%d: not valid YAML: its aliases expand into an enormous document (an alias bomb); kubectl refuses it (excessive aliasing): write the repeated values out instead of aliasing them", g.name(p), line)
		g.mu.Lock()
		if g.refused == nil {
			g.refused = refusal
		}
		g.mu.Unlock()
		return nil, refusal
	}
	if isRootKustomization(p, g.originsIn) {
		with, asked := withOriginAnnotations(data)
		g.mu.Lock()
		g.asked = asked
		g.mu.Unlock()
		return with, nil
	}
	return data, nil
}

// firstRefusal is the refusal that stopped the build, if any.
func (g *guardedFS) firstRefusal() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}

// isKustomization says whether the file is a kustomization, whose inline patches are YAML too.
func isKustomization(p string) bool {
	switch path.Base(p) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// aliasBomb says whether a document of data is refused by go-yaml's decoder for excessive aliasing,
// and the line of that document. With inline set, the strings of the file that are YAML themselves
// (a kustomization's inline patches) are checked too, at their own line.
func aliasBomb(data []byte, inline bool) (int, bool) {
	// An alias needs an anchor: a file without both characters (nearly every file) costs one scan.
	if bytes.IndexByte(data, '&') < 0 || bytes.IndexByte(data, '*') < 0 {
		return 0, false
	}
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml3.Node
		if err := dec.Decode(&doc); err != nil {
			// The end, or text kustomize will refuse with its own message.
			return 0, false
		}
		if hasAlias(&doc) {
			var v interface{}
			if err := doc.Decode(&v); err != nil && strings.Contains(err.Error(), "excessive aliasing") {
				return firstLine(&doc), true
			}
		}
		if inline {
			if line, bomb := inlineBomb(&doc); bomb {
				return line, true
			}
		}
	}
}

// hasAlias says whether an alias appears anywhere under n; the walk does not follow aliases.
func hasAlias(n *yaml3.Node) bool {
	if n.Kind == yaml3.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// inlineBomb checks every string under n that could hold an alias bomb of its own.
func inlineBomb(n *yaml3.Node) (int, bool) {
	if n.Kind == yaml3.ScalarNode && strings.Contains(n.Value, "&") && strings.Contains(n.Value, "*") {
		if line, bomb := aliasBomb([]byte(n.Value), false); bomb {
			// The string's own line, plus the line within it when it is a block below its key.
			if n.Style&(yaml3.LiteralStyle|yaml3.FoldedStyle) != 0 {
				return n.Line + line, true
			}
			return n.Line, true
		}
		return 0, false
	}
	for _, c := range n.Content {
		if line, bomb := inlineBomb(c); bomb {
			return line, true
		}
	}
	return 0, false
}

// firstLine is the line a document's content starts on.
func firstLine(doc *yaml3.Node) int {
	if len(doc.Content) > 0 {
		return doc.Content[0].Line
	}
	return doc.Line
}
