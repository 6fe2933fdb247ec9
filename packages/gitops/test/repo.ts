import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import type { Obj } from './argocd.ts';

/** The tiny repositories the gitops tests plan for: committed bases and overlays, no app sources. */

/** A YAML stream of the objects, one document each. */
export const yamlFile = (objects: Obj[]) => objects.map((o) => stringify(o)).join('---\n');

const kustomization = (fields: Obj) => stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...fields });

export interface RepoApp {
  /** The objects of its base. */
  objects: Obj[];
  /** The namespace its overlay sets in an env; without it the objects keep their own. */
  namespace?: (env: Environment) => string;
}

/**
 * Writes into `dir`, for each app, a base of its objects and an overlay per env on that base, and
 * each env's root kustomization listing the apps in the order given.
 */
export function writeRepo(dir: string, apps: Record<string, RepoApp>): void {
  const put = (rel: string, content: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  };
  for (const [app, { objects }] of Object.entries(apps)) {
    put(`base/${app}/objects.yaml`, yamlFile(objects));
    put(`base/${app}/kustomization.yaml`, kustomization({ resources: ['objects.yaml'] }));
  }
  for (const env of ENVIRONMENTS) {
    for (const [app, { namespace }] of Object.entries(apps)) {
      const fields = { resources: [`../../../base/${app}`], ...(namespace ? { namespace: namespace(env) } : {}) };
      put(`overlays/${env}/${app}/kustomization.yaml`, kustomization(fields));
    }
    put(`overlays/${env}/kustomization.yaml`, kustomization({ resources: Object.keys(apps) }));
  }
}

/** A Deployment of one nginx container named after it, its pods labelled and selected by `app: <name>`. */
export function deployment(name: string, spec: Obj = {}): Obj {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { ...spec, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: 'nginx:1.27' }] } } },
  };
}

/** An HPA that owns the replicas of the Deployment of the same name. */
export function autoscaler(name: string, minReplicas: number, maxReplicas: number): Obj {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas, maxReplicas },
  };
}
