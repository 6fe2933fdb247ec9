import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRoot } from '@strata/project';
import { buildOverlaySync } from '@strata/kustomize';
import { afterAll, describe, expect, it } from 'vitest';
import { blockLine } from '../src/block-lines.ts';
import { decodeParsed, readText } from '../src/index.ts';
import type { SourceDoc } from '../src/types.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-block-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every path to a value of the object, leaves and the collections on the way. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (value !== null && typeof value === 'object')
    return [at, ...Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  return [at];
}

async function docsOf(text: string): Promise<SourceDoc[]> {
  const parsed = { docs: [], problems: [], files: new Map() } as Parameters<typeof decodeParsed>[0];
  parsed.files.set('built.yaml', readText(text, 'built.yaml', 'built.yaml').file);
  await decodeParsed(parsed, repo);
  return parsed.docs;
}

/** For each path blockLine answers, the YAML parse's line; and how many paths it answered. */
async function compare(text: string): Promise<{ answered: number; asked: number; differ: string[] }> {
  const lines = text.split('\n');
  let answered = 0;
  let asked = 0;
  const differ: string[] = [];
  for (const d of await docsOf(text)) {
    for (const path of pathsOf(d.manifest).filter((p) => p.length > 0)) {
      asked++;
      const fast = blockLine(lines, d.line, path);
      if (fast === undefined) continue;
      answered++;
      if (fast !== d.lineOf(path)) differ.push(`${d.id} ${path.join('.')}: ${fast} against ${d.lineOf(path)}`);
    }
  }
  return { answered, asked, differ };
}

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  ingressClassName: nginx
  tls:
    - hosts: [shop.example.com, www.shop.example.com]
      secretName: shop-tls
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
          - path: /api
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  name: http
    - host: www.shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          args: ["--port", "8080"]
          env:
            - {name: A, value: "1"}
            - name: SCRIPT
              value: |
                line one
                - not an item
                key: not a key
          ports: [{containerPort: 8080}]
        - name: sidecar
          image: busybox:1.36
`;

describe('the line of a field in built output, read from its text', () => {
  it('agrees with the YAML parse on every field of what the real kustomize writes, and answers nearly all of them', async () => {
    const base = join(dir, 'base');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'ingress.yaml'), INGRESS);
    writeFileSync(join(base, 'deployment.yaml'), DEPLOYMENT);
    writeFileSync(
      join(base, 'kustomization.yaml'),
      'namespace: shop\nresources: [ingress.yaml, deployment.yaml]\nconfigMapGenerator:\n- name: settings\n  literals: ["on=yes", "mode=0o17", "path=/a: b"]\n',
    );
    const built = buildOverlaySync(repo, base);
    expect(built.error).toBeUndefined();
    const r = await compare(built.yaml);
    expect(r.differ).toStrictEqual([]);
    // What the rules ask for is answered from the text; only keys written quoted ("on") fall back.
    expect(r.answered).toBeGreaterThan(r.asked * 0.9);
    const docs = await docsOf(built.yaml);
    const ingress = docs.find((d) => d.manifest.kind === 'Ingress')!;
    expect(blockLine(built.yaml.split('\n'), ingress.line, ['spec', 'rules', 0, 'http', 'paths', 1, 'path'])).toBe(
      ingress.lineOf(['spec', 'rules', 0, 'http', 'paths', 1, 'path']),
    );
  });

  it('answers only what it reads for certain in text written otherwise, and agrees with the parse where it answers', async () => {
    for (const text of [
      INGRESS, // indented sequences and flow collections, as a person writes them
      DEPLOYMENT,
      // A List: its items are not at the top level.
      `apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- ${INGRESS.trimEnd().split('\n').join('\n  ')}\n`,
      // Keys quoted, a comment, a document marker inside a block scalar's text.
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  "name": c # the name\ndata:\n  "spec": |\n    spec:\n      replicas: 3\n  text: |-\n    ---\n    metadata: x\n`,
      // Two documents: the second one's fields are its own.
      `${DEPLOYMENT}---\n${INGRESS}`,
    ]) {
      const r = await compare(text);
      expect(r.differ, text).toStrictEqual([]);
    }
    const list = await compare(`apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- ${INGRESS.trimEnd().split('\n').join('\n  ')}\n`);
    expect(list.answered).toBe(0);
  });
});
