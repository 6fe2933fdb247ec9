import { describe, expect, it } from 'vitest';
import { selectorMatchesTemplate } from '../../src/rules/selector-matches-template.ts';
import { check, deployment, summary } from '../support.ts';

const withSelector = (selector: unknown) => deployment('web', { labels: { app: 'web', tier: 'front' }, spec: { selector } });

describe('selector-matches-template', () => {
  it('stays quiet when matchLabels is a subset of the template labels and expressions hold', () => {
    const ok = withSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(check(selectorMatchesTemplate, [deployment(), ok])).toStrictEqual([]);
  });

  it('reports a matchLabels pair the template lacks', () => {
    expect(summary(check(selectorMatchesTemplate, [withSelector({ matchLabels: { app: 'api' } })]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.selector.matchLabels',
        message:
          'The selector requires app=api but the pod template has app=web: make spec.selector.matchLabels a subset of spec.template.metadata.labels.',
      },
    ]);
  });

  it('reports a matchExpression that does not hold, and a missing selector', () => {
    const found = check(selectorMatchesTemplate, [
      withSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }),
      withSelector(undefined),
    ]);
    expect(found.map((f) => f.path)).toStrictEqual(['spec.selector.matchExpressions[0]', 'spec.selector']);
    expect(found[0]?.message).toContain('The selector expression tier NotIn ["front"] does not hold');
  });
});

describe('selector-matches-template with a misindented selector', () => {
  it('names a mapping where a label value belongs as JSON, not [object Object]', () => {
    const d = deployment('web', { spec: { selector: { matchLabels: { app: { name: 'web' } } } } });
    const [f] = check(selectorMatchesTemplate, [d]);
    expect(f?.message).toContain('app={"name":"web"}');
    expect(f?.message).not.toContain('[object Object]');
  });
});
