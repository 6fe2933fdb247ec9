package main

// Custom resources, checked the way kube-apiserver v1.36.3 checks them on create once their
// CustomResourceDefinition is installed: the apiextensions-apiserver's own code, from the module
// version k8s.io/kubernetes v1.36.3 pins.
//
// A CRD is registered with a request {"id":...,"crd":{...}}: it is checked first as the server checks
// a CRD on create (its registry strategy: defaulting, ValidateCustomResourceDefinition, which refuses
// a schema that is not structural, a CEL rule that does not compile or costs too much), and only a CRD
// the server would store is registered. Objects read after it are checked against it; objects already
// read are not (each request takes the registry as it was when the request was read).
//
// A custom resource then goes through what the server's custom resource handler does:
//
//  1. decode the JSON (a duplicate field is a strict decoding error);
//  2. the schema coercion of the handler's decoder: ObjectMeta read and coerced, pruning of every
//     field the structural schema of the object's version does not know (each one an "unknown field"
//     error, as with fieldValidation=Strict), nulls dropped where the schema allows none;
//  3. the structural defaulting of that version;
//  4. rest.BeforeCreate with the handler's customresource strategy: type and object metadata
//     validation (the name a DNS subdomain), the OpenAPI schema validation, the embedded resources,
//     list sets and maps, and the x-kubernetes-validations CEL rules within the server's cost limits.
//
// An apiVersion whose version the CRD does not serve is refused: the server answers 404.

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	kjson "sigs.k8s.io/json"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition"
)

// crdVersion is what the server builds to serve one version of a CRD.
type crdVersion struct {
	served     bool
	structural *structuralschema.Structural
	strategy   rest.RESTCreateStrategy
}

// The kind of a CustomResourceDefinition, which is checked when it is registered.
var crdGroupKind = apiextensionsv1.Kind("CustomResourceDefinition")

// crdInfo is one registered CRD.
type crdInfo struct {
	name, plural    string
	namespaceScoped bool
	versions        map[string]*crdVersion
	// The versions it serves, in the CRD's order, for the refusal of any other.
	served []string
}

// The registered CRDs by group and kind. Replaced whole on each registration, never changed in
// place: a request holds the map that was current when it was read.
var crdRegistry atomic.Pointer[map[schema.GroupKind]*crdInfo]

var (
	crdScheme  = runtime.NewScheme()
	crdDecoder runtime.Decoder
	// The server decodes a custom resource into unstructured content and judges it from there; the
	// typer only has to recognise that content.
	crTyper = unstructuredTyper{}
)

func init() {
	empty := map[schema.GroupKind]*crdInfo{}
	crdRegistry.Store(&empty)
	install.Install(crdScheme)
	metav1.AddToGroupVersion(crdScheme, schema.GroupVersion{Version: "v1"})
	codecs := serializer.NewCodecFactory(crdScheme)
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok || info.StrictSerializer == nil {
		panic("no strict JSON serializer for CustomResourceDefinitions")
	}
	crdDecoder = codecs.DecoderToVersion(info.StrictSerializer, runtime.InternalGroupVersioner)
}

// unstructuredTyper gives an unstructured object its own apiVersion and kind, as the server's
// typer for custom resources does.
type unstructuredTyper struct{}

func (unstructuredTyper) ObjectKinds(obj runtime.Object) ([]schema.GroupVersionKind, bool, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" {
		return nil, false, fmt.Errorf("the object has no kind")
	}
	return []schema.GroupVersionKind{gvk}, false, nil
}

func (unstructuredTyper) Recognizes(schema.GroupVersionKind) bool { return true }

// registerCRD checks a CRD as the server does on create and, when the server would store it,
// registers it for the objects read after it.
func registerCRD(raw json.RawMessage) (a answer) {
	a.Errors = []fieldError{}
	a.Warnings = []string{}
	a.Checked = true
	defer func() {
		if r := recover(); r != nil {
			a.Errors = []fieldError{{Type: "InternalError", Message: fmt.Sprintf("the server's validation panicked: %v", r)}}
		}
	}()
	gvk := apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")
	a.Errors = append(a.Errors, applyRefusals(raw)...)
	obj, _, err := crdDecoder.Decode(raw, &gvk, nil)
	if err != nil {
		if strict, ok := runtime.AsStrictDecodingError(err); ok && obj != nil {
			for _, e := range strict.Errors() {
				a.Errors = append(a.Errors, strictError(e))
			}
		} else {
			a.Errors = append(a.Errors, fieldError{Type: "FieldValueInvalid", Message: cleanDecodeMessage(err.Error())})
			return a
		}
	}
	crd, ok := obj.(*apiextensionsinternal.CustomResourceDefinition)
	if !ok {
		a.Errors = append(a.Errors, fieldError{Type: "FieldValueInvalid", Message: fmt.Sprintf("not a CustomResourceDefinition: %T", obj)})
		return a
	}
	create(&a, crd, apiextensionsv1.SchemeGroupVersion, "customresourcedefinitions", customresourcedefinition.NewStrategy(crdScheme), nil)
	if len(a.Errors) > 0 {
		return a
	}
	v1crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := crdScheme.Convert(crd, v1crd, nil); err != nil {
		a.Errors = append(a.Errors, fieldError{Type: "InternalError", Message: err.Error()})
		return a
	}
	info, err := serveCRD(v1crd)
	if err != nil {
		a.Errors = append(a.Errors, fieldError{Type: "InternalError", Message: err.Error()})
		return a
	}
	old := *crdRegistry.Load()
	next := make(map[schema.GroupKind]*crdInfo, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[schema.GroupKind{Group: v1crd.Spec.Group, Kind: v1crd.Spec.Names.Kind}] = info
	crdRegistry.Store(&next)
	return a
}

// serveCRD builds, per version, what the server's custom resource handler builds to serve it
// (customresource_handler.go, getOrCreateServingInfoFor).
func serveCRD(crd *apiextensionsv1.CustomResourceDefinition) (*crdInfo, error) {
	info := &crdInfo{
		name:            crd.Name,
		plural:          crd.Spec.Names.Plural,
		namespaceScoped: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		versions:        map[string]*crdVersion{},
	}
	for _, v := range crd.Spec.Versions {
		cv := &crdVersion{served: v.Served}
		info.versions[v.Name] = cv
		if v.Served {
			info.served = append(info.served, v.Name)
		}
		val, err := apihelpers.GetSchemaForVersion(crd, v.Name)
		if err != nil {
			return nil, err
		}
		var internalSchema *apiextensionsinternal.JSONSchemaProps
		if val != nil {
			internal := &apiextensionsinternal.CustomResourceValidation{}
			if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
				return nil, err
			}
			internalSchema = internal.OpenAPIV3Schema
			s, err := structuralschema.NewStructural(internalSchema)
			if err != nil {
				return nil, fmt.Errorf("version %s: the schema is not structural: %v", v.Name, err)
			}
			s = s.DeepCopy()
			if err := structuraldefaulting.PruneDefaults(s); err != nil {
				return nil, fmt.Errorf("version %s: %v", v.Name, err)
			}
			cv.structural = s
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internalSchema)
		if err != nil {
			return nil, err
		}
		var statusSpec *apiextensionsinternal.CustomResourceSubresourceStatus
		var statusValidator apiservervalidation.SchemaValidator
		var scaleSpec *apiextensionsinternal.CustomResourceSubresourceScale
		subresources, err := apihelpers.GetSubresourcesForVersion(crd, v.Name)
		if err != nil {
			return nil, err
		}
		if subresources != nil && subresources.Status != nil {
			statusSpec = &apiextensionsinternal.CustomResourceSubresourceStatus{}
			if internalSchema != nil && internalSchema.Properties != nil {
				if statusSchema, ok := internalSchema.Properties["status"]; ok {
					if statusValidator, _, err = apiservervalidation.NewSchemaValidator(&statusSchema); err != nil {
						return nil, err
					}
				}
			}
		}
		if subresources != nil && subresources.Scale != nil {
			scaleSpec = &apiextensionsinternal.CustomResourceSubresourceScale{}
			if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(subresources.Scale, scaleSpec, nil); err != nil {
				return nil, err
			}
		}
		kind := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		cv.strategy = customresource.NewStrategy(crTyper, info.namespaceScoped, kind, validator, statusValidator, cv.structural, statusSpec, scaleSpec, v.SelectableFields)
	}
	return info, nil
}

// checkCustomResource judges one custom resource of a registered CRD.
func checkCustomResource(raw json.RawMessage, gv schema.GroupVersion, kind string, crd *crdInfo) (a answer) {
	a.Checked = true
	a.Errors = []fieldError{}
	a.Warnings = []string{}
	defer func() {
		// The server's error for the object as a whole has no path, which prints as "<nil>".
		for i := range a.Errors {
			if a.Errors[i].Field == "<nil>" {
				a.Errors[i].Field = ""
			}
		}
	}()
	v := crd.versions[gv.Version]
	if v == nil || !v.served {
		a.Errors = append(a.Errors, fieldError{
			Field: "apiVersion",
			Type:  "FieldValueNotSupported",
			Message: fmt.Sprintf("Unsupported value: %q: the CustomResourceDefinition %s serves %s only %s; the server answers 404 (not found)",
				gv.String(), crd.name, kind, servedList(gv.Group, crd.served)),
		})
		return a
	}
	var content map[string]interface{}
	strictErrs, err := kjson.UnmarshalStrict(raw, &content, kjson.DisallowDuplicateFields)
	if err != nil || content == nil {
		a.Errors = append(a.Errors, fieldError{Type: "FieldValueInvalid", Message: fmt.Sprintf("not a JSON object: %v", err)})
		return a
	}
	a.Errors = append(a.Errors, applyRefusals(raw)...)
	for _, e := range strictErrs {
		a.Errors = append(a.Errors, strictError(e))
	}
	u := &unstructured.Unstructured{Object: content}
	unknown, err := coerce(u, v.structural)
	if err != nil {
		var fe *field.Error
		if errors.As(err, &fe) {
			a.Errors = append(a.Errors, fieldError{Field: fe.Field, Type: string(fe.Type), Message: fe.ErrorBody()})
		} else {
			a.Errors = append(a.Errors, fieldError{Type: "FieldValueInvalid", Message: err.Error()})
		}
		return a
	}
	sort.Strings(unknown)
	for _, path := range unknown {
		a.Errors = append(a.Errors, fieldError{Field: path, Type: "UnknownField", Message: "unknown field (strict field validation)"})
	}
	if v.structural != nil {
		structuraldefaulting.Default(u.Object, v.structural)
	}

	create(&a, u, gv, crd.plural, v.strategy, nil)
	return a
}

// coerce is the schema coercion of the server's decoder for custom resources
// (customresource_handler.go, unstructuredSchemaCoercer.apply, with the unknown field paths that
// strict field validation asks for): the paths of the fields pruning drops, metadata's included.
func coerce(u *unstructured.Unstructured, s *structuralschema.Structural) ([]string, error) {
	kind, foundKind, err := unstructured.NestedString(u.Object, "kind")
	if err != nil {
		return nil, err
	}
	apiVersion, foundAPIVersion, err := unstructured.NestedString(u.Object, "apiVersion")
	if err != nil {
		return nil, err
	}
	objectMeta, foundObjectMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, err
	}
	if s != nil {
		unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
		structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, s)
		fieldErr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, s, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
		if fieldErr != nil {
			return nil, fieldErr
		}
		unknown = append(unknown, paths...)
	}
	if foundKind {
		u.SetKind(kind)
	}
	if foundAPIVersion {
		u.SetAPIVersion(apiVersion)
	}
	if foundObjectMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			return nil, err
		}
	}
	return unknown, nil
}

func servedList(group string, versions []string) string {
	if len(versions) == 0 {
		return "in no version"
	}
	out := make([]string, len(versions))
	for i, v := range versions {
		out[i] = group + "/" + v
	}
	return "at " + strings.Join(out, ", ")
}
