import { list, ofKind, rec, type Rec } from './read.ts';
import type { PolicyObject } from './types.ts';

export interface RbacRule {
  readonly role: PolicyObject;
  readonly rule: Rec;
  readonly index: number;
  readonly verbs: readonly string[];
  readonly resources: readonly string[];
  readonly apiGroups: readonly string[];
}

/** The rules of every Role and ClusterRole in the set. */
export function rbacRules(objects: readonly PolicyObject[]): RbacRule[] {
  return ofKind(objects, 'Role', 'ClusterRole').flatMap((role) =>
    list(role.manifest.rules).flatMap((r, index) => {
      const rule = rec(r);
      if (!rule) return [];
      const strings = (v: unknown) => list(v).map(String);
      return [{ role, rule, index, verbs: strings(rule.verbs), resources: strings(rule.resources), apiGroups: strings(rule.apiGroups) }];
    }),
  );
}
