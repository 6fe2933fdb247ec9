import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { withinLimitRanges } from '../../src/rules/within-limit-ranges.ts';
import { check, container, deployment, manifest, pod } from '../support.ts';

const limitRange = (name: string, limits: object[], namespace?: string): Manifest =>
  manifest('v1', 'LimitRange', name, { spec: { limits } }, namespace);

const words = (message: string) => message.replace(/: the API server refuses .*$/, '');

describe('within-limit-ranges', () => {
  it("refuses a container over a LimitRange's max, at its limit, in the plugin's words, naming the LimitRange; a template for every pod it makes", () => {
    const big = { pod: { containers: [container({ resources: { limits: { memory: '1024Mi' } } })] } };
    const found = check(withinLimitRanges, [
      limitRange('mem', [{ type: 'Container', max: { memory: '512Mi' } }]),
      deployment('d', big),
      pod('p', big),
    ]);
    expect(found.map((f) => [f.object.manifest.kind, f.path, words(f.message)])).toStrictEqual([
      ['Deployment', 'spec.template.spec.containers[0].resources.limits.memory', 'maximum memory usage per Container is 512Mi, but limit is 1Gi'],
      ['Pod', 'spec.containers[0].resources.limits.memory', 'maximum memory usage per Container is 512Mi, but limit is 1Gi'],
    ]);
    expect(found[0]!.message).toContain(
      'every pod this Deployment makes, though it admits the Deployment itself (LimitRanger admission, LimitRange mem of namespace shop)',
    );
    expect(found[1]!.message).toContain('refuses this Pod (LimitRanger admission');
  });

  it('gives defaults first: a default limit under the request makes the pod invalid; one within the range passes', () => {
    const asks = (resources: object) => pod('p', { pod: { containers: [container({ resources })] } });
    const range = limitRange('d', [{ type: 'Container', default: { cpu: '200m' }, max: { cpu: '1' } }]);
    expect(check(withinLimitRanges, [range, asks({ requests: { cpu: '500m' } })]).map((f) => [f.path, words(f.message)])).toStrictEqual([
      [
        'spec.containers[0].resources.requests.cpu',
        'spec.containers[0].resources.requests: Invalid value: "500m": must be less than or equal to cpu limit of 200m (the value LimitRange d gives by default)',
      ],
    ]);
    expect(check(withinLimitRanges, [range, asks({ requests: { cpu: '100m' } })])).toStrictEqual([]);
    expect(check(withinLimitRanges, [range, asks({})])).toStrictEqual([]);
  });

  it('adds up the containers of a pod for a Pod item, init containers at their peak, and holds a ratio exactly at its bound', () => {
    const spec = {
      initContainers: [container({ name: 'init', resources: { limits: { cpu: '700m' } } })],
      containers: [container({ name: 'a', resources: { limits: { cpu: '300m' } } }), container({ name: 'b', resources: { limits: { cpu: '0.3' } } })],
    };
    expect(check(withinLimitRanges, [limitRange('p', [{ type: 'Pod', max: { cpu: '700m' } }]), pod('p', { pod: spec })])).toStrictEqual([]);
    expect(
      check(withinLimitRanges, [limitRange('p', [{ type: 'Pod', max: { cpu: '699m' } }]), pod('p', { pod: spec })]).map((f) => words(f.message)),
    ).toStrictEqual(['maximum cpu usage per Pod is 699m, but limit is 700m']);
    const ratio = (limit: string) =>
      pod('r', { pod: { containers: [container({ resources: { requests: { memory: '1Gi' }, limits: { memory: limit } } })] } });
    const range = limitRange('r', [{ type: 'Container', maxLimitRequestRatio: { memory: '2' } }]);
    expect(check(withinLimitRanges, [range, ratio('2Gi')])).toStrictEqual([]);
    expect(check(withinLimitRanges, [range, ratio('2049Mi')]).map((f) => words(f.message))).toStrictEqual([
      'memory max limit to request ratio per Container is 2, but provided ratio is 2.000977',
    ]);
  });

  it("judges a claim's storage request and a StatefulSet's claim templates; leaves other namespaces and refused LimitRanges alone", () => {
    const claim = (name: string, storage: string, namespace?: string) =>
      manifest('v1', 'PersistentVolumeClaim', name, { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } }, namespace);
    const range = limitRange('pvc', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]);
    const set = manifest('apps/v1', 'StatefulSet', 's', {
      spec: { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '100Gi' } } } }] },
    });
    expect(
      check(withinLimitRanges, [range, claim('small', '500Mi'), claim('ok', '1073741824'), claim('other', '1Mi', 'elsewhere'), set]).map((f) => [
        f.path,
        words(f.message),
      ]),
    ).toStrictEqual([
      ['spec.resources.requests.storage', 'minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi'],
      [
        'spec.volumeClaimTemplates[0].spec.resources.requests.storage',
        'maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 100Gi',
      ],
    ]);
    // Its default over its max: the server refuses the LimitRange, which then limits nothing.
    const refused = limitRange('bad', [{ type: 'Container', default: { cpu: '2' }, max: { cpu: '1' } }]);
    expect(
      check(withinLimitRanges, [refused, pod('p', { pod: { containers: [container({ resources: { limits: { cpu: '4' } } })] } })]),
    ).toStrictEqual([]);
  });

  it('takes the LimitRanges of other apps of the cluster from the context', () => {
    const other = { manifest: limitRange('mem', [{ type: 'Container', min: { memory: '1Gi' } }]), file: 'dist/dev/platform.yaml' };
    const found = check(withinLimitRanges, [pod('p')], { limitRanges: [other] });
    expect(found.map((f) => words(f.message))).toStrictEqual(['minimum memory usage per Container is 1Gi, but request is 128Mi']);
  });

  it("says two LimitRanges of a namespace that give a container different defaults for one resource at the later one's field, naming both; equal defaults pass however written", () => {
    const defaults = (name: string, item: object, namespace?: string) => limitRange(name, [{ type: 'Container', ...item }], namespace);
    const found = check(withinLimitRanges, [
      defaults('b-app', { default: { memory: '256Mi' } }),
      defaults('a-platform', { default: { memory: '512Mi' } }),
    ]);
    expect(found.map((f) => [f.object.manifest.metadata.name, f.path, f.message])).toStrictEqual([
      [
        'b-app',
        'spec.limits[0].default.memory',
        'LimitRange b-app gives a container that sets no memory limit 256Mi by default, and LimitRange a-platform of namespace shop gives it 512Mi: the LimitRanger admission gives the default of the one it lists first, in an order that is not defined, so such a container gets either. Give the default in one LimitRange only, or make them agree.',
      ],
    ]);
    // A default the server makes of a max or a min differs as much; a default request apart from the limit is said apart.
    expect(
      check(withinLimitRanges, [defaults('a', { max: { cpu: '2' } }), defaults('b', { default: { cpu: '1' }, defaultRequest: { cpu: '100m' } })]).map(
        (f) => [f.path, f.message.replace(/: the LimitRanger .*$/, '')],
      ),
    ).toStrictEqual([
      [
        'spec.limits[0].default.cpu',
        'LimitRange b gives a container that sets no cpu limit 1 by default, and LimitRange a of namespace shop gives it 2 (from its max)',
      ],
      [
        'spec.limits[0].defaultRequest.cpu',
        'LimitRange b gives a container that sets neither a cpu request nor a limit 100m by default, and LimitRange a of namespace shop gives it 2 (from its max)',
      ],
    ]);
    // Equal quantities are one default, whichever the plugin lists first; other namespaces and resources are apart.
    expect(
      check(withinLimitRanges, [
        defaults('a', { default: { memory: '512Mi', cpu: '1' } }),
        defaults('b', { default: { memory: '536870912' }, defaultRequest: { cpu: '1000m' } }),
        defaults('c', { default: { memory: '1Gi' } }, 'elsewhere'),
        defaults('d', { default: { 'ephemeral-storage': '1Gi' } }),
      ]),
    ).toStrictEqual([]);
  });

  it("says a pair of LimitRanges of two apps once, in the set of the later one, with the other app's from the context", () => {
    const other = { manifest: limitRange('a', [{ type: 'Container', default: { memory: '512Mi' } }]), file: 'dist/dev/platform.yaml' };
    const later = limitRange('b', [{ type: 'Container', default: { memory: '1Gi' } }]);
    expect(check(withinLimitRanges, [later], { limitRanges: [other] }).map((f) => [f.object.manifest.metadata.name, f.path])).toStrictEqual([
      ['b', 'spec.limits[0].default.memory'],
    ]);
    const earlier = { manifest: later, file: 'dist/dev/platform.yaml' };
    expect(
      check(withinLimitRanges, [limitRange('a', [{ type: 'Container', default: { memory: '512Mi' } }])], { limitRanges: [earlier] }),
    ).toStrictEqual([]);
  });
});
