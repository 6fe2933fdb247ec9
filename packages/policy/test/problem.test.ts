import { describe, expect, it } from 'vitest';
import { toProblem, type Finding } from '../src/index.ts';
import { deployment, objects } from './support.ts';

describe('toProblem', () => {
  const [object] = objects(deployment());
  const finding: Finding = {
    rule: 'require-probes',
    severity: 'error',
    message: 'Add probes.',
    path: 'spec.template.spec.containers[0].readinessProbe',
    object: object!,
  };

  it('names the object, its file and line, and the field', () => {
    expect(toProblem(finding)).toStrictEqual({
      file: 'set.yaml',
      line: 1,
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      path: 'spec.template.spec.containers[0].readinessProbe',
      message: 'Add probes.',
      rule: 'require-probes',
      severity: 'error',
    });
  });

  it('turns an excepted finding into a warning that prints the reason', () => {
    expect(toProblem({ ...finding, exception: 'Vendor image.' })).toMatchObject({
      severity: 'warning',
      message: 'Add probes. (excepted: Vendor image.)',
    });
  });
});
