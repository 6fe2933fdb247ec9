/** The admission plugins that load policies from the API: each has a policy kind and a binding kind of that name. */
export type PolicyPlugin = 'ValidatingAdmissionPolicy' | 'MutatingAdmissionPolicy';

/** What a ConfigMap policy acts on and does: see configMapPolicy. */
export interface ConfigMapPolicyOptions {
  /** The name of the policy and of its binding. */
  readonly name: string;
  /** The namespace whose ConfigMaps it acts on. */
  readonly namespace: string;
  readonly operations: readonly ('CREATE' | 'UPDATE')[];
  /**
   * The rest of the policy's spec: `validations` of a ValidatingAdmissionPolicy; `mutations` (and
   * `matchConditions`) of a MutatingAdmissionPolicy.
   */
  readonly rules: Readonly<Record<string, unknown>>;
}

/**
 * A policy of `plugin` and its binding, both named `options.name`, acting on the ConfigMaps of one
 * namespace: a validating one denies what its validations refuse, a mutating one applies its
 * mutations once. What verify creates to learn when the server has loaded the policies before it
 * (see policyProbe), and what its tests deploy.
 */
export function configMapPolicy(plugin: PolicyPlugin, options: ConfigMapPolicyOptions): [policy: object, binding: object] {
  const { name } = options;
  const apiVersion = 'admissionregistration.k8s.io/v1';
  const validating = plugin === 'ValidatingAdmissionPolicy';
  const matchConstraints = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': options.namespace } },
    resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: [...options.operations], resources: ['configmaps'] }],
  };
  return [
    {
      apiVersion,
      kind: plugin,
      metadata: { name },
      spec: { failurePolicy: 'Fail', ...(validating ? {} : { reinvocationPolicy: 'Never' }), matchConstraints, ...options.rules },
    },
    {
      apiVersion,
      kind: `${plugin}Binding`,
      metadata: { name },
      spec: validating ? { policyName: name, validationActions: ['Deny'] } : { policyName: name },
    },
  ];
}
