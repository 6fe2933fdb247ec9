// Command strata-server-validation checks Kubernetes objects the way kube-apiserver v1.36.3 checks
// them on create, without a server.
//
// The schemas that kubeconform uses describe types, not the rules the API server enforces: they
// accept `cpu: 100mm`, `replicas: -1`, a 16-character port name or a Deployment whose selector does
// not match its template, and a real server refuses every one of them. This program links the
// server's own code from k8s.io/kubernetes (the same module and version the project builds
// kube-apiserver from) and runs, for each object, what the server runs before anything is stored:
//
//  1. decode the JSON into the versioned Go type with the strict decoder (unknown and duplicate
//     fields are errors, as with fieldValidation=Strict) and the scheme's defaulting, then convert
//     it to the internal type: the codec the API server decodes request bodies with;
//  2. the registry's create hooks: the Service allocation of cluster IPs and node ports is
//     reproduced for a cluster with the given node port range (kube-apiserver's default unless
//     -service-node-port-range says otherwise), since it runs before validation and validation
//     expects its result;
//  3. rest.BeforeCreate with the resource's own registry strategy: PrepareForCreate (which drops
//     fields of disabled features), the strategy's Validate (the pkg/apis/<group>/validation
//     functions plus declarative validation where the server runs it), and the common metadata
//     validation, with the server's default feature gates, as a server started with
//     --allow-privileged=true (as `strata verify` starts its own, and as real clusters run) validates.
//
// Usage:
//
//	strata-server-validation [-j N] [-service-node-port-range FROM-TO]
//	strata-server-validation -kubectl-apply
//
// (The second form answers with the requests kubectl apply sends for an object: see apply.go.)
//
// It reads one request per line from stdin, {"id":<any JSON>,"object":{...}}, and writes one JSON
// line per request to stdout, in completion order:
//
//	{"id":1,"checked":true,"errors":[{"field":"spec.replicas","type":"FieldValueInvalid","message":"Invalid value: -1: must be greater than or equal to 0"}],"warnings":[]}
//	{"id":2,"checked":false,"reason":"monitoring.coreos.com/v1 ServiceMonitor is not a built-in kind"}
//
// `checked` is false for kinds this program does not know (custom resources without their CRD,
// versions the server does not serve by default) and for the kinds the server serves whose create
// needs a live cluster (those also carry "needsCluster":true): the caller validates those some
// other way. Field paths are the server's, in dotted form (`spec.template.spec.containers[0].name`).
//
// Exit status: 0 at the end of input, 2 on a usage or output error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/klog/v2"
	aggregatorscheme "k8s.io/kube-aggregator/pkg/apiserver/scheme"
	apiserviceregistry "k8s.io/kube-aggregator/pkg/registry/apiservice"
	kjson "sigs.k8s.io/json"

	"k8s.io/kubernetes/pkg/api/legacyscheme"
	apiservice "k8s.io/kubernetes/pkg/api/service"
	api "k8s.io/kubernetes/pkg/apis/core"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	resourceapi "k8s.io/kubernetes/pkg/apis/resource"
	"k8s.io/kubernetes/pkg/capabilities"
	"k8s.io/kubernetes/pkg/controlplane"

	_ "k8s.io/kubernetes/pkg/apis/admissionregistration/install"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/certificates/install"
	_ "k8s.io/kubernetes/pkg/apis/coordination/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/discovery/install"
	_ "k8s.io/kubernetes/pkg/apis/events/install"
	_ "k8s.io/kubernetes/pkg/apis/flowcontrol/install"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	_ "k8s.io/kubernetes/pkg/apis/node/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
	_ "k8s.io/kubernetes/pkg/apis/resource/install"
	_ "k8s.io/kubernetes/pkg/apis/scheduling/install"
	_ "k8s.io/kubernetes/pkg/apis/storage/install"

	"k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingadmissionpolicy"
	"k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingadmissionpolicybinding"
	mutatingwebhook "k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingwebhookconfiguration"
	"k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicy"
	"k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicybinding"
	validatingwebhook "k8s.io/kubernetes/pkg/registry/admissionregistration/validatingwebhookconfiguration"
	"k8s.io/kubernetes/pkg/registry/apps/controllerrevision"
	"k8s.io/kubernetes/pkg/registry/apps/daemonset"
	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/apps/replicaset"
	"k8s.io/kubernetes/pkg/registry/apps/statefulset"
	"k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	"k8s.io/kubernetes/pkg/registry/batch/cronjob"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/certificates/certificates"
	"k8s.io/kubernetes/pkg/registry/coordination/lease"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/endpoint"
	"k8s.io/kubernetes/pkg/registry/core/event"
	"k8s.io/kubernetes/pkg/registry/core/limitrange"
	"k8s.io/kubernetes/pkg/registry/core/namespace"
	"k8s.io/kubernetes/pkg/registry/core/node"
	"k8s.io/kubernetes/pkg/registry/core/persistentvolume"
	"k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim"
	"k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/kubernetes/pkg/registry/core/podtemplate"
	"k8s.io/kubernetes/pkg/registry/core/replicationcontroller"
	"k8s.io/kubernetes/pkg/registry/core/resourcequota"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/service/allocator"
	"k8s.io/kubernetes/pkg/registry/core/service/portallocator"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/discovery/endpointslice"
	"k8s.io/kubernetes/pkg/registry/flowcontrol/flowschema"
	"k8s.io/kubernetes/pkg/registry/flowcontrol/prioritylevelconfiguration"
	"k8s.io/kubernetes/pkg/registry/networking/ingress"
	"k8s.io/kubernetes/pkg/registry/networking/ingressclass"
	"k8s.io/kubernetes/pkg/registry/networking/ipaddress"
	"k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
	"k8s.io/kubernetes/pkg/registry/networking/servicecidr"
	"k8s.io/kubernetes/pkg/registry/node/runtimeclass"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	"k8s.io/kubernetes/pkg/registry/rbac/clusterrole"
	"k8s.io/kubernetes/pkg/registry/rbac/clusterrolebinding"
	"k8s.io/kubernetes/pkg/registry/rbac/role"
	"k8s.io/kubernetes/pkg/registry/rbac/rolebinding"
	"k8s.io/kubernetes/pkg/registry/resource/deviceclass"
	"k8s.io/kubernetes/pkg/registry/resource/resourceclaim"
	"k8s.io/kubernetes/pkg/registry/resource/resourceclaimtemplate"
	"k8s.io/kubernetes/pkg/registry/resource/resourceslice"
	"k8s.io/kubernetes/pkg/registry/scheduling/priorityclass"
	"k8s.io/kubernetes/pkg/registry/storage/csidriver"
	"k8s.io/kubernetes/pkg/registry/storage/csinode"
	"k8s.io/kubernetes/pkg/registry/storage/csistoragecapacity"
	"k8s.io/kubernetes/pkg/registry/storage/storageclass"
	"k8s.io/kubernetes/pkg/registry/storage/volumeattachment"
	"k8s.io/kubernetes/pkg/registry/storage/volumeattributesclass"
)

// kind is one resource the program validates: its group, kind, REST resource and create strategy.
type kind struct {
	group, kind, resource string
	strategy              rest.RESTCreateStrategy
	// The scheme its objects decode with; nil for the control plane's own (legacyscheme).
	api *apiScheme
}

// apiScheme is the codec of a group that kube-apiserver serves from another scheme than its own:
// apiregistration.k8s.io, served by the aggregator inside kube-apiserver.
type apiScheme struct {
	scheme  *runtime.Scheme
	decoder runtime.Decoder
	// The versions served by default.
	served map[string]bool
}

// The aggregator installs storage for apiregistration.k8s.io/v1 only (its v1beta1 is in the scheme
// and in its resource config, but nothing serves it: discovery lists v1 alone).
var aggregator = &apiScheme{scheme: aggregatorscheme.Scheme, decoder: strictDecoder(aggregatorscheme.Codecs), served: map[string]bool{"v1": true}}

// The strategies whose constructor asks for a live cluster's parts: the authorizer (nil skips the
// paramKind and paramRef authorization, as it is skipped for system:masters, the user of every
// check here), the policy getter of the bindings (used only by that authorization), and the
// namespace client of DRA's admin access check (see adminNamespaces).
var (
	validatingPolicyStrategy        = validatingadmissionpolicy.NewStrategy(nil, nil)
	validatingPolicyBindingStrategy = validatingadmissionpolicybinding.NewStrategy(nil, nil, nil)
	mutatingPolicyStrategy          = mutatingadmissionpolicy.NewStrategy(nil, nil)
	mutatingPolicyBindingStrategy   = mutatingadmissionpolicybinding.NewStrategy(nil, nil, nil)
	resourceClaimStrategy           = resourceclaim.NewStrategy(adminNamespaces{}, nil)
	resourceClaimTemplateStrategy   = resourceclaimtemplate.NewStrategy(adminNamespaces{})
)

// adminNamespaces answers DRA's admin access check (a device request with adminAccess: true is
// allowed only in a namespace labelled resource.kubernetes.io/admin-access: "true"): which labels a
// namespace has is the cluster's state, like whether the namespace exists, so every namespace is
// taken to allow it. The server's other checks of such a request still run.
type adminNamespaces struct {
	corev1client.NamespaceInterface
}

func (adminNamespaces) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Namespace, error) {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{resourceapi.DRAAdminNamespaceLabelKey: "true"}}}, nil
}

// kinds are the resources kube-apiserver v1.36.3 serves by default that can be created, each with
// the strategy its registry creates it with (the list its discovery gives, but for needsCluster).
var kinds = []kind{
	{"", "Pod", "pods", pod.Strategy, nil},
	{"", "Service", "services", service.Strategy, nil},
	{"", "ConfigMap", "configmaps", configmap.Strategy, nil},
	{"", "Secret", "secrets", secret.Strategy, nil},
	{"", "ServiceAccount", "serviceaccounts", serviceaccount.Strategy, nil},
	{"", "Namespace", "namespaces", namespace.Strategy, nil},
	{"", "PersistentVolumeClaim", "persistentvolumeclaims", persistentvolumeclaim.Strategy, nil},
	{"", "PersistentVolume", "persistentvolumes", persistentvolume.Strategy, nil},
	{"", "ReplicationController", "replicationcontrollers", replicationcontroller.Strategy, nil},
	{"", "PodTemplate", "podtemplates", podtemplate.Strategy, nil},
	{"", "Endpoints", "endpoints", endpoint.Strategy, nil},
	{"", "LimitRange", "limitranges", limitrange.Strategy, nil},
	{"", "ResourceQuota", "resourcequotas", resourcequota.Strategy, nil},
	{"", "Event", "events", event.Strategy, nil},
	{"", "Node", "nodes", node.Strategy, nil},
	// The same storage as the core Event: events.k8s.io is another view of it.
	{"events.k8s.io", "Event", "events", event.Strategy, nil},
	{"apps", "Deployment", "deployments", deployment.Strategy, nil},
	{"apps", "StatefulSet", "statefulsets", statefulset.Strategy, nil},
	{"apps", "DaemonSet", "daemonsets", daemonset.Strategy, nil},
	{"apps", "ReplicaSet", "replicasets", replicaset.Strategy, nil},
	{"apps", "ControllerRevision", "controllerrevisions", controllerrevision.Strategy, nil},
	{"batch", "Job", "jobs", job.Strategy, nil},
	{"batch", "CronJob", "cronjobs", cronjob.Strategy, nil},
	{"networking.k8s.io", "Ingress", "ingresses", ingress.Strategy, nil},
	{"networking.k8s.io", "IngressClass", "ingressclasses", ingressclass.Strategy, nil},
	{"networking.k8s.io", "NetworkPolicy", "networkpolicies", networkpolicy.Strategy, nil},
	{"networking.k8s.io", "ServiceCIDR", "servicecidrs", servicecidr.Strategy, nil},
	{"networking.k8s.io", "IPAddress", "ipaddresses", ipaddress.Strategy, nil},
	{"policy", "PodDisruptionBudget", "poddisruptionbudgets", poddisruptionbudget.Strategy, nil},
	{"rbac.authorization.k8s.io", "Role", "roles", role.Strategy, nil},
	{"rbac.authorization.k8s.io", "ClusterRole", "clusterroles", clusterrole.Strategy, nil},
	{"rbac.authorization.k8s.io", "RoleBinding", "rolebindings", rolebinding.Strategy, nil},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", clusterrolebinding.Strategy, nil},
	{"autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", horizontalpodautoscaler.Strategy, nil},
	{"scheduling.k8s.io", "PriorityClass", "priorityclasses", priorityclass.Strategy, nil},
	{"storage.k8s.io", "StorageClass", "storageclasses", storageclass.Strategy, nil},
	{"storage.k8s.io", "CSIDriver", "csidrivers", csidriver.Strategy, nil},
	{"storage.k8s.io", "VolumeAttributesClass", "volumeattributesclasses", volumeattributesclass.Strategy, nil},
	{"storage.k8s.io", "CSINode", "csinodes", csinode.Strategy, nil},
	{"storage.k8s.io", "CSIStorageCapacity", "csistoragecapacities", csistoragecapacity.Strategy, nil},
	{"storage.k8s.io", "VolumeAttachment", "volumeattachments", volumeattachment.Strategy, nil},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", validatingwebhook.Strategy, nil},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", mutatingwebhook.Strategy, nil},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", validatingPolicyStrategy, nil},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", validatingPolicyBindingStrategy, nil},
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicy", "mutatingadmissionpolicies", mutatingPolicyStrategy, nil},
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding", "mutatingadmissionpolicybindings", mutatingPolicyBindingStrategy, nil},
	{"discovery.k8s.io", "EndpointSlice", "endpointslices", endpointslice.Strategy, nil},
	{"coordination.k8s.io", "Lease", "leases", lease.Strategy, nil},
	{"node.k8s.io", "RuntimeClass", "runtimeclasses", runtimeclass.Strategy, nil},
	{"flowcontrol.apiserver.k8s.io", "FlowSchema", "flowschemas", flowschema.Strategy, nil},
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", "prioritylevelconfigurations", prioritylevelconfiguration.Strategy, nil},
	{"certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests", certificates.Strategy, nil},
	{"resource.k8s.io", "DeviceClass", "deviceclasses", deviceclass.Strategy, nil},
	{"resource.k8s.io", "ResourceClaim", "resourceclaims", resourceClaimStrategy, nil},
	{"resource.k8s.io", "ResourceClaimTemplate", "resourceclaimtemplates", resourceClaimTemplateStrategy, nil},
	{"resource.k8s.io", "ResourceSlice", "resourceslices", resourceslice.Strategy, nil},
	{"apiregistration.k8s.io", "APIService", "apiservices", apiserviceregistry.NewStrategy(aggregatorscheme.Scheme), aggregator},
}

// needsCluster are the kinds kube-apiserver serves by default whose create cannot run here, each
// with the reason. They come back checked: false with needsCluster set, so that callers can say
// which kinds were left to a real server.
var needsCluster = map[schema.GroupKind]string{
	{Group: "", Kind: "Binding"}:                                      "a Binding is created against its Pod, which only a cluster has",
	{Group: "", Kind: "ComponentStatus"}:                              "the server computes ComponentStatus objects; it creates none",
	{Group: "authentication.k8s.io", Kind: "TokenReview"}:             "a review is answered by the cluster's authenticator, not stored",
	{Group: "authentication.k8s.io", Kind: "SelfSubjectReview"}:       "a review is answered by the cluster's authenticator, not stored",
	{Group: "authorization.k8s.io", Kind: "SubjectAccessReview"}:      "a review is answered by the cluster's authorizer, not stored",
	{Group: "authorization.k8s.io", Kind: "LocalSubjectAccessReview"}: "a review is answered by the cluster's authorizer, not stored",
	{Group: "authorization.k8s.io", Kind: "SelfSubjectAccessReview"}:  "a review is answered by the cluster's authorizer, not stored",
	{Group: "authorization.k8s.io", Kind: "SelfSubjectRulesReview"}:   "a review is answered by the cluster's authorizer, not stored",
}

type request struct {
	ID     json.RawMessage `json:"id"`
	Object json.RawMessage `json:"object"`
	// A CustomResourceDefinition to check and register for the objects read after it (crd.go).
	CRD json.RawMessage `json:"crd"`
	// The CRDs registered when the request was read.
	crds map[schema.GroupKind]*crdInfo
}

type fieldError struct {
	Field   string `json:"field"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

type answer struct {
	ID      json.RawMessage `json:"id"`
	Checked bool            `json:"checked"`
	Reason  string          `json:"reason,omitempty"`
	// With checked false: a kind kube-apiserver serves by default whose create needs a cluster.
	NeedsCluster bool         `json:"needsCluster,omitempty"`
	Errors       []fieldError `json:"errors"`
	Warnings     []string     `json:"warnings"`
}

var (
	byGroupKind = map[schema.GroupKind]kind{}
	// What kube-apiserver serves with its default --runtime-config: a version the scheme knows but
	// the server does not serve (a beta left off, say) is refused there, so it is not checked here.
	served  = controlplane.DefaultAPIResourceConfigSource()
	decoder runtime.Decoder
	// The cluster's --service-node-port-range, set from -service-node-port-range before any check.
	nodePorts utilnet.PortRange
)

func init() {
	for _, k := range kinds {
		byGroupKind[schema.GroupKind{Group: k.group, Kind: k.kind}] = k
	}
	decoder = strictDecoder(legacyscheme.Codecs)
}

// strictDecoder decodes as the API server decodes a request body: strict JSON into the versioned
// type, the scheme's defaulting, then conversion to the internal type that validation works on.
func strictDecoder(codecs serializer.CodecFactory) runtime.Decoder {
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok || info.StrictSerializer == nil {
		panic("no strict JSON serializer in the scheme")
	}
	return codecs.DecoderToVersion(info.StrictSerializer, runtime.InternalGroupVersioner)
}

// warnings collects what the strategy's WarningsOnCreate would send back as Warning headers.
type warnings struct{ list []string }

func (w *warnings) AddWarning(_, text string) { w.list = append(w.list, text) }

func check(raw json.RawMessage, crds map[schema.GroupKind]*crdInfo) (a answer) {
	a.Errors = []fieldError{}
	a.Warnings = []string{}
	// A panic inside the server's code fails this object, not every object in flight.
	defer func() {
		if r := recover(); r != nil {
			a.Checked = true
			a.Errors = []fieldError{{Type: "InternalError", Message: fmt.Sprintf("the server's validation panicked: %v\n%s", r, debug.Stack())}}
		}
	}()
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		a.Reason = fmt.Sprintf("not a JSON object: %v", err)
		return a
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		a.Reason = fmt.Sprintf("apiVersion %q: %v", head.APIVersion, err)
		return a
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: head.Kind}
	k, known := byGroupKind[gk]
	gvk := gv.WithKind(head.Kind)
	if !known {
		if crd := crds[gk]; crd != nil {
			return checkCustomResource(raw, gv, head.Kind, crd)
		}
		if why, ok := needsCluster[gk]; ok {
			a.Reason = fmt.Sprintf("%s %s is not checked offline: %s", head.APIVersion, head.Kind, why)
			a.NeedsCluster = true
			return a
		}
		if gk == crdGroupKind {
			a.Reason = "a CustomResourceDefinition is checked when it is registered (a crd request), not as an object"
			return a
		}
		a.Reason = fmt.Sprintf("%s %s is not a built-in kind checked here", head.APIVersion, head.Kind)
		return a
	}
	scheme, dec, isServed := legacyscheme.Scheme, decoder, served.ResourceEnabled(gv.WithResource(k.resource))
	if k.api != nil {
		scheme, dec, isServed = k.api.scheme, k.api.decoder, k.api.served[gv.Version]
	}
	if !scheme.Recognizes(gvk) || !isServed {
		a.Reason = fmt.Sprintf("%s %s is not served by kube-apiserver by default", head.APIVersion, head.Kind)
		return a
	}
	a.Checked = true
	a.Errors = append(a.Errors, applyRefusals(raw)...)

	obj, _, err := dec.Decode(raw, &gvk, nil)
	if err != nil {
		if strict, ok := runtime.AsStrictDecodingError(err); ok && obj != nil {
			// The server stops at these; going on finds the errors that remain once they are fixed.
			for _, e := range strict.Errors() {
				a.Errors = append(a.Errors, strictError(e))
			}
		} else {
			a.Errors = append(a.Errors, decodeError(scheme, gvk, raw, err))
			return a
		}
	}
	var allocate func() error
	if svc, ok := obj.(*api.Service); ok {
		allocate = func() error { return allocateService(svc) }
	}
	create(&a, obj, gv, k.resource, k.strategy, allocate)
	return a
}

// create does what the server's create handler and generic store do with a decoded object up to
// storing it: the request context, the system fields, a generated name, the registry's own hook
// (allocate, may be nil: the Service registry's allocation), then rest.BeforeCreate with the
// resource's strategy. Its errors and the strategy's warnings go into a.
func create(a *answer, obj runtime.Object, gv schema.GroupVersion, resource string, strategy rest.RESTCreateStrategy, allocate func() error) {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		a.Errors = append(a.Errors, fieldError{Field: "metadata", Type: "FieldValueInvalid", Message: err.Error()})
		return
	}
	ns := ""
	if strategy.NamespaceScoped() {
		// As `kubectl apply` without -n: the object's namespace, else the default one.
		ns = accessor.GetNamespace()
		if ns == "" {
			ns = "default"
		}
	}
	rec := &warnings{}
	ctx := context.Background()
	ctx = genericapirequest.WithNamespace(ctx, ns)
	ctx = genericapirequest.WithUser(ctx, &user.DefaultInfo{Name: "strata", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}})
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "create", APIPrefix: apiPrefix(gv), APIGroup: gv.Group, APIVersion: gv.Version,
		Namespace: ns, Resource: resource, Name: accessor.GetName(),
	})
	ctx = warning.WithWarningRecorder(ctx, rec)

	// What the generic store does before BeforeCreate: system fields, a generated name.
	rest.FillObjectMetaSystemFields(accessor)
	if accessor.GetName() == "" && accessor.GetGenerateName() != "" {
		accessor.SetName(strategy.GenerateName(accessor.GetGenerateName()))
	}
	if allocate != nil {
		if err := allocate(); err != nil {
			a.Errors = append(a.Errors, statusErrors(err)...)
			return
		}
	}
	if err := rest.BeforeCreate(strategy, ctx, obj); err != nil {
		a.Errors = append(a.Errors, statusErrors(err)...)
	}
	a.Warnings = append(a.Warnings, rec.list...)
}

// applyRefusals are the refusals of a server-side apply that creates the object (how `strata
// verify`, `kubectl apply --server-side` and Argo CD's server-side sync send it), made before the
// registry sees it: managed fields in the applied configuration (the field manager: "must be
// nil", 400) and a uid, which an apply that creates can only contradict (the patch handler: 409).
// The other fields the server sets are accepted and overwritten: resourceVersion, generation,
// creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, selfLink. The server names no
// field in either refusal; the field it is about is given here.
func applyRefusals(raw json.RawMessage) []fieldError {
	var doc struct {
		Metadata struct {
			UID           json.RawMessage `json:"uid"`
			ManagedFields json.RawMessage `json:"managedFields"`
		} `json:"metadata"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	// Any list, an empty one too; null is the same as leaving the field out.
	if m := strings.TrimSpace(string(doc.Metadata.ManagedFields)); strings.HasPrefix(m, "[") {
		return []fieldError{{Field: "metadata.managedFields", Type: "BadRequest", Message: "metadata.managedFields must be nil"}}
	}
	var uid string
	if json.Unmarshal(doc.Metadata.UID, &uid) == nil && uid != "" {
		return []fieldError{{Field: "metadata.uid", Type: "Conflict", Message: fmt.Sprintf("uid mismatch: the provided object specified uid %s, and no existing object was found", uid)}}
	}
	return nil
}

func apiPrefix(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api"
	}
	return "apis"
}

// statusErrors turns a StatusError (a 422 Invalid carries one cause per field) into field errors.
func statusErrors(err error) []fieldError {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		if s.Details != nil && len(s.Details.Causes) > 0 {
			out := make([]fieldError, 0, len(s.Details.Causes))
			for _, c := range s.Details.Causes {
				out = append(out, fieldError{Field: c.Field, Type: string(c.Type), Message: c.Message})
			}
			return out
		}
		return []fieldError{{Type: string(s.Reason), Message: s.Message}}
	}
	return []fieldError{{Type: "InternalError", Message: err.Error()}}
}

var strictPattern = regexp.MustCompile(`^(unknown|duplicate) field "(.*)"$`)

func strictError(err error) fieldError {
	m := strictPattern.FindStringSubmatch(err.Error())
	if m == nil {
		return fieldError{Type: "FieldValueInvalid", Message: err.Error()}
	}
	if m[1] == "unknown" {
		return fieldError{Field: m[2], Type: "UnknownField", Message: "unknown field (strict field validation)"}
	}
	// Not FieldValueDuplicate: that is validation's type for a duplicate value, a container name say.
	return fieldError{Field: m[2], Type: "DuplicateField", Message: "duplicate field (strict field validation)"}
}

// decodeError names the field a failed decode stopped at. The decoder's own error often has no
// path: a Quantity's UnmarshalJSON says only that `100mm` is not a quantity. So the document is
// decoded again one field at a time, following the Go type, down to the smallest part that fails.
func decodeError(scheme *runtime.Scheme, gvk schema.GroupVersionKind, raw []byte, err error) fieldError {
	msg := err.Error()
	if obj, newErr := scheme.New(gvk); newErr == nil {
		if path, inner := locate(reflect.TypeOf(obj).Elem(), raw, nil); path != nil {
			return fieldError{Field: path.String(), Type: "FieldValueInvalid", Message: cleanDecodeMessage(inner.Error())}
		}
	}
	return fieldError{Type: "FieldValueInvalid", Message: cleanDecodeMessage(msg)}
}

func cleanDecodeMessage(msg string) string {
	// "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
	// names Go types; the reader knows the field already, so keep what was wrong.
	if i := strings.Index(msg, "json: cannot unmarshal "); i >= 0 {
		rest := msg[i+len("json: cannot unmarshal "):]
		got, _, _ := strings.Cut(rest, " into ")
		want := rest[strings.LastIndex(rest, " of type ")+len(" of type "):]
		if strings.Contains(rest, " of type ") {
			return fmt.Sprintf("cannot decode a %s as %s", got, want)
		}
	}
	return msg
}

var unmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// locate returns the path of the smallest part of raw that does not decode into t, and its error.
func locate(t reflect.Type, raw []byte, path *field.Path) (*field.Path, error) {
	err := kjson.UnmarshalCaseSensitivePreserveInts(raw, reflect.New(t).Interface())
	if err == nil {
		return nil, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		return path, err
	}
	switch t.Kind() {
	case reflect.Struct:
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			return path, err
		}
		if p, e := locateFields(t, fields, path); p != nil {
			return p, e
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return path, err
		}
		for i, item := range items {
			if p, e := locate(t.Elem(), item, indexOf(path, i)); p != nil {
				return p, e
			}
		}
	case reflect.Map:
		var entries map[string]json.RawMessage
		if json.Unmarshal(raw, &entries) != nil {
			return path, err
		}
		for key, v := range entries {
			if p, e := locate(t.Elem(), v, keyOf(path, key)); p != nil {
				return p, e
			}
		}
	}
	return path, err
}

func locateFields(t reflect.Type, fields map[string]json.RawMessage, path *field.Path) (*field.Path, error) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) && ft.Kind() == reflect.Struct {
			if p, e := locateFields(ft, fields, path); p != nil {
				return p, e
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if v, ok := fields[name]; ok {
			if p, e := locate(f.Type, v, childOf(path, name)); p != nil {
				return p, e
			}
		}
	}
	return nil, nil
}

func childOf(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}

func indexOf(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath("").Index(i)
	}
	return p.Index(i)
}

func keyOf(p *field.Path, key string) *field.Path {
	if p == nil {
		return field.NewPath("").Key(key)
	}
	return p.Key(key)
}

// allocateService does what the Service registry does on create before validation, in the node
// port range -service-node-port-range names: cluster IPs get their IP family fields and an address, node
// ports are allocated, and a requested node port outside the range is refused as the server
// refuses it on a real create (its dry run does not check the range). Which IP families and addresses a cluster offers is its own configuration, so a
// requested family or address is taken as it is.
func allocateService(svc *api.Service) error {
	if len(svc.Spec.ClusterIP) > 0 && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	if svc.Spec.Type != api.ServiceTypeExternalName {
		if svc.Spec.IPFamilyPolicy == nil {
			policy := api.IPFamilyPolicySingleStack
			if svc.Spec.ClusterIP == api.ClusterIPNone && len(svc.Spec.Selector) == 0 {
				policy = api.IPFamilyPolicyRequireDualStack
			}
			svc.Spec.IPFamilyPolicy = &policy
		}
		if el := corevalidation.ValidateServiceClusterIPsRelatedFields(svc, nil); len(el) > 0 {
			return apierrors.NewInvalid(api.Kind("Service"), svc.Name, el)
		}
		for i, ip := range svc.Spec.ClusterIPs {
			if ip == api.ClusterIPNone {
				break
			}
			if i >= len(svc.Spec.IPFamilies) {
				svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, familyOf(ip))
			}
		}
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = []api.IPFamily{api.IPv4Protocol}
		}
		if *svc.Spec.IPFamilyPolicy != api.IPFamilyPolicySingleStack && len(svc.Spec.IPFamilies) == 1 {
			other := api.IPv6Protocol
			if svc.Spec.IPFamilies[0] == api.IPv6Protocol {
				other = api.IPv4Protocol
			}
			svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, other)
		}
		if len(svc.Spec.ClusterIPs) == 0 {
			for _, family := range svc.Spec.IPFamilies {
				ip := "10.96.0.10"
				if family == api.IPv6Protocol {
					ip = "fd00:10:96::10"
				}
				svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, ip)
				if *svc.Spec.IPFamilyPolicy == api.IPFamilyPolicySingleStack {
					break
				}
			}
			svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
		}
	}
	alloc, err := portallocator.New(nodePorts, func(max int, rangeSpec string, offset int) (allocator.Interface, error) {
		return &sparingAllocator{
			Interface: allocator.NewAllocationMapWithOffset(max, rangeSpec, offset),
			offset:    offset,
			spare:     askedOffsets(svc),
		}, nil
	})
	if err != nil {
		return err
	}
	// Not a dry-run operation: in dry run the registry skips the range check that the real create
	// makes, and what is wanted here is the real create's verdict. The allocator is this object's
	// alone, so nothing is held.
	op := portallocator.StartOperation(alloc, false)
	defer op.Finish()
	if svc.Spec.Type == api.ServiceTypeNodePort || svc.Spec.Type == api.ServiceTypeLoadBalancer {
		if err := initNodePorts(svc, op); err != nil {
			return err
		}
	}
	if apiservice.NeedsHealthCheck(svc) {
		if err := allocHealthCheckNodePort(svc, op); err != nil {
			// The server's refusal, with the field it is about: the server's own names none.
			refusal := apierrors.NewInternalError(err)
			refusal.ErrStatus.Details.Causes[0].Field = "spec.healthCheckNodePort"
			return refusal
		}
	}
	return nil
}

// sparingAllocator is this object's node port bitmap, whose own picks (AllocateNext, for a port or
// health check node port the Service leaves to the server) pass over the numbers the Service asks
// for later in its create. The registry picks before it takes what was asked (the node ports, then
// healthCheckNodePort: pkg/registry/core/service/storage/alloc.go), at random from the upper band of
// the range, so the server refuses such a create about once in 2,700 on the default range by its
// own draw, and takes it when it is sent again (kubernetes/kubernetes#93922, #94488). A verdict
// that comes from that draw would differ from run to run and from verify's dry run; so the server's
// pick lands on an asked-for number only when its band has no other free port, when every create
// of the Service is refused.
type sparingAllocator struct {
	allocator.Interface
	// Where the upper band, from which the server picks first, begins.
	offset int
	// The offsets of the numbers the Service asks for.
	spare map[int]bool
}

func (s *sparingAllocator) AllocateNext() (int, bool, error) {
	var passed []int
	defer func() {
		for _, o := range passed {
			_ = s.Interface.Release(o)
		}
	}()
	upper := func(o int) bool { return o >= s.offset }
	// The asked-for number the server picks when its band offers no other: the lowest, so the
	// verdict names one number every time.
	forced := func() int {
		low := 0
		for i, o := range passed {
			if o < passed[low] {
				low = i
			}
		}
		o := passed[low]
		passed = append(passed[:low], passed[low+1:]...)
		return o
	}
	for {
		o, ok, err := s.Interface.AllocateNext()
		if err != nil || !ok {
			if err == nil && len(passed) > 0 {
				return forced(), true, nil
			}
			return o, ok, err
		}
		if len(passed) > 0 && upper(o) != upper(passed[0]) {
			_ = s.Interface.Release(o)
			return forced(), true, nil
		}
		if !s.spare[o] {
			return o, true, nil
		}
		passed = append(passed, o)
	}
}

// askedOffsets are the offsets in the range of the node ports and the health check node port a
// Service asks for.
func askedOffsets(svc *api.Service) map[int]bool {
	asked := map[int]bool{}
	add := func(port int32) {
		if port != 0 && nodePorts.Contains(int(port)) {
			asked[int(port)-nodePorts.Base] = true
		}
	}
	for _, p := range svc.Spec.Ports {
		add(p.NodePort)
	}
	add(svc.Spec.HealthCheckNodePort)
	return asked
}

// initNodePorts is the registry's own (pkg/registry/core/service/storage/alloc.go): a port entry
// takes the node port that the first entry of the same port number asks for, else the next free
// one; an entry asking for another number than its port's takes that number too.
func initNodePorts(svc *api.Service, op *portallocator.PortAllocationOperation) error {
	svcPortToNodePort := map[int]int{}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort == 0 && !shouldAllocateNodePorts(svc) {
			// A LoadBalancer told not to allocate node ports still takes the ones asked for.
			continue
		}
		allocated := svcPortToNodePort[int(p.Port)]
		if allocated == 0 {
			if np := findRequestedNodePort(int(p.Port), svc.Spec.Ports); np != 0 {
				if err := op.Allocate(np); err != nil {
					el := field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), np, err.Error())}
					return apierrors.NewInvalid(api.Kind("Service"), svc.Name, el)
				}
				p.NodePort = int32(np)
				svcPortToNodePort[int(p.Port)] = np
			} else {
				np, err := op.AllocateNext()
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
				}
				p.NodePort = int32(np)
				svcPortToNodePort[int(p.Port)] = np
			}
		} else if int(p.NodePort) != allocated {
			if p.NodePort == 0 {
				p.NodePort = int32(allocated)
			} else if err := op.Allocate(int(p.NodePort)); err != nil {
				el := field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, err.Error())}
				return apierrors.NewInvalid(api.Kind("Service"), svc.Name, el)
			}
		}
	}
	return nil
}

// allocHealthCheckNodePort is the registry's own: a requested health check node port is taken from
// the same pool as the Service's node ports, so one of its own node ports, or a number outside the
// range, is refused (the server sends that as an internal error, in these words).
func allocHealthCheckNodePort(svc *api.Service, op *portallocator.PortAllocationOperation) error {
	if port := svc.Spec.HealthCheckNodePort; port != 0 {
		if err := op.Allocate(int(port)); err != nil {
			return fmt.Errorf("failed to allocate requested HealthCheck NodePort %v: %v", port, err)
		}
		return nil
	}
	port, err := op.AllocateNext()
	if err != nil {
		return fmt.Errorf("failed to allocate a HealthCheck NodePort %v: %v", port, err)
	}
	svc.Spec.HealthCheckNodePort = int32(port)
	return nil
}

// findRequestedNodePort is the registry's own: the node port that an entry of the same port number
// asks for, else 0.
func findRequestedNodePort(port int, ports []api.ServicePort) int {
	for _, p := range ports {
		if port == int(p.Port) && p.NodePort != 0 {
			return int(p.NodePort)
		}
	}
	return 0
}

// shouldAllocateNodePorts is the registry's own; the defaulting has set
// allocateLoadBalancerNodePorts on every LoadBalancer by then.
func shouldAllocateNodePorts(svc *api.Service) bool {
	switch svc.Spec.Type {
	case api.ServiceTypeNodePort:
		return true
	case api.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

func familyOf(ip string) api.IPFamily {
	if strings.Contains(ip, ":") {
		return api.IPv6Protocol
	}
	return api.IPv4Protocol
}

func main() {
	workers := flag.Int("j", 2, "objects checked at the same time")
	// kube-apiserver's own default.
	portRange := flag.String("service-node-port-range", "30000-32767", "the node ports the cluster gives Services, as kube-apiserver's --service-node-port-range")
	kubectlApplyMode := flag.Bool("kubectl-apply", false, "answer with what kubectl apply sends instead of checking (see apply.go)")
	flag.Parse()
	if *kubectlApplyMode && flag.NArg() == 0 {
		if err := serveKubectlApply(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "strata-server-validation: %v\n", err)
			os.Exit(2)
		}
		return
	}
	ports, err := utilnet.ParsePortRange(*portRange)
	if flag.NArg() > 0 || *workers < 1 || err != nil {
		fmt.Fprintln(os.Stderr, "usage: strata-server-validation [-j N] [-service-node-port-range FROM-TO] < requests, or strata-server-validation -kubectl-apply < requests")
		os.Exit(2)
	}
	nodePorts = *ports
	// kube-apiserver --allow-privileged=true, as `strata verify` starts its server and as kubeadm and
	// the managed clusters run theirs. Left at the package's default (false), validation would refuse
	// every privileged container and Windows hostProcess pod "by cluster policy", which no real
	// cluster says: whether an app may run so is for the policy rules no-privileged and no-host-process.
	// The server calls this once at start, before it serves; so does this, before any check.
	capabilities.Setup(true, 0)
	// The server's code logs through klog; only the answers belong on stdout.
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)

	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	write := func(a answer) {
		line, err := json.Marshal(a)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			_, err = out.Write(append(line, '\n'))
		}
		if err == nil {
			err = out.Flush()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "strata-server-validation: cannot write: %v\n", err)
			os.Exit(2)
		}
	}
	jobs := make(chan request)
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				a := check(r.Object, r.crds)
				a.ID = r.ID
				write(a)
			}
		}()
	}
	for {
		line, err := in.ReadBytes('\n')
		if trimmed := strings.TrimSpace(string(line)); trimmed != "" {
			var r request
			if e := json.Unmarshal([]byte(trimmed), &r); e != nil || len(r.ID) == 0 {
				write(answer{ID: json.RawMessage("null"), Reason: fmt.Sprintf("unreadable request line: %v", e), Errors: []fieldError{}, Warnings: []string{}})
			} else if len(r.CRD) > 0 {
				// Registered before the next line is read, so that every object after it sees it.
				a := registerCRD(r.CRD)
				a.ID = r.ID
				write(a)
			} else {
				r.crds = *crdRegistry.Load()
				jobs <- r
			}
		}
		if err != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
}
