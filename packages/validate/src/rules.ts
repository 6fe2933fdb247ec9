import { rules as policyRules } from '@strata/policy';

/** What a rule id means, for reports that show rules on their own (SARIF's rule list, say). */
export interface RuleHelp {
  /** One line: what the rule demands. */
  readonly short: string;
  /** How to fix a finding. */
  readonly help: string;
}

/** The checks that are not policy rules: reading, structure, schemas, and the server-side check. */
const OWN: Readonly<Record<string, RuleHelp>> = {
  'yaml-syntax': {
    short: 'Every document is YAML that kubectl can read.',
    help: 'Fix the YAML at the line given; anchors and aliases work within one document only.',
  },
  'duplicate-key': {
    short: 'No key appears twice in one mapping, also as YAML 1.1 reads keys (yes, on and true are one key, as are 0x10 and 16).',
    help: 'kubectl keeps only the last value of a repeated key; remove the other one, or quote keys that are text.',
  },
  'too-deep': {
    short: 'No object nests more than 1000 maps and lists deep.',
    help: 'The checks stop at 1000 levels (the API server reads up to 10000, kubectl as many); no real object needs that many: flatten the field.',
  },
  'no-namespace-on-cluster-scoped': {
    short: 'No cluster-scoped object (by group and kind, as kube-apiserver and its CRD scope it) names a namespace.',
    help: "kube-apiserver drops the namespace, so every env's copy is one object of the cluster: remove metadata.namespace; kustomize's namespace: adds it to kinds it does not know for cluster-scoped (custom kinds, built-in kinds newer than Kubernetes 1.21), so keep such objects in a kustomization without namespace:.",
  },
  'duplicate-list-key': {
    short: 'No list the API keys by fields (env by name, ports by port and protocol, volumeMounts by mountPath) holds two items with the same key.',
    help: 'Server-side apply refuses such a list (a create keeps the last item silently): keep one item of each key.',
  },
  'yaml-line-break': {
    short: 'No U+0085, U+2028 or U+2029 character: YAML 1.1 readers (kubectl) and YAML 1.2 readers (kustomize) split lines differently there.',
    help: 'Replace the character with a newline, or remove it.',
  },
  'yaml-version': {
    short: 'Every value reads the same in YAML 1.1 (kubectl) and YAML 1.2 (kustomize).',
    help: 'Quote text that looks like a boolean, number or date (yes, on, 0644, 2024-01-01), and write booleans as true or false.',
  },
  'yaml-encoding': {
    short:
      'Every file is UTF-8 that kubectl and kustomize read alike: kubectl decodes UTF-16, byte order marks and stray bytes first, kustomize reads the bytes as they are.',
    help: 'Save the file as UTF-8 without a byte order mark (iconv -f UTF-16 -t UTF-8, say), and replace bytes that are not UTF-8.',
  },
  'json-stream': {
    short: 'One JSON object per document.',
    help: 'kustomize reads only the first of several JSON objects in one document: split them with --- lines or use a List.',
  },
  'missing-name': { short: 'Every object has metadata.name.', help: 'Add metadata.name; kubectl apply and kustomize refuse objects without one.' },
  'not-an-object': {
    short: 'Every YAML document is one Kubernetes object (a mapping).',
    help: 'Remove the document, or make it an object with apiVersion, kind and metadata.',
  },
  'missing-type': { short: 'Every object has apiVersion and kind, both as text.', help: 'Add them, e.g. apiVersion: apps/v1 and kind: Deployment.' },
  'not-a-resource': {
    short: 'Every object is something a cluster accepts; a Kustomization is not.',
    help: 'Build the kustomization (kustomize build, kubectl apply -k) and validate its output.',
  },
  'no-objects': {
    short: 'The inputs hold at least one Kubernetes object.',
    help:
      'Point validate or verify at the files or folders that hold the manifests, or pass --allow-empty where none is expected; ' +
      'a built file (dist/<env>/<app>.yaml) emptied since its build is built again with npx strata build.',
  },
  schema: {
    short: 'Every object matches the strict schema of its kind for the target Kubernetes version.',
    help: 'Fix the field named at the line given: spelling, indentation, type, or an apiVersion the release serves.',
  },
  'server-validation': {
    short:
      "The object passes the API server's own create validation (k8s.io/kubernetes, run offline): names, labels, quantities, ports, required fields, enums, selectors.",
    help: 'Fix the field named at the line given; a real API server refuses the object as it is.',
  },
  'namespace-exists': {
    short:
      "Every namespaced object of built output lives in a namespace its env creates: a Namespace object of one of the env's apps, the app's Argo CD destination (CreateNamespace=true), one listed in kubernetes.namespaces, or one every cluster has.",
    help: 'Correct metadata.namespace, add a Namespace object of that name to the app, or list the namespace in kubernetes.namespaces of strata.config.json when the platform creates it.',
  },
  'pod-class-exists': {
    short:
      "Every pod (of every pod-bearing kind) names in priorityClassName and runtimeClassName a class its cluster has: one of the env's apps (or the files given) creates it, it is built in (system-cluster-critical, system-node-critical), or kubernetes.priorityClasses / kubernetes.runtimeClasses lists it; an error where that list is there, else a warning that it must exist in the cluster.",
    help: 'Fix the name, add the PriorityClass or RuntimeClass to an app of the env, or list it in kubernetes.priorityClasses or kubernetes.runtimeClasses of strata.config.json when the platform creates it.',
  },
  'unique-ingress-route': {
    short:
      'No two Ingresses of one IngressClass in one cluster (an env, or the other files given together) route the same host and path: its controller serves one backend per host and path.',
    help: 'Give one of them another host or path, or make the later one a canary of the other (nginx.ingress.kubernetes.io/canary: "true").',
  },
  'server-rejected': {
    short: 'A real API server accepts the object (server-side dry run, strict field validation).',
    help: 'Fix what the server names; it is what a live cluster would refuse.',
  },
  'server-warning': {
    short: 'A real API server accepts the object without warnings.',
    help: 'Address the warning (usually a deprecated field or API).',
  },
  'unknown-kind': {
    short: 'The API server serves the kind at that apiVersion.',
    help: 'Use an apiVersion the target Kubernetes version serves, or install the CRD.',
  },
  'missing-crd': { short: 'Custom resources have their CRD available.', help: 'Add the CRD to packages/schemas so that it is known.' },
  'immutable-field': {
    short: 'An update does not change a field the API server keeps immutable.',
    help: 'Recreate the object under a new name, or keep the field as it was.',
  },
  'update-rejected': {
    short: 'The API server accepts the object as an update of what is deployed.',
    help: 'Fix what the server names for the update.',
  },
  'client-side-apply-failed': {
    short:
      "kubectl's client-side apply (kubectl apply -k, Argo CD's default sync) computes its three-way patch from what is deployed to the object: it fails before anything reaches the server.",
    help: 'Fix what kubectl names (a list item without its merge key, such as an imagePullSecrets entry without name), or have Argo CD apply the object server-side (argocd.argoproj.io/sync-options: ServerSideApply=true).',
  },
  'baseline-rejected': {
    short: 'The tree of the reference commit applies cleanly.',
    help: 'The comparison base itself does not apply; check the ref.',
  },
  'baseline-not-built': {
    short: 'The overlays of the reference commit build, so that their upgrade is checked.',
    help: 'The upgrade of that overlay was not checked; build it at the ref to see why.',
  },
  'kustomize-build': { short: 'Every overlay builds with kustomize.', help: 'Fix the kustomization named in the message.' },
  'missing-build': {
    short: 'Every overlay has its built output (dist/<env>/<app>.yaml) when the built output is judged.',
    help: 'Build it (`npm run build`, or `npx strata build --env <env> --app <app>`) before validating the built output.',
  },
  'stale-build': {
    short: 'The built output verified was built from the overlay files now on disk, and is what that build wrote.',
    help: 'Build again (`npm run build`, or `npx strata build`) before verifying.',
  },
};

/** The help for a rule id, policy rules included; an unknown id gets its own name. */
export function ruleHelp(id: string): RuleHelp {
  const policy = policyRules.find((r) => r.id === id);
  if (policy)
    return {
      short: policy.description,
      help: `Policy rule ${id}: ${policy.description} Fix the field named, or add a policy exception with a reason in the app's definition (see @strata/policy's README).`,
    };
  return OWN[id] ?? { short: id, help: id };
}
