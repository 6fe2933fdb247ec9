import type { Manifest } from '@strata/core';

/**
 * Builders of the workloads a differential test of pod fields creates in the namespace `ns`: a pod
 * spec of one busybox container with `spec`'s fields, and a Deployment and a bare Pod of it.
 */
export function workloadsIn(ns: string) {
  const podSpec = (spec: Record<string, unknown>) => ({ containers: [{ name: 'c', image: 'busybox' }], ...spec });
  const deployment = (name: string, spec: Record<string, unknown>): Manifest =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec(spec) } },
    }) as Manifest;
  const pod = (name: string, spec: Record<string, unknown>): Manifest =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: podSpec(spec) }) as Manifest;
  return { podSpec, deployment, pod };
}
