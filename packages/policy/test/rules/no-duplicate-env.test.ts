import { describe, expect, it } from 'vitest';
import { noDuplicateEnv } from '../../src/rules/no-duplicate-env.ts';
import { check, container, deployment, summary } from '../support.ts';

describe('no-duplicate-env', () => {
  it('stays quiet when every name appears once per container', () => {
    const env = [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PORT', value: '8080' },
    ];
    const d = deployment('web', { pod: { containers: [container({ env }), container({ name: 'sidecar', ports: [], env })] } });
    expect(check(noDuplicateEnv, [d])).toStrictEqual([]);
  });

  it('reports the second occurrence of a name', () => {
    const env = [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PORT', value: '8080' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ];
    const d = deployment('web', { pod: { containers: [container({ env })] } });
    expect(summary(check(noDuplicateEnv, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].env[2].name',
        message:
          'Container "web" sets LOG_LEVEL twice (env[0] and env[2]) and only the last one takes effect (server-side apply refuses the list): keep one.',
      },
    ]);
  });
});
