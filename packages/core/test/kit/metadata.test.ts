import { describe, expect, it } from 'vitest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { appMetadata } from '../../src/index.ts';

describe('appMetadata', () => {
  const web = appMetadata({ app: 'shop', component: 'web', namespace: 'shop-prod' });

  it('labels every object with the recommended labels of its app and component', () => {
    expect(web.labels).toStrictEqual({
      'app.kubernetes.io/name': 'shop',
      'app.kubernetes.io/component': 'web',
      'app.kubernetes.io/part-of': 'shop',
      'app.kubernetes.io/managed-by': 'strata',
    });
  });

  it('selects pods by name and component only, never by version', () => {
    const versioned = appMetadata({ app: 'shop', component: 'web', version: '1.2.3' });
    expect(versioned.labels['app.kubernetes.io/version']).toBe('1.2.3');
    expect(versioned.selector).toStrictEqual({ 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/component': 'web' });
    expect(appMetadata({ app: 'shop' }).selector).toStrictEqual({ 'app.kubernetes.io/name': 'shop' });
  });

  it('gives an object its name, the namespace and the labels; extras add or override labels', () => {
    expect(web.of('shop-web')).toStrictEqual({ name: 'shop-web', namespace: 'shop-prod', labels: web.labels });
    const cache = web.of('shop-cache', { labels: { 'app.kubernetes.io/name': 'redis', tier: 'cache' }, annotations: { note: 'x' } });
    expect(cache.labels).toMatchObject({ 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/part-of': 'shop', tier: 'cache' });
    expect(cache.annotations).toStrictEqual({ note: 'x' });
  });

  it('leaves the namespace out when none is given', () => {
    expect(appMetadata({ app: 'shop' }).of('shop')).not.toHaveProperty('namespace');
  });

  it('switches component, keeping app and namespace', () => {
    const worker = web.component('worker');
    expect(worker.of('w').labels['app.kubernetes.io/component']).toBe('worker');
    expect(worker.of('w').namespace).toBe('shop-prod');
    expect(web.labels['app.kubernetes.io/component']).toBe('web');
  });

  it('hands out copies, so changing one object leaves the next alone', () => {
    const first = web.of('a');
    first.labels.extra = 'y';
    expect(web.of('b').labels).not.toHaveProperty('extra');
  });

  it('is valid metadata for a model', () => {
    expect(() => new ConfigMap({ metadata: web.of('shop-config') }).validate()).not.toThrow();
  });
});
