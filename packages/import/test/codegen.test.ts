import { describe, expect, it } from 'vitest';
import { quote } from '../src/codegen.ts';

/** What a literal of the generated code evaluates to (TypeScript reads string literals as JavaScript does). */
const evaluate = (literal: string): unknown => new Function(`return ${literal};`)();

describe('quote', () => {
  const texts = {
    'a file written on Windows': '[server]\r\nport = 8080\r\nhost = 0.0.0.0\r\nname = windows-authored\r\n',
    'a lone carriage return in long text': `${'x'.repeat(40)}\rover\nwritten`,
    'backticks, ${ and backslashes in long text': `a \`b\` \${c} \\d \\\${e}\n${'f'.repeat(40)}`,
    'line and paragraph separators': `one\u2028two\u2029three\n${'g'.repeat(40)}`,
    'short text with every escape': "it's\ta\r\nb\\c\u2028",
    'tabs, NUL and DEL in long text': `\tcol\u0000\u007f\n${'h'.repeat(40)}`,
  };
  for (const [what, text] of Object.entries(texts)) {
    it(`writes ${what} as a literal that is that text again`, () => {
      expect(evaluate(quote(text))).toBe(text);
    });
  }

  it('keeps long text with line breaks readable, one line of source per line of text', () => {
    const text = `${'a'.repeat(30)}\r\n${'b'.repeat(30)}\n`;
    const literal = quote(text);
    expect(literal.startsWith('`')).toBe(true);
    expect(literal.split('\n')).toHaveLength(3);
  });
});
