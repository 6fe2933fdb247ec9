import { describe, expect, it } from 'vitest';
import { jsonKeys } from '../src/json-keys.ts';

describe('jsonKeys', () => {
  it('places every key by its dotted path, list items by index', () => {
    const { places, duplicate } = jsonKeys('{\n  "a": {"b": 1},\n  "c": [{"d": 2}]\n}');
    expect(duplicate).toBeUndefined();
    expect(Object.fromEntries(places)).toStrictEqual({
      a: { line: 2, column: 3 },
      'a.b': { line: 2, column: 9 },
      c: { line: 3, column: 3 },
      'c.0.d': { line: 3, column: 10 },
    });
  });

  it('finds the first key written twice in one object, at the second, naming the line of the first', () => {
    expect(jsonKeys('{\n  "dev": {"web": 1},\n  "staging": {\n    "web": 1,\n    "web": 2\n  },\n  "dev": {}\n}').duplicate).toStrictEqual({
      path: 'staging.web',
      line: 5,
      column: 5,
      first: 4,
    });
    expect(jsonKeys('{"items": [{"x": 1, "x": 2}]}').duplicate).toStrictEqual({ path: 'items.0.x', line: 1, column: 21, first: 1 });
  });

  it('takes the same key in two objects, and a key with a dot beside the path it spells, as written once', () => {
    expect(jsonKeys('{"dev": {"web": 1}, "prod": {"web": 1}}').duplicate).toBeUndefined();
    expect(jsonKeys('{"a.b": 1, "a": {"b": 2}}').duplicate).toBeUndefined();
  });
});
