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
