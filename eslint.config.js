// Lint: type-aware TypeScript rules, plus the layering of docs/architecture.md enforced by
// eslint-plugin-boundaries (dependencies point inward: kernel ← pure cores ← adapters ← features ← http ← app).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';
import { fileURLToPath } from 'node:url';

const layers = [
  { type: 'kernel', pattern: ['src/kernel', 'src/errors'] },
  { type: 'config', pattern: 'src/config' },
  { type: 'policy', pattern: 'src/policy' },
  { type: 'sigv', pattern: ['src/auth/sigv4', 'src/auth/sigv2'] },
  { type: 'meta', pattern: 'src/meta' },
  { type: 'storage', pattern: 'src/storage' },
  { type: 'auth', pattern: 'src/auth' },
  { type: 'feature', pattern: ['src/s3', 'src/iam', 'src/sts', 'src/audit'], capture: ['name'] },
  { type: 'http', pattern: ['src/http', 'src/admin'] },
  { type: 'app', pattern: ['src/cli', 'src/bench'] },
];

const allow = (from, to) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: { anyOf: to } } } },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'bin/**',
      'tools/**',
      '.bench/**',
      'coverage/**',
      '*.config.*',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { boundaries },
    settings: {
      'boundaries/elements': layers,
      'boundaries/include': ['src/**/*.ts'],
      'import/resolver': { [fileURLToPath(new URL('./tools/eslint-ts-resolver.cjs', import.meta.url))]: {} },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'no-console': 'error',
      'boundaries/dependencies': [
        2,
        {
          default: 'disallow',
          policies: [
            allow('kernel', ['kernel']),
            allow('config', ['kernel']),
            allow('policy', ['kernel', 'policy']),
            allow('sigv', ['kernel', 'sigv']),
            allow('meta', ['kernel', 'meta', 'policy']),
            allow('storage', ['kernel', 'storage']),
            allow('auth', ['kernel', 'sigv', 'policy', 'auth']),
            allow('feature', ['kernel', 'config', 'policy', 'sigv', 'auth', 'meta', 'storage', 'feature']),
            allow('http', [
              'kernel',
              'config',
              'policy',
              'sigv',
              'auth',
              'meta',
              'storage',
              'feature',
              'http',
            ]),
            allow('app', [
              'kernel',
              'config',
              'policy',
              'sigv',
              'auth',
              'meta',
              'storage',
              'feature',
              'http',
              'app',
            ]),
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'src/bench/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
