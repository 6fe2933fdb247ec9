import { describe, expect, it } from 'vitest';
import { UsageError } from '@strata/project';
import { checkDefaultNamespace, DEFAULT_NAMESPACE } from '../src/index.ts';

describe('checkDefaultNamespace', () => {
  it('accepts a DNS label, the default included', () => {
    for (const name of [DEFAULT_NAMESPACE, 'shop', 'team-1', '1st', 'a'.repeat(63)]) expect(() => checkDefaultNamespace(name)).not.toThrow();
  });

  it('refuses a name that cannot be a namespace as a usage mistake, saying what a namespace name is', () => {
    for (const name of ['Shop', 'shop_1', 'a.b', '-shop', 'shop-', '', 'a'.repeat(64)]) {
      expect(() => checkDefaultNamespace(name)).toThrow(UsageError);
      expect(() => checkDefaultNamespace(name)).toThrow(
        `default namespace ${JSON.stringify(name)}: not a namespace name; use a DNS label (lower-case letters, digits and "-", at most 63 characters)`,
      );
    }
  });

  it('starts the message with where the name came from', () => {
    expect(() => checkDefaultNamespace('Shop_1', '--namespace')).toThrow(/^--namespace "Shop_1": not a namespace name; use a DNS label/);
  });
});
