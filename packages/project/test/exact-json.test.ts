import { describe, expect, it } from 'vitest';
import { exactIntegers, holdsExactNumber, kubectlInteger, mayHoldLongInteger, parseExact, stringifyExact } from '../src/index.ts';

describe('numbers as kubectl sends them', () => {
  it('keeps an integer that fits in int64 to the last digit, and makes a larger one the double kubectl makes it', () => {
    const sent = (text: string) => stringifyExact({ n: kubectlInteger(text) });
    expect(sent('9007199254740993')).toBe('{"n":9007199254740993}');
    expect(sent('9223372036854775807')).toBe('{"n":9223372036854775807}');
    expect(sent('-9223372036854775808')).toBe('{"n":-9223372036854775808}');
    expect(sent('+0009007199254740993')).toBe('{"n":9007199254740993}');
    // Past int64 kubectl holds a float64, which encoding/json writes as JavaScript does.
    expect(sent('9223372036854775808')).toBe('{"n":9223372036854776000}');
    expect(sent('-9223372036854775809')).toBe('{"n":-9223372036854776000}');
    expect(sent('18446744073709551615')).toBe('{"n":18446744073709552000}');
    expect(sent('42')).toBe('{"n":42}');
    expect(kubectlInteger('42')).toBe(42);
  });

  it('reads JSON back with every int64 digit, and other numbers as numbers', () => {
    const text = '{"a":9223372036854775807,"b":[-9223372036854775808,1.5,1e+21],"c":"9223372036854775807","d":9007199254740992}';
    const value = parseExact(text);
    expect(stringifyExact(value)).toBe(text);
    expect(holdsExactNumber(value)).toBe(true);
    expect(holdsExactNumber(parseExact('{"a":9007199254740991,"b":"12345678901234567890"}'))).toBe(false);
    expect(JSON.stringify(JSON.parse(text))).not.toBe(text);
  });

  it('says where a value holds an integer a double cannot hold', () => {
    expect(exactIntegers(parseExact('{"a":[1,{"b":9223372036854775807}],"c":9223372036854775808,"d":"9007199254740993"}'))).toStrictEqual([
      { path: ['a', 1, 'b'], text: '9223372036854775807' },
    ]);
  });

  it('takes the slow reading only for text with a number of 16 digits or more', () => {
    expect(mayHoldLongInteger('replicas: 900719925474099')).toBe(false);
    expect(mayHoldLongInteger('replicas: 9007199254740993')).toBe(true);
    expect(mayHoldLongInteger('{"a":-9223372036854775808}')).toBe(true);
    expect(mayHoldLongInteger('a: [1, 9007199254740993]')).toBe(true);
    expect(mayHoldLongInteger('a: 0x7FFFFFFFFFFFFFFF')).toBe(true);
    expect(mayHoldLongInteger('x: 1234567890.1234567890123')).toBe(false);
    // Digits inside a word are no number: digests, generated names.
    expect(mayHoldLongInteger('image: app@sha256:b85f8b5633085558b85f8b563308555812345678901234567a')).toBe(false);
    expect(mayHoldLongInteger('name: job1234567890123456789')).toBe(false);
    expect(mayHoldLongInteger('name: 1234567890123456789abc')).toBe(false);
  });
});
