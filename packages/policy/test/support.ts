import type { Manifest } from '@strata/core';
import type { PolicyContext, PolicyObject, Rule, RuleFinding } from '../src/index.ts';

type Fields = Record<string, unknown>;

export const NS = 'shop';
export const DIGEST = 'sha256:25141dd725aa8fad66b62b8c28f04a18a00a60fb87749a3d312d776a2d94fe27';
export const IMAGE = `ghcr.io/acme/web@${DIGEST}`;
export const LABELS = { 'app.kubernetes.io/name': 'web' };

export const SECURE_CONTAINER_CONTEXT = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export const RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** A container that passes every rule; tests override the one field they are about. */
export function container(overrides: Fields = {}): Fields {
  return {
    name: 'web',
    image: IMAGE,
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
    livenessProbe: { httpGet: { path: '/live', port: 'http' } },
    resources: RESOURCES,
    securityContext: SECURE_CONTAINER_CONTEXT,
    ...overrides,
  };
}

export function podSpec(overrides: Fields = {}): Fields {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container()],
    ...overrides,
  };
}

export function manifest(apiVersion: string, kind: string, name: string, rest: Fields = {}, namespace: string | undefined = NS): Manifest {
  return { apiVersion, kind, metadata: { name, ...(namespace !== undefined && { namespace }) }, ...rest };
}

export interface WorkloadOptions {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly pod?: Fields;
  readonly spec?: Fields;
}

export function deployment(name = 'web', o: WorkloadOptions = {}): Manifest {
  const labels = o.labels ?? LABELS;
  return manifest(
    'apps/v1',
    'Deployment',
    name,
    { spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(o.pod) }, ...o.spec } },
    o.namespace ?? NS,
  );
}

export function pod(name = 'web', o: WorkloadOptions = {}): Manifest {
  const m = manifest('v1', 'Pod', name, { spec: podSpec(o.pod) }, o.namespace ?? NS);
  return { ...m, metadata: { ...m.metadata, labels: o.labels ?? LABELS } };
}

export function service(
  name = 'web',
  selector: Record<string, string> | null = LABELS,
  ports: Fields[] = [{ name: 'http', port: 80, targetPort: 'http' }],
  extra: Fields = {},
): Manifest {
  const m = manifest('v1', 'Service', name, { spec: { ...(selector && { selector }), ports, ...extra } });
  return { ...m, metadata: { ...m.metadata, labels: LABELS } };
}

export function defaultDeny(namespace = NS): Manifest {
  return manifest(
    'networking.k8s.io/v1',
    'NetworkPolicy',
    'default-deny',
    { spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
    namespace,
  );
}

export function allowPolicy(name = 'web', labels: Record<string, string> = LABELS, namespace = NS): Manifest {
  return manifest(
    'networking.k8s.io/v1',
    'NetworkPolicy',
    name,
    { spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] } },
    namespace,
  );
}

export function objects(...manifests: Manifest[]): PolicyObject[] {
  return manifests.map((m, i) => ({ manifest: m, file: 'set.yaml', line: i + 1 }));
}

/** Runs one rule's check directly, without severities or exceptions. */
export function check(rule: Rule, manifests: Manifest[], ctx: PolicyContext = {}): RuleFinding[] {
  return rule.check(objects(...manifests), ctx);
}

/** The parts of findings a test compares: where and what. */
export function summary(findings: readonly RuleFinding[]): { name: string; path?: string; message: string }[] {
  return findings.map((f) => ({ name: f.object.manifest.metadata.name, ...(f.path !== undefined && { path: f.path }), message: f.message }));
}

/** The object as written without metadata.namespace, as `helm template` and many vendor manifests write it. */
export function withoutNamespace(m: Manifest): Manifest {
  const { namespace: _, ...metadata } = m.metadata;
  return { ...m, metadata };
}
