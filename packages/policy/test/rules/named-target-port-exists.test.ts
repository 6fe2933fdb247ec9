import { describe, expect, it } from 'vitest';
import { namedTargetPortExists } from '../../src/rules/named-target-port-exists.ts';
import { check, deployment, service, summary, withoutNamespace } from '../support.ts';

describe('named-target-port-exists', () => {
  it('stays quiet when the named port exists, and for numeric target ports', () => {
    const numeric = service('web-direct', undefined, [{ name: 'http', port: 80, targetPort: 8080 }]);
    expect(check(namedTargetPortExists, [deployment(), service(), numeric])).toStrictEqual([]);
  });

  it('reports a targetPort name no selected pod declares', () => {
    const s = service('web', null, [{ name: 'http', port: 80, targetPort: 'web' }]);
    const selecting = { ...s, spec: { ...(s.spec as object), selector: { 'app.kubernetes.io/name': 'web' } } };
    expect(summary(check(namedTargetPortExists, [deployment(), selecting]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.ports[0].targetPort',
        message:
          'Service port "http" targets the container port name "web", which no selected pod declares (they declare: http): name a container port "web" or change targetPort.',
      },
    ]);
  });

  it('leaves Services that select nothing to service-selects-pods', () => {
    expect(check(namedTargetPortExists, [service('web', { app: 'nothing' }, [{ name: 'http', port: 80, targetPort: 'missing' }])])).toStrictEqual([]);
  });

  it('matches a Service written without a namespace, applied as written, only with the pods of that namespace', () => {
    const asWritten = { applyNamespace: 'default' };
    const metrics = withoutNamespace(service('web', undefined, [{ name: 'metrics', port: 9090, targetPort: 'metrics' }]));
    // The pods in x are not the Service's: their ports are not its to name (service-selects-pods says it selects none).
    expect(check(namedTargetPortExists, [deployment('web', { namespace: 'x' }), metrics], asWritten)).toStrictEqual([]);
    expect(check(namedTargetPortExists, [deployment('web', { namespace: 'x' }), metrics])).toHaveLength(1);
    expect(check(namedTargetPortExists, [deployment('web', { namespace: 'default' }), metrics], asWritten)).toHaveLength(1);
  });
});
