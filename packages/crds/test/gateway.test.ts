import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findRoot } from '@strata/project';
import { validate } from '@strata/validate';

const repo = findRoot();
const dir = mkdtempSync(join(tmpdir(), 'strata-gateway-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gateway = new Gateway({
  metadata: { name: 'web', namespace: 'edge' },
  spec: { gatewayClassName: 'shared', listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } }] },
});
const route = new HTTPRoute({
  metadata: { name: 'shop', namespace: 'shop' },
  spec: {
    parentRefs: [{ name: 'web', namespace: 'edge' }],
    hostnames: ['shop.example.com'],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'shop', port: 8080 }] }],
  },
});

async function problems(name: string, objects: readonly object[]): Promise<string[]> {
  const file = join(dir, name);
  writeFileSync(file, objects.map((o) => `---\n${stringify(JSON.parse(JSON.stringify(o)))}`).join(''));
  const r = await validate(repo, [file], { policy: false });
  return r.problems.map((p) => `${p.kind ?? ''} ${p.path ?? ''}: ${p.message}`);
}

describe('Gateway API ships by default', () => {
  it('a Gateway and an HTTPRoute authored with the maintained model validate strictly without crd add', async () => {
    gateway.validate();
    route.validate();
    expect(await problems('valid.yaml', [gateway, route])).toStrictEqual([]);
  });

  it('rejects a field the Gateway API does not have', async () => {
    const typo = { ...route, spec: { ...route.spec, hostname: 'shop.example.com' } };
    const found = await problems('typo.yaml', [typo]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('spec.hostname');
    expect(found[0]).toContain('unknown field');
  });
});
