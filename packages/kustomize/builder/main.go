// Command strata-kustomize-builder builds many kustomizations in one process.
//
// Starting a `kustomize build` process costs about 90 ms, while building a typical overlay in
// process costs a few milliseconds; with 1,500 overlays the process starts are nearly all of the
// time. This program links the same kustomize library as the pinned kustomize v5.8.1 CLI
// (sigs.k8s.io/kustomize/api v0.21.1) and sets it up the way `kustomize build DIR` does without
// flags, so its output is byte-identical to the CLI's; a test in packages/kustomize proves that on
// every overlay of the repository.
//
// Usage:
//
//	strata-kustomize-builder [-j N] [DIR...]
//
// With no DIR arguments it reads one directory per line from stdin and starts building as soon as
// a line arrives. Paths are relative to the working directory. A line may instead be a JSON object,
// {"overlay":"overlays/dev/app","files":{"base/app/kustomization.yaml":"...",...}}: the overlay is
// then built from those files alone, held in memory (paths relative to the same root), so a caller
// that has just rendered a tree can build it before, or without, writing it. Without "files" it is
// built from disk; "origins": true adds the origin of each object (origins.go). A request may name
// several folders of one tree instead, {"overlays":["overlays/dev/app","overlays/prod/app"],"files":{...}}:
// they are built one after the other from one copy of the files, so a base that every env's overlay
// reads is sent, decoded and held once. For every directory it writes one JSON line to stdout, in
// completion order:
//
//	{"overlay":"overlays/dev/app","ok":true,"yaml":"...","millis":3.1}
//	{"overlay":"overlays/dev/bad","ok":false,"yaml":"","error":"...","millis":0.4}
//
// The YAML is written by asYAML (yaml.go), byte for byte as kustomize's ResMap.AsYaml writes it
// but without its text, JSON and re-parse round trip wherever the result is certain. At 500 apps
// (1,500 overlays) on 2 cores that cut the builder's CPU from about 19.9 s to 14.6 s (user+sys,
// median of runs), the writing itself from 6.7 s to 1.7 s by profile.
//
// Limitation: a kustomization with an `openapi:` field swaps kyaml's process-wide schema, which in
// one long-lived process would leak into other builds. Strata never emits that field; build such
// trees with the kustomize CLI.
//
// Exit status: 0 when every directory built, 1 when any failed (its line says why), 2 on a usage
// or output error.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// request is one overlay to build: from disk, or from the given files when Files is set.
type request struct {
	Overlay string `json:"overlay"`
	// Overlays, instead of Overlay: several folders built from the same files.
	Overlays []string          `json:"overlays"`
	Files    map[string]string `json:"files"`
	// Origins asks for the origin of each object (origins.go).
	Origins bool `json:"origins"`
}

type result struct {
	Overlay string  `json:"overlay"`
	OK      bool    `json:"ok"`
	YAML    string  `json:"yaml"`
	Error   string  `json:"error,omitempty"`
	Millis  float64 `json:"millis"`
	// Origins, when asked for: one per object of YAML, in order; null where kustomize tracks none.
	Origins []*origin `json:"origins,omitempty"`
}

// options mirrors `kustomize build DIR` in v5.8.1 without flags (commands/build.HonorKustomizeFlags):
// an unset --reorder is ReorderOptionUnspecified, which applies the legacy order unless the
// kustomization has its own sortOptions (forcing ReorderOptionLegacy would do the same but log a
// warning for such kustomizations); --load-restrictor defaults to RootOnly; plugins and Helm are off
// and the managed-by label is added only when KUSTOMIZE_ENABLE_MANAGEDBY_LABEL=on. That label (also
// asked for by `buildMetadata: [managedByLabel]`) names kustomize's provenance version, which the CLI
// takes from its own module version; scripts/setup.mjs sets it here with -ldflags -X to the pinned
// CLI's version, as this module is not kustomize's.
func options() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	o.PluginConfig.HelmConfig.Enabled = false
	o.PluginConfig.HelmConfig.Command = "helm"
	o.AddManagedbyLabel = os.Getenv("KUSTOMIZE_ENABLE_MANAGEDBY_LABEL") == "on"
	return o
}

// build runs the kustomization at path in fs, reported as dir; name turns a path read into the one
// its errors show. A panic inside kustomize becomes that directory's error instead
// of ending the process, and with it every other build in flight.
func build(fs filesys.FileSystem, dir, path string, name func(string) string, origins bool) (r result) {
	started := time.Now()
	r.Overlay = dir
	defer func() {
		if p := recover(); p != nil {
			r = result{Overlay: dir, Error: fmt.Sprintf("kustomize panicked: %v", p)}
		}
		r.Millis = float64(time.Since(started).Microseconds()) / 1000
	}()
	guarded := &guardedFS{FileSystem: fs, name: name}
	if origins {
		if abs, err := filepath.Abs(path); err == nil {
			guarded.originsIn = filepath.Clean(abs)
		}
	}
	m, err := krusty.MakeKustomizer(options()).Run(guarded, path)
	if refused := guarded.firstRefusal(); refused != nil {
		// Said alone: kustomize's wrapping would bury it in its retries of the path as a folder.
		r.Error = refused.Error()
		return r
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if guarded.originsIn != "" {
		guarded.mu.Lock()
		asked := guarded.asked
		guarded.mu.Unlock()
		if r.Origins, err = originsOf(m, asked); err != nil {
			r.Error = err.Error()
			return r
		}
	}
	yml, err := asYAML(m)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK = true
	r.YAML = string(yml)
	return r
}

func main() {
	workers := flag.Int("j", runtime.NumCPU(), "overlays built at the same time")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: strata-kustomize-builder [-j N] [DIR...]  (no DIR: one per line on stdin)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *workers < 1 {
		fmt.Fprintln(os.Stderr, "strata-kustomize-builder: -j must be at least 1")
		os.Exit(2)
	}

	// kustomize allocates a lot and keeps little: a build's objects are garbage once its YAML is
	// written, and the live heap stays around 30 MB. Collecting only when the heap has grown elevenfold,
	// or reaches 300 MiB, spends a fraction of the default's time in the collector (1,500 overlays on
	// 2 cores: 3.3 s instead of 4.5 s). GOGC or GOMEMLIMIT, when set, still decide.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(1000)
		debug.SetMemoryLimit(300 << 20)
	}

	// kyaml parses its built-in OpenAPI schema into package-level maps on first use and reads them
	// without a lock afterwards (openapi.IsNamespaceScoped), so two builds racing through that first
	// use can crash the process. Parse it once before any worker starts; later reads only read.
	// The answers do not change: built-in kinds come from a precomputed table either way, and
	// custom resources are absent from the built-in schema either way.
	openapi.SchemaForResourceType(yaml.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"})

	// Requests are read as they come, whatever is still being built: a caller that writes them
	// between long stretches of its own work (the pipeline, while it plans and writes the tree)
	// could otherwise send the rest only when it next looks at the pipe, and the workers would wait.
	dirs := make(chan string, 1<<14)
	go func() {
		defer close(dirs)
		if flag.NArg() > 0 {
			for _, d := range flag.Args() {
				dirs <- d
			}
			return
		}
		in := bufio.NewScanner(os.Stdin)
		// A request with its files is one line: allow large trees.
		in.Buffer(make([]byte, 64*1024), 256*1024*1024)
		for in.Scan() {
			if d := strings.TrimSpace(in.Text()); d != "" {
				dirs <- d
			}
		}
		// A request too large to read ends the builder: its message names why, for the caller to show.
		if err := in.Err(); err != nil {
			fmt.Fprintf(os.Stderr, "strata-kustomize-builder: reading requests: %v\n", err)
			os.Exit(2)
		}
	}()

	// Built overlays wait here, not in the workers, while the caller is busy and the pipe to it is
	// full: the workers go on building (a caller that reads between long stretches of its own work,
	// as the pipeline does while it plans and writes the tree, would otherwise stop them).
	results := make(chan result, 1024)
	var wg sync.WaitGroup
	fs := filesys.MakeFsOnDisk()
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range dirs {
				buildLine(fs, d, results)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	failed := false
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for r := range results {
		if !r.OK {
			failed = true
		}
		if err := enc.Encode(r); err != nil {
			exitWriteError(err)
		}
		// Flush per result so the caller can use each one as it arrives, not when all are done.
		if err := out.Flush(); err != nil {
			exitWriteError(err)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// buildLine builds what one input line asks for (a directory on disk, or a JSON request with the
// files of one or more overlays) and sends a result for each directory as it is built.
func buildLine(disk filesys.FileSystem, line string, results chan<- result) {
	if !strings.HasPrefix(line, "{") {
		results <- build(disk, line, line, relativeToWorkingDir, false)
		return
	}
	var req request
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		// No overlay to answer for: the caller reports it as unanswered, with this message.
		fmt.Fprintf(os.Stderr, "strata-kustomize-builder: unreadable request: %v\n", err)
		results <- result{Error: fmt.Sprintf("unreadable request: %v", err)}
		return
	}
	overlays := req.Overlays
	if len(overlays) == 0 {
		overlays = []string{req.Overlay}
	}
	if req.Files == nil {
		for _, o := range overlays {
			results <- build(disk, o, o, relativeToWorkingDir, req.Origins)
		}
		return
	}
	mem := filesys.MakeFsInMemory()
	for name, content := range req.Files {
		if err := mem.WriteFile(filepath.Join("/", name), []byte(content)); err != nil {
			for _, o := range overlays {
				results <- result{Overlay: o, Error: fmt.Sprintf("%s: %v", name, err)}
			}
			return
		}
	}
	// A build only reads the tree, so the overlays share it.
	inMemory := func(p string) string { return strings.TrimPrefix(p, "/") }
	for _, o := range overlays {
		results <- build(mem, o, filepath.Join("/", o), inMemory, req.Origins)
	}
}

// relativeToWorkingDir names a file read from disk as the caller knows it: relative to the working
// directory, which is the root its overlay paths are relative to.
func relativeToWorkingDir(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

func exitWriteError(err error) {
	fmt.Fprintf(os.Stderr, "strata-kustomize-builder: writing results: %v\n", err)
	os.Exit(2)
}
