import { apiStatus, shippedCrdVersions } from '@strata/schemas';

export type KubeconformStatus = 'valid' | 'invalid' | 'error' | 'skipped' | 'empty';

/** One schema violation: a JSON pointer into the resource and what is wrong there. */
export interface KubeconformError {
  readonly path: string;
  readonly message: string;
}

/** The verdict on one resource. */
export interface KubeconformResult {
  /** The file the resource came from, or `stdin`. */
  readonly filename: string;
  readonly kind: string;
  readonly name: string;
  /** The resource's apiVersion. */
  readonly version: string;
  readonly status: KubeconformStatus;
  /** One line for humans; empty when valid. */
  readonly message: string;
  /** Every violation, deepest first found; empty unless status is `invalid`. */
  readonly errors: readonly KubeconformError[];
}

interface RawResult {
  readonly filename?: unknown;
  readonly kind?: unknown;
  readonly name?: unknown;
  readonly version?: unknown;
  readonly status?: unknown;
  readonly msg?: unknown;
  readonly validationErrors?: unknown;
}

const STATUS: Readonly<Record<string, KubeconformStatus>> = {
  statusValid: 'valid',
  statusInvalid: 'invalid',
  statusError: 'error',
  statusSkipped: 'skipped',
  '': 'empty',
};

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * Parses `kubeconform -output json` output. Returns undefined when it is not that format, which
 * means kubeconform failed before validating anything.
 */
export function parseKubeconformJson(stdout: string, kubernetesVersion: string): KubeconformResult[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const resources = (parsed as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return undefined;
  return resources.map((raw: RawResult) => toResult(raw, kubernetesVersion));
}

function toResult(raw: RawResult, kubernetesVersion: string): KubeconformResult {
  const base = {
    filename: str(raw.filename),
    kind: str(raw.kind),
    name: str(raw.name),
    version: str(raw.version),
  };
  const status = STATUS[str(raw.status)] ?? 'error';
  const msg = str(raw.msg);

  if (status === 'invalid') {
    const errors = schemaErrors(msg, raw.validationErrors);
    const message = errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ') || oneLine(msg);
    return { ...base, status, message, errors };
  }
  if (status === 'error' && msg.startsWith('could not find schema for ')) {
    return { ...base, status, message: missingSchemaMessage(base.version, base.kind, kubernetesVersion), errors: [] };
  }
  return { ...base, status, message: oneLine(msg), errors: [] };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * API groups a Kubernetes release serves itself. Other `*.k8s.io` groups (Gateway API's
 * gateway.networking.k8s.io, snapshot.storage.k8s.io, metrics.k8s.io) come from CRDs or add-ons.
 */
const BUILTIN_GROUPS = new Set([
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Groups of a Kubernetes release: the core group, unqualified names such as `apps`, and the release's own `*.k8s.io` groups. */
function isBuiltinGroup(apiVersion: string): boolean {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return true;
  const group = apiVersion.slice(0, slash);
  return !group.includes('.') || BUILTIN_GROUPS.has(group);
}

function missingSchemaMessage(apiVersion: string, kind: string, kubernetesVersion: string): string {
  if (isBuiltinGroup(apiVersion)) {
    const status = apiStatus(apiVersion, kind, kubernetesVersion);
    const prefix = `no schema for ${apiVersion} ${kind} in Kubernetes ${kubernetesVersion}: that release does not serve this kind at this apiVersion`;
    // Known to other releases: say which, so an env behind or ahead of the API knows what to do.
    if (status?.added) return `${prefix}; Kubernetes ${status.added} is the first that does`;
    if (status?.removed && !status.served)
      return `${prefix}; Kubernetes ${status.removed} removed it${status.replacement ? `: use ${status.replacement}` : ''}`;
    return `${prefix}; check apiVersion and kind`;
  }
  // A kind Strata ships, at a version it does not: its CRD cannot be added again (crd add refuses it).
  const group = apiVersion.slice(0, apiVersion.indexOf('/'));
  const shipped = shippedCrdVersions(group, kind);
  if (shipped.length > 0)
    return `no schema for ${apiVersion} ${kind}: Strata ships the CRD of ${group} ${kind}, which serves ${shipped.map((v) => `${group}/${v}`).join(', ')}; use that apiVersion`;
  return `no schema for ${apiVersion} ${kind}: add its CRD with strata crd add <CRD file | Go module@version folder>`;
}

// kubeconform puts the whole error tree of the validator into `msg`, one `- at '<pointer>': <text>`
// per node, indented two spaces a level, with the newlines turned into spaces. Its
// `validationErrors` keep only the top level ("/spec: validation failed"), so the tree is read
// from the message instead.
const NODE = /( *)- at '((?:[^'\\]|\\.)*)': /g;
const JUNCTOR = /^(oneOf|anyOf|allOf) failed/;

interface Node {
  readonly depth: number;
  readonly path: string;
  readonly message: string;
}

function unquote(pointer: string): string {
  return pointer.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function readTree(msg: string): Node[] {
  const headers = [...msg.matchAll(NODE)];
  return headers.map((match, i) => {
    const start = (match.index ?? 0) + match[0].length;
    const end = headers[i + 1]?.index ?? msg.length;
    return {
      depth: Math.max(0, Math.floor(((match[1] ?? '').length - 1) / 2)),
      path: unquote(match[2] ?? ''),
      message: msg.slice(start, end).trim(),
    };
  });
}

function schemaErrors(msg: string, validationErrors: unknown): KubeconformError[] {
  const nodes = readTree(msg);
  const errors: KubeconformError[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const children: Node[] = [];
    for (let j = i + 1; j < nodes.length && nodes[j]!.depth > node.depth; j++) children.push(nodes[j]!);
    if (JUNCTOR.test(node.message)) {
      // One error for the whole junctor: "oneOf failed, none matched: got boolean, want …; …".
      const reasons = children
        .filter((c) => c.message !== 'validation failed')
        .map((c) => (c.path === node.path ? c.message : `at ${c.path}: ${c.message}`));
      errors.push({ path: node.path, message: [node.message, reasons.join('; ')].filter(Boolean).join(': ') });
      i += children.length;
      continue;
    }
    if (children.length === 0 && node.message !== 'validation failed') {
      errors.push({ path: node.path, message: node.message });
    }
  }
  if (errors.length > 0) return errors;

  // Fall back to kubeconform's own list when the message has an unexpected shape.
  if (!Array.isArray(validationErrors)) return [];
  return validationErrors.map((e: { path?: unknown; msg?: unknown }) => ({ path: str(e.path), message: str(e.msg) }));
}
