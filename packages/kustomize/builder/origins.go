package main

// Origins: which file of the tree each built object comes from, for a caller that reports a
// problem of a built object at its source (a resource file, a generator in a kustomization).
//
// kustomize tracks that for every object when the kustomization it builds asks for it
// (`buildMetadata: [originAnnotations]`), as a config.kubernetes.io/origin annotation. A request
// with "origins": true reads the kustomization it builds as if it asked so, answers the origin of
// each object in output order, and, unless the kustomization itself asked for the annotations,
// removes them again: the YAML is what `kustomize build` writes either way.

import (
	"path/filepath"

	"sigs.k8s.io/kustomize/api/resmap"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// origin is where one built object comes from: a file of the tree (Path, relative to the folder
// built), a remote repository, or the kustomization whose generator made it (ConfiguredIn).
type origin struct {
	Path         string `json:"path,omitempty"`
	Repo         string `json:"repo,omitempty"`
	ConfiguredIn string `json:"configuredIn,omitempty"`
}

// originsOf reads the origin of every object of m, in order, then removes the annotations unless
// keep: the kustomization asked for them itself.
func originsOf(m resmap.ResMap, keep bool) ([]*origin, error) {
	out := make([]*origin, 0, m.Size())
	for _, res := range m.Resources() {
		o, err := res.GetOrigin()
		if err != nil || o == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, &origin{Path: o.Path, Repo: o.Repo, ConfiguredIn: o.ConfiguredIn})
	}
	if !keep {
		if err := m.RemoveOriginAnnotations(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// withOriginAnnotations is the kustomization text with originAnnotations in its buildMetadata, and
// whether it had them already. A text kyaml cannot read is left as it is, for kustomize to refuse.
func withOriginAnnotations(data []byte) ([]byte, bool) {
	node, err := kyaml.Parse(string(data))
	if err != nil || node.YNode().Kind != kyaml.MappingNode {
		return data, false
	}
	list, err := node.Pipe(kyaml.Lookup("buildMetadata"))
	if err != nil {
		return data, false
	}
	if list == nil {
		if err := node.PipeE(kyaml.SetField("buildMetadata", kyaml.NewListRNode("originAnnotations"))); err != nil {
			return data, false
		}
	} else {
		if list.YNode().Kind != kyaml.SequenceNode {
			return data, false
		}
		for _, item := range list.Content() {
			if item.Value == "originAnnotations" {
				return data, true
			}
		}
		list.YNode().Content = append(list.YNode().Content, kyaml.NewStringRNode("originAnnotations").YNode())
	}
	text, err := node.String()
	if err != nil {
		return data, false
	}
	return []byte(text), false
}

// isRootKustomization says whether p is the kustomization file of the folder root.
func isRootKustomization(p, root string) bool {
	return root != "" && isKustomization(p) && filepath.Clean(filepath.Dir(p)) == root
}
