import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { networkPoliciesYaml } from '@strata/testing/manifests';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { repo, strata } from '@strata/testing/workspace';

const fixtures = join(repo, 'packages/policy/__fixtures__');

describe('strata validate runs the policy', () => {
  const { dir, write } = suiteTempDir('strata-policy-');
  const deployment = (probes: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: ghcr.io/acme/web@sha256:${'a'.repeat(64)}
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
${probes ? '          readinessProbe: {httpGet: {path: /ready, port: http}}\n          livenessProbe: {httpGet: {path: /live, port: http}}\n' : ''}---
${networkPoliciesYaml('shop', 'web')}`;

  it('passes a safe workload and fails one without probes, naming the rule, object and field', () => {
    expect(strata(repo, ['validate', write('good.yaml', deployment(true))]).status).toBe(0);
    const r = strata(repo, ['validate', write('noprobes.yaml', deployment(false))]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/noprobes\.yaml:\d+: apps\/v1\/Deployment shop\/web: spec\.template\.spec\.containers\[0\]\S*: .*\[require-probes\]/);
  });

  it('--no-policy runs the schema and structural checks alone', () => {
    const r = strata(repo, ['validate', '--no-policy', join(dir, 'noprobes.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/No problems in 3 resources/);
  });

  it('applies severities per env from strata.config.json: a warning in dev, an error in prod', () => {
    const dev = strata(repo, ['validate', '--env', 'dev', join(dir, 'noprobes.yaml')]);
    expect(dev.stdout).toMatch(/\(warning\) \[require-probes\]/);
    expect(dev.status).toBe(0);
    expect(strata(repo, ['validate', '--env', 'prod', join(dir, 'noprobes.yaml')]).status).toBe(1);
  });

  it('rejects Secret values and secretGenerator literals anywhere', () => {
    const secret = write('secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\nstringData:\n  token: hunter2\n');
    const r = strata(repo, ['validate', '--no-policy', secret]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/secret\.yaml:\d+: v1\/Secret shop\/s: stringData: a Secret with values must not be committed.* \[no-secret-values\]/);
    const kust = write(
      'kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: creds\n    literals:\n      - password=hunter2\n',
    );
    const k = strata(repo, ['validate', kust]);
    expect(k.status).toBe(1);
    expect(k.stdout).toMatch(
      /kustomization\.yaml:\d+: kustomize\.config\.k8s\.io\/v1beta1\/Kustomization: secretGenerator\[0\]\.literals: secretGenerator creds holds literal values.* \[no-secret-values\]/,
    );
  });

  it("rejects an ExternalSecret whose template writes literal text into its Secret, even without the policy's other rules", () => {
    const es = write(
      'es.yaml',
      `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: shop}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: ClusterSecretStore, name: secret-store}
  target:
    name: db
    template:
      data:
        password: hunter2-literal-prod-password
        user: "{{ .user }}"
  data:
    - secretKey: user
      remoteRef: {key: shop/db, property: user}
`,
    );
    const r = strata(repo, ['validate', '--no-policy', es]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /es\.yaml:11: external-secrets\.io\/v1\/ExternalSecret shop\/db: spec\.target\.template\.data\.password: template value password reads no fetched data, and External Secrets writes its text into the Secret "db" as it stands.* \[no-secret-values\]/,
    );
    expect(r.stdout).toMatch(/Found 1 problem in 1 of 1 resource/);
  });

  it('reports reading every Secret through a ClusterRole labelled into the built-in view, as through one a ClusterRoleBinding binds', () => {
    const role = (labels: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agg
${labels}rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
`;
    const subjects = 'subjects:\n- {kind: Group, name: "system:serviceaccounts:kube-system", apiGroup: rbac.authorization.k8s.io}\n';
    const bound = strata(repo, [
      'validate',
      write('rb2.yaml', `${role('')}roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}\n${subjects}`),
    ]);
    expect(bound.status).toBe(1);
    expect(bound.stdout).toMatch(
      /rb2\.yaml:\d+: rbac\.authorization\.k8s\.io\/v1\/ClusterRole agg: rules\[0\]\.resources: Rule 0 lets its subjects get, list, watch secrets in every namespace \(ClusterRoleBinding "b"\), which reads every Secret of the cluster.* \[no-rbac-escalation\]/,
    );
    const aggregated = strata(repo, [
      'validate',
      write(
        'rb3.yaml',
        `${role('  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}\n')}roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n${subjects}`,
      ),
    ]);
    expect(aggregated.status).toBe(1);
    expect(aggregated.stdout).toMatch(
      /rb3\.yaml:\d+: rbac\.authorization\.k8s\.io\/v1\/ClusterRole agg: rules\[0\]\.resources: Rule 0 lets its subjects get, list, watch secrets in every namespace \(its label rbac\.authorization\.k8s\.io\/aggregate-to-view: "true" has the clusterrole-aggregation controller copy it into the built-in ClusterRoles "view", "edit", "admin".*\), which reads every Secret of the cluster.*: take off the label rbac\.authorization\.k8s\.io\/aggregate-to-view, then .* \[no-rbac-escalation\]/,
    );
    expect(aggregated.stdout).toMatch(/Found 1 problem in 1 of 2 resources/);
  });
});

// The policy's corpus, through the real CLI: every broken input fails with its rule, every valid one passes.
describe('the policy corpus through strata validate', () => {
  const load = (kind: string) =>
    readdirSync(join(fixtures, kind))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ file: join(fixtures, kind, f), text: readFileSync(join(fixtures, kind, f), 'utf8') }))
      .filter((f) => !/^# single-replica: true/m.test(f.text));
  const run = (files: { file: string; text: string }[], env: string) => {
    if (files.length === 0) return [];
    const r = strata(repo, ['validate', '--output', 'json', '--env', env, ...files.map((f) => f.file)]);
    return JSON.parse(r.stdout).problems as { file: string; rule: string; message: string; severity: string }[];
  };
  // Files given together are one cluster: a default deny that one ships counts for the pods of all.
  // The fixtures of the rules that judge a namespace's NetworkPolicies are each validated alone.
  const alone = (f: { text: string }) => /^# expect: (default-deny-network-policy|network-policy-selects-workload):/m.test(f.text);
  /** What validate finds in the files, each validated for the env its `# env:` line names (prod, or dev). */
  const problemsOf = (files: { file: string; text: string }[]) => {
    const envOf = (t: string) => /^# env: (\w+)/m.exec(t)?.[1] ?? 'prod';
    return ['prod', 'dev'].flatMap((env) => {
      const ofEnv = files.filter((f) => envOf(f.text) === env);
      return [
        ...run(
          ofEnv.filter((f) => !alone(f)),
          env,
        ),
        ...ofEnv.filter(alone).flatMap((f) => run([f], env)),
      ];
    });
  };

  it('reports the expected rule and message for each of at least 40 broken inputs', () => {
    const invalid = load('invalid');
    expect(invalid.length).toBeGreaterThanOrEqual(40);
    const problems = problemsOf(invalid);
    for (const f of invalid) {
      for (const [, rule, message] of f.text.matchAll(/^# expect: ([\w-]+): (.+)$/gm)) {
        const hit = problems.find((p) => f.file.endsWith(p.file) && p.rule === rule && p.message.includes(message!.trim()));
        expect(hit, `${f.file}: expected ${rule}: ${message}`).toBeDefined();
      }
    }
  });

  it('finds nothing in at least 20 valid inputs (no false positives)', () => {
    const valid = load('valid');
    expect(valid.length).toBeGreaterThanOrEqual(20);
    // Some valid inputs are Kustomize fragments (a template whose pod spec a patch adds) that the
    // API server would refuse as they stand; field validation has its own corpus and differential test.
    // The inputs are separate examples, not one cluster: the env-wide check of Ingress routes across
    // them does not apply; and a workload custom resource is there for the pod rules, its CRD not kept.
    const problems = problemsOf(valid).filter(
      (p) => p.rule !== 'server-validation' && p.rule !== 'unique-ingress-route' && !(p.rule === 'schema' && p.message.startsWith('no schema for ')),
    );
    expect(problems.map((p) => `${p.file}: ${p.rule}: ${p.message}`)).toStrictEqual([]);
  });
});
