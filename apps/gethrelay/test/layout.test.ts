import { describe, expect, it } from 'vitest';
import { defaults } from '../src/config.ts';
import { render } from '../src/render.ts';

describe('relay layout', () => {
  it('refuses a relay count that is not a whole number', () => {
    expect(() => render({ ...defaults, relays: { ...defaults.relays, 'prefer-tor': -1 } })).toThrow(
      'relays.prefer-tor is -1: give a whole number of relays (0 or more).',
    );
  });

  it('refuses a mode whose NodePorts run into the next mode', () => {
    expect(() => render({ ...defaults, relays: { ...defaults.relays, default: 11 } })).toThrow(
      'NodePorts 30311-30321 of mode default overlap 30321-30324 of mode prefer-tor: space nodePorts further apart.',
    );
  });

  it('refuses NodePorts outside the cluster range', () => {
    expect(() => render({ ...defaults, nodePorts: { ...defaults.nodePorts, 'only-onion': 32765 } })).toThrow(
      'relays of mode only-onion would use NodePorts 32766-32768: move nodePorts.only-onion into 29999-32764.',
    );
  });

  it('renders a mode with no relays as nothing at all', () => {
    const names = render({ ...defaults, relays: { default: 0, 'prefer-tor': 1, 'only-onion': 0 } })
      .filter((o) => o.kind === 'Deployment' || (o.kind === 'Service' && o.metadata?.name !== 'gethrelay'))
      .map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(names).toStrictEqual(['Deployment/gethrelay-prefer-tor-1', 'Service/gethrelay-prefer-tor-1']);
  });
});
