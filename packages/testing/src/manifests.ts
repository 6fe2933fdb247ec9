// Objects, as YAML, that the tests of several packages judge alike.

/**
 * The NetworkPolicies a workload of `namespace` needs to pass the policy: the namespace's default
 * deny, and one that lets traffic in on port 8080 to the pods labelled app=`app`.
 */
export function networkPoliciesYaml(namespace: string, app: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: ${namespace}}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${app}, namespace: ${namespace}}
spec:
  podSelector: {matchLabels: {app: ${app}}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 8080}]}]
`;
}

/**
 * Three ConfigMaps, to count the objects a run judges: `typeless` (line 1) has no apiVersion, so
 * it is refused before any server sees it; `ok` (line 4) passes; `Bad` (line 8) has a name the API
 * server refuses (at line 10).
 */
export const THREE_CONFIG_MAPS = [
  'kind: ConfigMap',
  'metadata: {name: typeless}',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: ok}',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: Bad}',
  '',
].join('\n');
