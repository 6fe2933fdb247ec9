/**
 * The name rules Kubernetes applies (apimachinery's validation), in one place: app, component,
 * namespace and object names are checked against them before any of them becomes part of a path,
 * so a name can never walk out of the folder it is meant for.
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

/** An RFC 1123 label: lower-case letters, digits and "-", starting and ending alphanumeric, at most 63 characters. */
export const isDnsLabel = (s: string): boolean => s.length <= 63 && LABEL.test(s);
/** An RFC 1035 label: a DNS-1123 label that starts with a letter (Service names). */
export const isDns1035Label = (s: string): boolean => s.length <= 63 && LABEL_1035.test(s);
/** An RFC 1123 subdomain: dot-separated labels, at most 253 characters. */
export const isDnsSubdomain = (s: string): boolean => s.length <= 253 && SUBDOMAIN.test(s);
/** A path segment name (RBAC objects): anything but "." and "..", without "/" or "%". */
export const isPathSegmentName = (s: string): boolean => s !== '' && s !== '.' && s !== '..' && !/[/%]/.test(s);
/** A kind: an identifier such as `Deployment` or `ClusterSecretStore`. */
export const isKind = (s: string): boolean => KIND.test(s);

export type NameRule = 'dns-label' | 'dns-1035-label' | 'dns-subdomain' | 'path-segment';

const RULES: Record<NameRule, { test: (s: string) => boolean; text: string }> = {
  'dns-label': {
    test: isDnsLabel,
    text: 'a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
  },
  'dns-1035-label': {
    test: isDns1035Label,
    text: 'a DNS-1035 label (lower-case letters, digits and "-", starting with a letter and ending with a letter or digit, at most 63 characters)',
  },
  'dns-subdomain': {
    test: isDnsSubdomain,
    text: 'a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", each part starting and ending with a letter or digit, at most 253 characters)',
  },
  'path-segment': { test: isPathSegmentName, text: 'a path segment name (not empty, "." or "..", and without "/" or "%")' },
};

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** The rule the API server checks an object's name with, by kind. */
export function nameRuleOf(kind: string): NameRule {
  if (kind === 'Namespace') return 'dns-label';
  if (kind === 'Service') return 'dns-1035-label';
  if (RBAC_KINDS.has(kind)) return 'path-segment';
  return 'dns-subdomain';
}

/** Why `value` breaks `rule` (what it must be), or undefined when it is a valid name. */
export function nameProblem(value: unknown, rule: NameRule): string | undefined {
  if (typeof value === 'string' && RULES[rule].test(value)) return undefined;
  if (value === undefined || value === '') return `is required: ${RULES[rule].text}`;
  return `${JSON.stringify(value)} must be ${RULES[rule].text}`;
}

/** A problem with one field of a rendered object. */
export interface FieldProblem {
  /** Dotted path inside the object, e.g. `metadata.name`. */
  readonly path: string;
  readonly message: string;
}

/** The kind, name and namespace of a rendered object, checked as the API server would. */
export function objectNameProblems(m: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const kind = typeof m.kind === 'string' && isKind(m.kind) ? m.kind : undefined;
  if (!kind) problems.push({ path: 'kind', message: `${JSON.stringify(m.kind)} must be a kind: a letter followed by letters and digits` });
  const name = nameProblem(m.metadata?.name, nameRuleOf(kind ?? ''));
  if (name) problems.push({ path: 'metadata.name', message: name });
  if (m.metadata?.namespace !== undefined) {
    const ns = nameProblem(m.metadata.namespace, 'dns-label');
    if (ns) problems.push({ path: 'metadata.namespace', message: ns });
  }
  return problems;
}
