import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findRoot } from '@strata/project';

/**
 * What the tests of a folder walk over kustomize trees share: the checkout they validate in, its
 * pinned kustomize that checks each case first, and the Deployments their trees hold.
 */

export const repo = findRoot(import.meta.dirname);

/** `kustomize build <dir>` with the pinned kustomize of the checkout. */
export function kustomizeBuild(dir: string) {
  return spawnSync(join(repo, '.tools', 'bin', 'kustomize'), ['build', dir], { encoding: 'utf8' });
}

const indent = (text: string, by: number) => text.replace(/^(?=.)/gm, ' '.repeat(by));

/** What a {@link deploymentYaml} is made of beyond the Deployment every such tree holds. */
export interface DeploymentParts {
  /** @default 'web' */
  readonly name?: string;
  /** Written only when given. */
  readonly namespace?: string;
  /** The name of its one container, which runs nginx:1.27. @default the Deployment's name */
  readonly containerName?: string;
  /** Lines added to the container, written from the left margin. */
  readonly container?: string;
  /** Lines added to the pod's spec, written from the left margin. */
  readonly pod?: string;
}

/** The YAML of a Deployment whose pods have the label app=<name> and one container running nginx:1.27. */
export function deploymentYaml(parts: DeploymentParts = {}): string {
  const name = parts.name ?? 'web';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}${parts.namespace ? `\n  namespace: ${parts.namespace}` : ''}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: ${parts.containerName ?? name}
          image: nginx:1.27
${indent(parts.container ?? '', 10)}${indent(parts.pod ?? '', 6)}`;
}
