// Lint fails the build: every rule here is an error. Type-aware rules catch the bugs that matter in a
// queue-and-stream system (a forgotten await, a switch that misses a new event type).
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** Nx module boundaries with the given tag constraints (the rule's other options are the same everywhere). */
const boundaries = (depConstraints) => [
  'error',
  { allow: [], banTransitiveDependencies: false, enforceBuildableLibDependency: false, depConstraints },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '.data/**', 'tmp/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': boundaries([
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:lib', 'type:app', 'type:testing'] },
      ]),
    },
  },
  {
    // Tests of a lib may use libs/testing (fake upstreams, fixtures, the test model); the lib's code may not.
    files: ['libs/*/test/**/*.ts', 'libs/*/src/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries([
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
      ]),
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['apps/web/src/**'],
    languageOptions: { globals: globals.node },
  },
  {
    // The web app runs in browsers (its build config and specs in Node), and follows the rules of hooks.
    files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'],
    ...reactHooks.configs.flat['recommended-latest'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['apps/web/src/**/*.spec.ts', 'apps/web/src/**/*.spec.tsx'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // NestJS injects by the constructor's parameter types, which need runtime (value) imports.
    files: ['apps/api/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);
