import { expect } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { compareManifests, isGeneratedConfigMap, normalize } from '@strata/emit';
import { Layout } from '@strata/project';
import { buildApp } from './index.ts';

export interface StrataMatchers<R> {
  /** The manifests hold exactly one object of this kind (and name, when given). */
  toHaveResource(kind: string, name?: string): R;
  /** The real `kustomize build overlays/<env>/<app>` equals these (rendered) manifests. */
  toMatchOverlay(app: string, env: Environment): Promise<void>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends StrataMatchers<R> {}
}

const list = (ms: readonly Manifest[]) => ms.map((m) => `${m.kind}/${m.metadata.name}`).join(', ') || '(none)';

expect.extend({
  toHaveResource(received: readonly Manifest[], kind: string, name?: string) {
    const hits = received.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
    const what = `${kind}${name ? `/${name}` : ''}`;
    return {
      pass: hits.length === 1,
      message: () =>
        this.isNot ? `expected no ${what}, found it` : `expected exactly one ${what}, found ${hits.length}; objects: ${list(received)}`,
    };
  },
  async toMatchOverlay(received: readonly Manifest[], app: string, env: Environment) {
    const generated = new Set(received.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
    const built = await buildApp(app, env);
    const mismatches = compareManifests(normalize(received, generated), normalize(built, generated), {
      expected: 'rendered',
      actual: 'kustomize build',
    });
    return {
      pass: mismatches.length === 0,
      message: () =>
        this.isNot
          ? `expected ${Layout.overlay(env, app)} to differ from the render`
          : `${Layout.overlay(env, app)} does not build to the render (run \`npx strata generate\`):\n${mismatches.map((m) => m.diff).join('\n')}`,
    };
  },
});
