import type { Manifest } from '@strata/core';
import { at, list, str } from './read.ts';

/** One host and path that an Ingress routes, in its IngressClass. */
export interface IngressRoute {
  /** `spec.ingressClassName`, else the `kubernetes.io/ingress.class` annotation; '' for the cluster's default class. */
  readonly ingressClass: string;
  /** The rule's host in lower case (DNS names are); '' for a rule without one, which serves every host. */
  readonly host: string;
  /** The path; '/' for a path left out or empty, as ingress-nginx reads it. */
  readonly path: string;
  /** Where the path is: `spec.rules[0].http.paths[1].path`. */
  readonly field: string;
}

/**
 * ingress-nginx lets a canary Ingress share the host and path of the one it shadows: that is how a
 * canary is made, so its routes claim nothing.
 */
const CANARY = 'nginx.ingress.kubernetes.io/canary';

const GROUPS = new Set(['networking.k8s.io', 'extensions']);

/**
 * The hosts and paths an Ingress routes, each once; none for another kind or a canary. The controller
 * of a class serves one backend per host and path: a second Ingress that routes the same one in the
 * same class is refused by ingress-nginx's admission ("host ... and path ... is already defined in
 * ingress ..."), or without it takes the traffic of one of the two, decided by their age.
 */
export function ingressRoutes(manifest: Manifest): IngressRoute[] {
  const group = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/')[0]! : '';
  if (manifest.kind !== 'Ingress' || !GROUPS.has(group)) return [];
  const annotations = at(manifest, 'metadata', 'annotations');
  if (String(at(annotations, CANARY)) === 'true') return [];
  const ingressClass = str(at(manifest, 'spec', 'ingressClassName')) ?? str(at(annotations, 'kubernetes.io/ingress.class')) ?? '';
  const seen = new Set<string>();
  return list(at(manifest, 'spec', 'rules')).flatMap((rule, r) => {
    const host = (str(at(rule, 'host')) ?? '').toLowerCase();
    return list(at(rule, 'http', 'paths')).flatMap((p, i) => {
      const path = str(at(p, 'path')) || '/';
      const key = `${host} ${path}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ ingressClass, host, path, field: `spec.rules[${r}].http.paths[${i}].path` }];
    });
  });
}
