package main

// The -kubectl-apply mode: what `kubectl apply` (client-side, as `kubectl apply -k` and Argo CD's
// default sync run it) sends for an object, so that `strata verify` can send the same requests to
// its server. A server-side apply keeps what the server defaulted and the applied config no longer
// names (a Deployment's spec.strategy.rollingUpdate once its strategy turns Recreate), and the server
// then refuses the update; kubectl's three-way patch removes it ($retainKeys), and the update passes.
//
// One request per line on stdin, one answer per line on stdout, in order:
//
//	{"id":1,"object":{...}}                 -> {"id":1,"body":{...}}  the object kubectl creates, with its last-applied annotation
//	{"id":2,"object":{...},"live":{...}}    -> {"id":2,"patch":{...},"type":"application/strategic-merge-patch+json"}
//	                                           (a patch of {} is sent by no one: kubectl leaves the object as it is)
//	anything kubectl refuses to compute     -> {"id":3,"error":"..."}
//
// The code follows k8s.io/kubectl v0.36.3: pkg/util/apply.go (GetModifiedConfiguration,
// GetOriginalConfiguration) and pkg/cmd/apply/patcher.go (patchSimple without OpenAPI, that is with
// the built-in types' patch strategies, and a JSON merge patch for kinds the scheme does not know).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/scheme"
)

type applyRequest struct {
	ID     json.RawMessage `json:"id"`
	Object json.RawMessage `json:"object"`
	Live   json.RawMessage `json:"live,omitempty"`
}

type applyAnswer struct {
	ID    json.RawMessage `json:"id"`
	Body  json.RawMessage `json:"body,omitempty"`
	Patch json.RawMessage `json:"patch,omitempty"`
	Type  string          `json:"type,omitempty"`
	Error string          `json:"error,omitempty"`
}

var metadataAccessor = meta.NewAccessor()

// modifiedConfiguration is kubectl's GetModifiedConfiguration(obj, true, UnstructuredJSONScheme):
// the object with its own JSON (without the annotation, ending in a newline) as the
// last-applied-configuration annotation.
func modifiedConfiguration(obj runtime.Object) ([]byte, error) {
	annots, err := metadataAccessor.Annotations(obj)
	if err != nil {
		return nil, err
	}
	if annots == nil {
		annots = map[string]string{}
	}
	delete(annots, v1.LastAppliedConfigAnnotation)
	if err := metadataAccessor.SetAnnotations(obj, annots); err != nil {
		return nil, err
	}
	modified, err := runtime.Encode(unstructured.UnstructuredJSONScheme, obj)
	if err != nil {
		return nil, err
	}
	annots[v1.LastAppliedConfigAnnotation] = string(modified)
	if err := metadataAccessor.SetAnnotations(obj, annots); err != nil {
		return nil, err
	}
	return runtime.Encode(unstructured.UnstructuredJSONScheme, obj)
}

// kubectlApply answers one request.
func kubectlApply(r applyRequest) applyAnswer {
	a := applyAnswer{ID: r.ID}
	obj, err := runtime.Decode(unstructured.UnstructuredJSONScheme, r.Object)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	modified, err := modifiedConfiguration(obj)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	if len(r.Live) == 0 {
		a.Body = modified
		return a
	}
	live, err := runtime.Decode(unstructured.UnstructuredJSONScheme, r.Live)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	current, err := runtime.Encode(unstructured.UnstructuredJSONScheme, live)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	var original []byte
	if annots, err := metadataAccessor.Annotations(live); err == nil {
		if o, ok := annots[v1.LastAppliedConfigAnnotation]; ok {
			original = []byte(o)
		}
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	var patch []byte
	versioned, err := scheme.Scheme.New(gvk)
	switch {
	case err == nil:
		a.Type = string(types.StrategicMergePatchType)
		lookup, err := strategicpatch.NewPatchMetaFromStruct(versioned)
		if err == nil {
			// Overwrite: kubectl apply's default (--overwrite=true).
			patch, err = strategicpatch.CreateThreeWayMergePatch(original, modified, current, lookup, true)
		}
		if err != nil {
			a.Error = err.Error()
			return a
		}
	case runtime.IsNotRegisteredError(err):
		a.Type = string(types.MergePatchType)
		patch, err = jsonmergepatch.CreateThreeWayJSONMergePatch(original, modified, current,
			mergepatch.RequireKeyUnchanged("apiVersion"), mergepatch.RequireKeyUnchanged("kind"), mergepatch.RequireMetadataKeyUnchanged("name"))
		if err != nil {
			if mergepatch.IsPreconditionFailed(err) {
				a.Error = "At least one of apiVersion, kind and name was changed"
			} else {
				a.Error = err.Error()
			}
			return a
		}
	default:
		a.Error = fmt.Sprintf("getting instance of versioned object for %v: %v", gvk, err)
		return a
	}
	a.Patch = patch
	return a
}

// serveKubectlApply answers the requests of stdin until its end.
func serveKubectlApply(stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewReader(stdin)
	out := bufio.NewWriter(stdout)
	for {
		line, readErr := in.ReadBytes('\n')
		if trimmed := strings.TrimSpace(string(line)); trimmed != "" {
			var r applyRequest
			var a applyAnswer
			if err := json.Unmarshal([]byte(trimmed), &r); err != nil || len(r.ID) == 0 || len(r.Object) == 0 {
				a = applyAnswer{ID: json.RawMessage("null"), Error: fmt.Sprintf("unreadable request line: %v", err)}
			} else {
				a = kubectlApply(r)
			}
			encoded, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if _, err := out.Write(append(encoded, '\n')); err != nil {
				return err
			}
			if err := out.Flush(); err != nil {
				return err
			}
		}
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return readErr
		}
	}
}
