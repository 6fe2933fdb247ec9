import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noUncheckedPodTemplate as rule } from '../../src/rules/no-unchecked-pod-template.ts';
import { check, container, deployment, IMAGE, LABELS, manifest, NS, objects, podSpec, summary } from '../support.ts';

const custom = (apiVersion: string, kind: string, spec: Record<string, unknown>) => manifest(apiVersion, kind, 'web', { spec });

describe('no-unchecked-pod-template', () => {
  it('warns of a custom resource whose containers at spec.template.spec are not each named with an image', () => {
    const knative = custom('serving.knative.dev/v1', 'Service', { template: { spec: { containers: [{ image: IMAGE }] } } });
    expect(summary(check(rule, [knative]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers',
        message:
          'The Service carries containers at spec.template.spec that are not each an object with a name and an image, so the policy cannot read them as a pod and its pods are not judged ' +
          '(privileged, host namespaces, resources, probes, network policies): give every container a name and an image, or judge the pods its controller creates, and add a policy exception that says why.',
      },
    ]);
    const [f] = runPolicy(objects(knative)).filter((x) => x.rule === 'no-unchecked-pod-template');
    expect(f?.severity).toBe('warning');
  });

  it('warns of a job template too, and of containers that are not a list', () => {
    const found = check(rule, [
      custom('example.com/v1', 'Batch', { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job' }] } } } } }),
      custom('example.com/v1', 'Odd', { template: { spec: { containers: { name: 'web', image: IMAGE } } } }),
    ]);
    expect(found.map((f) => f.path)).toStrictEqual(['spec.jobTemplate.spec.template.spec.containers', 'spec.template.spec.containers']);
  });

  it('warns of containers outside any pod template that leave the restricted hardening unset (Argo Workflows, Tekton), once per object, at the first and counting the rest', () => {
    const privileged = { image: IMAGE, securityContext: { privileged: true } };
    const workflow = custom('argoproj.io/v1alpha1', 'Workflow', {
      entrypoint: 'main',
      templates: [
        { name: 'main', steps: [[{ name: 's', template: 'run' }]] },
        { name: 'run', container: privileged },
        { name: 'x', script: { ...privileged, source: 'id' } },
      ],
    });
    const task = custom('tekton.dev/v1', 'Task', { steps: [{ name: 'build', image: IMAGE }] });
    expect(summary(check(rule, [workflow, task]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.templates[1].container',
        message:
          'The Workflow runs a container at spec.templates[1].container and 1 more outside any pod template the policy reads (a map whose spec holds containers), where the Pod Security rules judge only what it sets: ' +
          'it does not set allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, seccompProfile.type: RuntimeDefault, which the restricted profile demands: ' +
          "set them in its securityContext (or its pod's, where its kind has one), or add a policy exception that says why.",
      },
      {
        name: 'web',
        path: 'spec.steps[0]',
        message:
          'The Task runs a container at spec.steps[0] outside any pod template the policy reads (a map whose spec holds containers), where the Pod Security rules judge only what it sets: ' +
          'it does not set allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, seccompProfile.type: RuntimeDefault, which the restricted profile demands: ' +
          "set them in its securityContext (or its pod's, where its kind has one), or add a policy exception that says why.",
      },
    ]);
    // A template in another shape is said once, at the template, not again for its containers.
    const knative = custom('serving.knative.dev/v1', 'Service', { template: { spec: { containers: [{ image: IMAGE }] } } });
    expect(check(rule, [knative]).map((f) => f.path)).toStrictEqual(['spec.template.spec.containers']);
  });

  it('warns of a template of another shape beside one the rules read: its pods are not judged, though the other template is', () => {
    const mixed = custom('example.com/v1', 'Mixed', {
      template: { spec: { containers: [{ image: IMAGE }] } },
      jobTemplate: { spec: { template: { spec: podSpec() } } },
    });
    expect(check(rule, [mixed]).map((f) => f.path)).toStrictEqual(['spec.template.spec.containers']);
  });

  it('stays quiet for a custom pod template in the shape of a PodSpec (the pod rules judge it), for templates without containers, and for built-in kinds', () => {
    expect(
      check(rule, [
        custom('argoproj.io/v1alpha1', 'Rollout', { template: { metadata: { labels: LABELS }, spec: podSpec() } }),
        custom('argoproj.io/v1alpha1', 'ApplicationSet', { template: { spec: { project: 'default', destination: {} } } }),
        deployment('web', { pod: { containers: [{ image: IMAGE }] } }),
        // An image that is not text names no container to run; what a controller reports is not asked for.
        custom('example.com/v1', 'Chart', { values: { image: { repository: 'nginx', tag: '1.27' } } }),
        { ...custom('example.com/v1', 'Runner', {}), status: { image: IMAGE } },
        manifest('apps/v1', 'Rollout', 'web', { spec: { template: { spec: { containers: [{ image: IMAGE }] } } } }),
      ]),
    ).toStrictEqual([]);
  });
});

describe('pod templates of custom resources, judged by their shape', () => {
  const rollout = (pod: Record<string, unknown>) =>
    custom('example.com/v1alpha1', 'Rollout', { selector: { matchLabels: LABELS }, template: { metadata: { labels: LABELS }, spec: podSpec(pod) } });
  const rulesOn = (...m: ReturnType<typeof manifest>[]) =>
    runPolicy(objects(...m))
      .filter((f) => f.object.manifest.kind !== 'NetworkPolicy')
      .map((f) => [f.rule, f.path]);

  it('reports a privileged, host-network pod of a custom workload as of a Deployment, and its namespace without a default deny', () => {
    const privileged = container({
      securityContext: { privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    });
    expect(rulesOn(rollout({ hostNetwork: true, containers: [privileged] }))).toStrictEqual([
      ['no-host-namespaces', 'spec.template.spec.hostNetwork'],
      ['no-privileged', 'spec.template.spec.containers[0].securityContext.privileged'],
      ['no-host-ports', 'spec.template.spec.containers[0].ports[0].hostPort'],
      ['default-deny-network-policy', undefined],
      ['network-policy-selects-workload', 'spec.template.metadata.labels'],
    ]);
  });

  it('judges every pod template of a custom resource wherever it is (KubeRay, Kubeflow), each at its own path', () => {
    const privileged = container({
      securityContext: { privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    });
    const template = (pod: Record<string, unknown>) => ({ metadata: { labels: LABELS }, spec: podSpec(pod) });
    const ray = custom('ray.io/v1', 'RayCluster', {
      headGroupSpec: { rayStartParams: {}, template: template({ hostNetwork: true }) },
      workerGroupSpecs: [
        { groupName: 'small', template: template({}) },
        { groupName: 'gpu', template: template({ containers: [privileged] }) },
      ],
    });
    const security = (...m: ReturnType<typeof manifest>[]) => rulesOn(...m).filter(([r]) => r === 'no-host-namespaces' || r === 'no-privileged');
    expect(security(ray)).toStrictEqual([
      ['no-host-namespaces', 'spec.headGroupSpec.template.spec.hostNetwork'],
      ['no-privileged', 'spec.workerGroupSpecs[1].template.spec.containers[0].securityContext.privileged'],
    ]);
    const pytorch = custom('kubeflow.org/v1', 'PyTorchJob', {
      pytorchReplicaSpecs: { Master: { replicas: 1, template: template({}) }, Worker: { replicas: 2, template: template({ hostPID: true }) } },
    });
    expect(security(pytorch)).toStrictEqual([['no-host-namespaces', 'spec.pytorchReplicaSpecs.Worker.template.spec.hostPID']]);
    // No warning for them: every container they hold is in a template the rules read.
    expect(rulesOn(ray, pytorch).filter(([r]) => r === 'no-unchecked-pod-template')).toStrictEqual([]);
  });

  it('reads a job template of a custom resource, and leaves containers without a name or image to the warning', () => {
    const cron = custom('example.com/v1', 'Schedule', {
      jobTemplate: {
        spec: {
          template: { metadata: { labels: LABELS }, spec: podSpec({ containers: [container({ name: 'job', ports: [], resources: undefined })] }) },
        },
      },
    });
    expect(rulesOn(cron).filter(([r]) => r === 'require-resources')).toStrictEqual([
      ['require-resources', 'spec.jobTemplate.spec.template.spec.containers[0].resources'],
    ]);
    const unnamed = custom('example.com/v1', 'Rollout', { template: { spec: { hostNetwork: true, containers: [{ image: IMAGE }] } } });
    expect(rulesOn(unnamed)).toStrictEqual([['no-unchecked-pod-template', 'spec.template.spec.containers']]);
  });
});

describe('containers outside any pod template (Argo Workflows, Tekton), judged by the Pod Security rules', () => {
  // What the restricted profile demands of a container; the workflows below set the rest on the pod.
  const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  const POD_CONTEXT = { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } };
  const workflow = (build: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
    custom('argoproj.io/v1alpha1', 'Workflow', {
      entrypoint: 'main',
      securityContext: POD_CONTEXT,
      templates: [
        { name: 'main', steps: [[{ name: 'build', template: 'build' }]] },
        { name: 'build', ...build },
      ],
      ...spec,
    });
  const step = (securityContext: Record<string, unknown>) => workflow({ container: { image: IMAGE, command: ['make'], securityContext } });
  const script = (securityContext: Record<string, unknown>) =>
    workflow({ script: { image: IMAGE, command: ['sh'], source: 'make test', securityContext } });
  const task = (capabilities: Record<string, unknown>) =>
    custom('tekton.dev/v1', 'Task', {
      steps: [{ name: 'build', image: IMAGE, script: 'make', securityContext: { ...POD_CONTEXT, ...HARDENED, capabilities } }],
    });
  const found = (...m: ReturnType<typeof manifest>[]) => runPolicy(objects(...m)).map((f) => [f.rule, f.path, f.severity, f.message]);

  it('fails a privileged Argo Workflow step with no-privileged at its container, and passes it without privileged, with no probe or resource finding', () => {
    expect(found(step({ ...HARDENED, privileged: true }))).toStrictEqual([
      [
        'no-privileged',
        'spec.templates[1].container.securityContext.privileged',
        'error',
        'Container "build" runs privileged, with full access to the node: remove securityContext.privileged or set it to false.',
      ],
    ]);
    expect(found(step(HARDENED))).toStrictEqual([]);
  });

  it('fails a Tekton step that adds SYS_ADMIN with drop-all-capabilities at the capability, and passes it without', () => {
    expect(found(task({ drop: ['ALL'], add: ['SYS_ADMIN'] }))).toStrictEqual([
      [
        'drop-all-capabilities',
        'spec.steps[0].securityContext.capabilities.add[0]',
        'error',
        'Container "build" adds capability SYS_ADMIN, beyond the runtime\'s default set: remove it (only NET_BIND_SERVICE may be added back).',
      ],
    ]);
    expect(found(task({ drop: ['ALL'] }))).toStrictEqual([]);
  });

  it('fails an Argo script template that allows privilege escalation with no-privilege-escalation at its script, and passes it without', () => {
    expect(found(script({ ...HARDENED, allowPrivilegeEscalation: true }))).toStrictEqual([
      [
        'no-privilege-escalation',
        'spec.templates[1].script.securityContext.allowPrivilegeEscalation',
        'error',
        'Container "build" sets allowPrivilegeEscalation: true: set it to false.',
      ],
    ]);
    expect(found(script(HARDENED))).toStrictEqual([]);
  });

  it("fails no step for what it leaves unset, which its kind may not even have, and warns of it once instead; an operator's flat spec has its own host fields judged", () => {
    const bare = custom('argoproj.io/v1alpha1', 'Workflow', { entrypoint: 'build', templates: [{ name: 'build', container: { image: IMAGE } }] });
    expect(found(bare).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-unchecked-pod-template', 'spec.templates[0].container', 'warning'],
    ]);
    const operator = custom('example.com/v1', 'Agent', { image: IMAGE, hostNetwork: true });
    expect(found(operator).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-host-namespaces', 'spec.hostNetwork', 'error'],
      ['no-unchecked-pod-template', 'spec', 'warning'],
    ]);
  });

  it("judges the pod settings around the steps where they are, once each: a workflow's hostNetwork and root user, a template's hostPath, a container set's root container", () => {
    const wf = custom('argoproj.io/v1alpha1', 'Workflow', {
      entrypoint: 'main',
      hostNetwork: true,
      securityContext: { ...POD_CONTEXT, runAsUser: 0 },
      templates: [
        {
          name: 'a',
          container: { image: IMAGE, securityContext: HARDENED },
          volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }],
        },
        {
          name: 'b',
          containerSet: {
            containers: [
              { name: 'x', image: IMAGE, securityContext: HARDENED },
              { name: 'y', image: IMAGE, securityContext: { ...HARDENED, runAsUser: 0 } },
            ],
          },
        },
      ],
    });
    expect(found(wf).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-host-namespaces', 'spec.hostNetwork', 'error'],
      ['no-host-path', 'spec.templates[0].volumes[0].hostPath', 'error'],
      ['no-root-user', 'spec.securityContext.runAsUser', 'error'],
      ['no-root-user', 'spec.templates[1].containerSet.containers[1].securityContext.runAsUser', 'error'],
    ]);
  });

  it("judges container defaults without an image (Tekton's stepTemplate) for what they set, and counts what they harden for every step", () => {
    const withTemplate = (stepTemplate: Record<string, unknown>) =>
      custom('tekton.dev/v1', 'Task', { stepTemplate, steps: [{ name: 'build', image: IMAGE, script: 'make' }] });
    expect(found(withTemplate({ securityContext: { privileged: true } })).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-privileged', 'spec.stepTemplate.securityContext.privileged', 'error'],
      ['no-unchecked-pod-template', 'spec.steps[0]', 'warning'],
    ]);
    expect(found(withTemplate({ env: [{ name: 'CI', value: 'true' }], securityContext: { ...POD_CONTEXT, ...HARDENED } }))).toStrictEqual([]);
  });

  it("judges pod settings that no container is inside (a TaskRun's podTemplate, a workflow that runs a template of another object) where they are", () => {
    const run = custom('tekton.dev/v1', 'TaskRun', {
      taskRef: { name: 'build' },
      podTemplate: { securityContext: { runAsUser: 0 }, volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }] },
    });
    const referring = custom('argoproj.io/v1alpha1', 'Workflow', { hostPID: true, workflowTemplateRef: { name: 'build' } });
    expect(found(run, referring).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-host-path', 'spec.podTemplate.volumes[0].hostPath', 'error'],
      ['no-root-user', 'spec.podTemplate.securityContext.runAsUser', 'error'],
      ['no-host-namespaces', 'spec.hostPID', 'error'],
    ]);
  });

  it('judges what an Argo podSpecPatch (JSON or YAML text, on the workflow or a template) sets, at its place in the text, and passes a harmless one', () => {
    const json = workflow({
      container: { image: IMAGE, securityContext: HARDENED },
      podSpecPatch: '{"containers":[{"name":"main","securityContext":{"privileged":true}}]}',
    });
    const yaml = workflow(
      { container: { image: IMAGE, securityContext: HARDENED } },
      { podSpecPatch: 'hostPID: true\nsecurityContext:\n  runAsUser: 0\n' },
    );
    expect([...found(json), ...found(yaml)].map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-privileged', 'spec.templates[1].podSpecPatch.containers[0].securityContext.privileged', 'error'],
      ['no-host-namespaces', 'spec.podSpecPatch.hostPID', 'error'],
      ['no-root-user', 'spec.podSpecPatch.securityContext.runAsUser', 'error'],
    ]);
    expect(found(json)[0]?.[3]).toBe(
      'Container "main" runs privileged, with full access to the node: remove securityContext.privileged or set it to false.',
    );
    const harmless = workflow({
      container: { image: IMAGE, securityContext: HARDENED },
      podSpecPatch: '{"containers":[{"name":"main","resources":{"limits":{"cpu":"1"}}}]}',
    });
    expect(found(harmless)).toStrictEqual([]);
  });

  it('warns of a podSpecPatch the policy cannot check, at the patch: text that is no JSON or YAML map, or that holds an expression Argo fills in when it runs', () => {
    const patched = (podSpecPatch: string) => workflow({ container: { image: IMAGE, securityContext: HARDENED }, podSpecPatch });
    const warned = (podSpecPatch: string) => found(patched(podSpecPatch)).map(([rule, path, severity, message]) => [rule, path, severity, message]);
    const because = (why: string) =>
      `The Workflow's pod spec patch at spec.templates[1].podSpecPatch ${why}, so the policy cannot check what it patches into the pod (privileged, host namespaces, capabilities, a root user): ` +
      'write the fields it patches in literally as JSON or YAML, or add a policy exception that says why.';
    expect(warned('{{inputs.parameters.patch}}')).toStrictEqual([
      [
        'no-unchecked-pod-template',
        'spec.templates[1].podSpecPatch',
        'warning',
        because('holds {{inputs.parameters.patch}}, an expression its controller fills in when it runs'),
      ],
    ]);
    expect(warned('containers: [name: main')).toStrictEqual([
      ['no-unchecked-pod-template', 'spec.templates[1].podSpecPatch', 'warning', because('is no JSON or YAML map')],
    ]);
    expect(warned('- hostNetwork: true')).toStrictEqual([
      ['no-unchecked-pod-template', 'spec.templates[1].podSpecPatch', 'warning', because('is no JSON or YAML map')],
    ]);
    // A patch that parses is judged for what it sets, and warned of for the expression whose value decides the rest.
    expect(
      found(patched('{"containers":[{"name":"main","securityContext":{"privileged":true,"runAsUser":"{{inputs.parameters.uid}}"}}]}')).map(
        ([rule, path, severity]) => [rule, path, severity],
      ),
    ).toStrictEqual([
      ['no-privileged', 'spec.templates[1].podSpecPatch.containers[0].securityContext.privileged', 'error'],
      ['no-unchecked-pod-template', 'spec.templates[1].podSpecPatch', 'warning'],
    ]);
    // An empty patch patches nothing.
    expect(found(patched('  \n'))).toStrictEqual([]);
  });

  it("judges the securityContext of Argo's templateDefaults, the pod settings of every template that sets none, where it is", () => {
    const defaults = (templateDefaults: Record<string, unknown>) =>
      workflow({ container: { image: IMAGE, securityContext: HARDENED } }, { templateDefaults });
    expect(
      found(defaults({ securityContext: { runAsUser: 0, seccompProfile: { type: 'Unconfined' } } })).map(([rule, path, severity]) => [
        rule,
        path,
        severity,
      ]),
    ).toStrictEqual([
      ['require-seccomp-profile', 'spec.templateDefaults.securityContext.seccompProfile.type', 'error'],
      ['no-root-user', 'spec.templateDefaults.securityContext.runAsUser', 'error'],
      // They replace the workflow's securityContext, so the step's pod no longer sets runAsNonRoot.
      ['no-unchecked-pod-template', 'spec.templates[1].container', 'warning'],
    ]);
    expect(found(defaults({ securityContext: POD_CONTEXT, timeout: '1h' }))).toStrictEqual([]);
  });

  it("takes Argo's templateDefaults for part of every template, as Argo merges them in: their securityContext in place of the workflow's, under a template's own, and their volumes judged where they are", () => {
    const step = { container: { image: IMAGE, securityContext: HARDENED } };
    const rulesOf = (...m: ReturnType<typeof manifest>[]) => found(...m).map(([rule, path, severity]) => [rule, path, severity]);
    // The defaults harden the pod of a workflow that sets no securityContext of its own.
    expect(found(workflow(step, { securityContext: undefined, templateDefaults: { securityContext: POD_CONTEXT } }))).toStrictEqual([]);
    // Defaults without runAsNonRoot or seccomp replace the workflow's that has them: the step's pod runs without.
    const replaced = workflow(step, { templateDefaults: { securityContext: { fsGroup: 1000 } } });
    expect(rulesOf(replaced)).toStrictEqual([['no-unchecked-pod-template', 'spec.templates[1].container', 'warning']]);
    expect(found(replaced)[0]?.[3]).toContain(
      'it does not set runAsNonRoot: true, seccompProfile.type: RuntimeDefault, which the restricted profile demands',
    );
    // A template's own securityContext is merged over the defaults, which set what it leaves unset.
    expect(
      found(
        workflow({ ...step, securityContext: { fsGroup: 1000 } }, { securityContext: undefined, templateDefaults: { securityContext: POD_CONTEXT } }),
      ),
    ).toStrictEqual([]);
    // Volumes of the defaults are every template's: a hostPath there is judged at its place.
    const mounted = workflow(step, { templateDefaults: { volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }] } });
    expect(rulesOf(mounted)).toStrictEqual([['no-host-path', 'spec.templateDefaults.volumes[0].hostPath', 'error']]);
    const baseline = manifest(
      'v1',
      'Namespace',
      NS,
      { metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
      undefined,
    );
    expect(rulesOf(baseline, mounted)).toStrictEqual([
      ['no-host-path', 'spec.templateDefaults.volumes[0].hostPath', 'error'],
      ['namespace-admits-pods', 'spec.templateDefaults.volumes[0].hostPath', 'error'],
    ]);
  });

  it("takes a template's own securityContext for its pod in place of the workflow's, and warns of what it then leaves unset", () => {
    const own = workflow({ securityContext: { fsGroup: 1000 }, container: { image: IMAGE, securityContext: HARDENED } });
    expect(found(own).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['no-unchecked-pod-template', 'spec.templates[1].container', 'warning'],
    ]);
    expect(found(own)[0]?.[3]).toContain(
      'it does not set runAsNonRoot: true, seccompProfile.type: RuntimeDefault, which the restricted profile demands',
    );
    const denied = workflow({ securityContext: { runAsNonRoot: false }, container: { image: IMAGE, securityContext: HARDENED } });
    expect(found(denied).map(([rule, path, severity]) => [rule, path, severity])).toStrictEqual([
      ['require-run-as-non-root', 'spec.templates[1].securityContext.runAsNonRoot', 'error'],
      ['no-unchecked-pod-template', 'spec.templates[1].container', 'warning'],
    ]);
  });
});
