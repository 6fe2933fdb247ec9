import { describe, expect, it } from 'vitest';
import { defineApp, isDns1035Label, isDnsLabel, isDnsSubdomain, nameRuleOf, ObjectError, objectNameProblems, toManifest } from '../src/index.ts';

describe('Kubernetes name rules', () => {
  it('tells labels, 1035 labels and subdomains apart as the API server does', () => {
    expect(isDnsLabel('web-1')).toBe(true);
    expect(isDnsLabel('1web')).toBe(true);
    expect(isDns1035Label('1web')).toBe(false);
    expect(isDnsLabel('a.b')).toBe(false);
    expect(isDnsSubdomain('a.b-c.d')).toBe(true);
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    expect(isDnsSubdomain('a'.repeat(254))).toBe(false);
    for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'a/b', '..', '../x', 'a..b', '.a']) expect(isDnsSubdomain(bad), bad).toBe(false);
  });

  it('applies the rule of each kind: namespaces are labels, Services 1035 labels, RBAC names path segments', () => {
    expect(nameRuleOf('Namespace')).toBe('dns-label');
    expect(nameRuleOf('Service')).toBe('dns-1035-label');
    expect(nameRuleOf('ClusterRole')).toBe('path-segment');
    expect(nameRuleOf('Deployment')).toBe('dns-subdomain');
    expect(objectNameProblems({ kind: 'ClusterRole', metadata: { name: 'system:metrics-reader' } })).toStrictEqual([]);
    expect(objectNameProblems({ kind: 'ClusterRole', metadata: { name: '../x' } }).map((p) => p.path)).toStrictEqual(['metadata.name']);
    expect(objectNameProblems({ kind: 'Service', metadata: { name: '9lives' } }).map((p) => p.path)).toStrictEqual(['metadata.name']);
  });

  it('refuses kinds that are not identifiers and namespaces that are not labels', () => {
    expect(objectNameProblems({ kind: 'Config/../../x', metadata: { name: 'a' } }).map((p) => p.path)).toStrictEqual(['kind']);
    expect(objectNameProblems({ kind: 'ConfigMap', metadata: { name: 'a', namespace: '../other' } }).map((p) => p.path)).toStrictEqual([
      'metadata.namespace',
    ]);
  });
});

describe('rendered objects', () => {
  it('refuses a name that would become a path outside its folder, naming the object and the field', () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x/../../tensafe/deployment.tensafe' } };
    expect(() => toManifest(object, 'app evil env prod')).toThrow(ObjectError);
    expect(() => toManifest(object, 'app evil env prod')).toThrow(
      /^app evil env prod: v1\/ConfigMap x\/\.\.\/\.\.\/tensafe\/deployment\.tensafe: metadata\.name: "x\/\.\.\/\.\.\/tensafe\/deployment\.tensafe" must be a DNS-1123 subdomain/,
    );
  });

  it('keeps a key __proto__ (a valid ConfigMap key) as a field of the manifest, with no prototype set from it', () => {
    const data = { ['__proto__']: 'polluted', constructor: 'c', normal: 'n' };
    const m = toManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data } as never, 'app ok');
    expect(Object.entries(m.data as object)).toStrictEqual(Object.entries(data));
    expect(Object.getPrototypeOf(m.data)).toBe(Object.prototype);
    expect(JSON.stringify(m)).toContain('"data":{"__proto__":"polluted","constructor":"c","normal":"n"}');
  });

  it('refuses a Secret that holds a value, naming the key and never the value', () => {
    for (const field of ['data', 'stringData']) {
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, [field]: { password: 'aHVudGVyMg==' } };
      let message = '';
      try {
        toManifest(secret, 'app leaky');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(new RegExp(`^app leaky: v1/Secret creds: ${field}\\.password: a Secret must not hold values`));
      expect(message).not.toContain('aHVudGVyMg==');
    }
    // A Secret with keys but no values (filled in by the cluster) is fine, and so is any other kind's data.
    expect(toManifest({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: '' } } as never, 'app ok').kind).toBe(
      'Secret',
    );
    expect(toManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } } as never, 'app ok').kind).toBe('ConfigMap');
  });

  it.each([
    ['a kind: List', 'v1', 'List'],
    ['a SecretList', 'v1', 'SecretList'],
    ['a list of another group', 'example.io/v1', 'WidgetList'],
  ])('refuses a Secret with values inside %s, naming the list, the item and the key', (_, apiVersion, kind) => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'leak', namespace: 'ns' }, data: { password: 'aHVudGVyMg==' } };
    const list = {
      apiVersion,
      kind,
      metadata: { name: 'smuggle', namespace: 'ns' },
      items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, secret],
    };
    let message = '';
    try {
      toManifest(list, 'app leaky');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      `app leaky: ${apiVersion}/${kind} ns/smuggle: items[1].data.password: the item v1/Secret ns/leak holds a value; a Secret must not hold values in the committed tree; create it in the cluster (an ExternalSecret, say) and refer to it by name`,
    );
    // Lists inside lists are unpacked too.
    const outer = { apiVersion: 'v1', kind: 'List', metadata: { name: 'outer' }, items: [list] };
    expect(() => toManifest(outer, 'app leaky')).toThrow(
      /^app leaky: v1\/List outer: items\[0\]\.items\[1\]\.data\.password: the item v1\/Secret ns\/leak holds a value;/,
    );
    // A list of Secrets without values passes.
    const empty = { ...list, items: [{ ...secret, data: { password: '' } }] };
    expect(toManifest(empty, 'app ok').kind).toBe(kind);
  });

  it('refuses a component name that would become a path outside the app', () => {
    expect(() =>
      defineApp<{ n: number }, '../../tensafe'>({
        name: 'evil',
        defaults: { n: 1 },
        components: { '../../tensafe': { description: 'x', overrides: { n: 2 } } },
        envs: { dev: {}, staging: {}, prod: {} },
        render: () => [],
      }),
    ).toThrow(/^app evil: components\["\.\.\/\.\.\/tensafe"\]: a component name must be a DNS-1123 label/);
  });
});
