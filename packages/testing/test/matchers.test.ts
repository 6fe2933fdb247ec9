import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Environment } from '@strata/core';
import { findRoot, loadApps } from '@strata/project';
import '../src/matchers.ts';
import { renderApp } from '../src/index.ts';

const [app] = await loadApps(findRoot(), ['tokenplace-relay']);

describe('test kit matchers', () => {
  it('toHaveResource finds exactly one object of a kind and name', () => {
    const prod = renderApp(app!, 'prod');
    expect(prod).toHaveResource('Deployment', 'tokenplace-relay');
    expect(prod).toHaveResource('EndpointSlice');
    expect(renderApp(app!, 'dev')).not.toHaveResource('EndpointSlice');
    expect(() => expect(prod).toHaveResource('StatefulSet')).toThrow(
      /expected exactly one StatefulSet, found 0; objects: Deployment\/tokenplace-relay/,
    );
  });

  it('toMatchOverlay compares the render with the real kustomize build', async () => {
    await expect(renderApp(app!, 'staging')).toMatchOverlay('tokenplace-relay', 'staging');
    // The dev render is not what the prod overlay builds.
    await expect(expect(renderApp(app!, 'dev')).toMatchOverlay('tokenplace-relay', 'prod')).rejects.toThrow(
      /overlays\/prod\/tokenplace-relay does not build to the render/,
    );
  });
});

describe('toMatchOverlay', () => {
  it('takes only the environments there are', () => {
    expectTypeOf(expect([]).toMatchOverlay).parameter(1).toEqualTypeOf<Environment>();
  });
});
