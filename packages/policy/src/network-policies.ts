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
