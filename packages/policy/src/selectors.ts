import { list, rec, str, stringMap } from './read.ts';

type Labels = Readonly<Record<string, string>>;

/** A Service-style selector: every pair must be present. An empty map selects nothing here on purpose. */
export function mapSelects(selector: Labels, labels: Labels): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** True when a metav1.LabelSelector has neither matchLabels nor matchExpressions: it selects everything. */
export function isEmptySelector(selector: unknown): boolean {
  const s = rec(selector) ?? {};
  return Object.keys(stringMap(s.matchLabels)).length === 0 && list(s.matchExpressions).length === 0;
}

/** Whether one matchExpressions entry holds for the labels. Unknown operators never hold. */
export function requirementHolds(requirement: unknown, labels: Labels): boolean {
  const r = rec(requirement) ?? {};
  const key = str(r.key) ?? '';
  const values = list(r.values).map(String);
  const has = Object.hasOwn(labels, key);
  switch (r.operator) {
    case 'In':
      return has && values.includes(labels[key] ?? '');
    case 'NotIn':
      return !has || !values.includes(labels[key] ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** metav1.LabelSelector semantics: an empty selector selects everything, a missing one nothing. */
export function labelSelectorMatches(selector: unknown, labels: Labels): boolean {
  const s = rec(selector);
  if (!s) return false;
  const matchLabels = stringMap(s.matchLabels);
  return Object.entries(matchLabels).every(([k, v]) => labels[k] === v) && list(s.matchExpressions).every((r) => requirementHolds(r, labels));
}

export function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(',') : '(none)';
}
