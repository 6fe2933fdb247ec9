import { at, list, ofKind } from './read.ts';
import { isEmptySelector } from './selectors.ts';
import type { PolicyObject } from './types.ts';

/** Empty podSelector, both policy types, no rules: every pod in the namespace starts closed. */
export function isDefaultDeny(policy: PolicyObject): boolean {
  const spec = at(policy.manifest, 'spec');
  const types = list(at(spec, 'policyTypes'));
  return (
    isEmptySelector(at(spec, 'podSelector')) &&
    types.includes('Ingress') &&
    types.includes('Egress') &&
    list(at(spec, 'ingress')).length === 0 &&
    list(at(spec, 'egress')).length === 0
  );
}

export function networkPolicies(objects: readonly PolicyObject[]): PolicyObject[] {
  return ofKind(objects, 'NetworkPolicy');
}

/** A direction of a NetworkPolicy: its rules' list and the field that names their peers. */
const DIRECTIONS = [
  { type: 'Ingress', rules: 'ingress', peers: 'from' },
  { type: 'Egress', rules: 'egress', peers: 'to' },
] as const;

/** A rule of a NetworkPolicy that lets every peer in (or out) on every port, and where it is. */
export interface OpenRule {
  readonly type: 'Ingress' | 'Egress';
  readonly path: string;
  /** The field that would name its peers: `from` or `to`. */
  readonly peers: 'from' | 'to';
}

/**
 * The rules of a policy that select every pod of its namespace and allow every peer on every port: no
 * `from`/`to` and no `ports` (empty lists count as missing, as the API reads them). A rule counts only
 * for a direction the policy is of: `policyTypes`, else (left out or empty, as the API defaults it) Ingress, and Egress when it has egress rules.
 * Policies add up, so any one of them opens the namespace whatever the default deny says.
 */
export function openRules(policy: PolicyObject): OpenRule[] {
  const spec = at(policy.manifest, 'spec');
  // A missing podSelector is invalid in the API; reading it as {} as network-policy-selects-workload does.
  if (!isEmptySelector(at(spec, 'podSelector'))) return [];
  const given = list(at(spec, 'policyTypes'));
  const types = given.length > 0 ? given : ['Ingress', ...(list(at(spec, 'egress')).length > 0 ? ['Egress'] : [])];
  return DIRECTIONS.flatMap((d) =>
    !types.includes(d.type)
      ? []
      : list(at(spec, d.rules)).flatMap((rule, i) =>
          list(at(rule, d.peers)).length === 0 && list(at(rule, 'ports')).length === 0
            ? [{ type: d.type, path: `spec.${d.rules}[${i}]`, peers: d.peers }]
            : [],
        ),
  );
}
