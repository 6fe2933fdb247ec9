import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    // Type-level tests: a wrong config key or type must not compile.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
