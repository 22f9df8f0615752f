// Lint rules: typescript-eslint's type-aware recommended set for the TypeScript sources, plus the
// conventions of ../shared/style.md that a linter can hold (no `any`, named exports only, no
// floating promises), and the floors of docs/design/architecture.md: api <- packages <- controllers
// <- apps, each importing only from the floors below it (bench, scripts and e2e import anything).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'apps/cli/bin/**', 'eslint.config.js'] },
  {
    // .tsx: the portal web app (apps/portal/web, its own tsconfig with the DOM and JSX).
    files: ['**/*.ts', '**/*.tsx'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'use named exports' }],
    },
  },
  // The floors. A test file may also import @beamline/testenv, the test helpers (and what a floor's
  // `testImports` adds): tests stand above every floor.
  // Relative imports that climb out of a workspace are refused with the names.
  ...floors([
    {
      files: ['api/**/*.ts'],
      forbidden: ['@beamline/*', '!@beamline/api'],
      message: 'api is the ground floor: it imports no other Beamline workspace',
      // The api's schema tests check the CRDs the installer generates and installs.
      testImports: ['!@beamline/install'],
    },
    {
      files: ['packages/*/src/**/*.ts'],
      forbidden: ['@beamline/controllers', '@beamline/manager', '@beamline/cli', '@beamline/e2e', '**/controllers/src/**', '**/apps/*/src/**', '**/e2e/**'],
      message: 'packages import only @beamline/api and other packages',
    },
    {
      // Later blocks replace the rule for their files, so the packages floor's patterns come along.
      files: ['packages/kube/src/**/*.ts', 'packages/gitops/src/**/*.ts'],
      forbidden: ['@beamline/controllers', '@beamline/manager', '@beamline/cli', '@beamline/e2e', '**/controllers/src/**', '**/apps/*/src/**', '**/e2e/**', '@beamline/reconcile', '@beamline/reconcile/*', '**/packages/reconcile/**'],
      message: 'kube and the GitOps engine work on objects: they import @beamline/kube, not the controller runtime @beamline/reconcile',
    },
    {
      files: ['controllers/src/**/*.ts'],
      forbidden: ['@beamline/manager', '@beamline/cli', '@beamline/e2e', '**/apps/*/src/**', '**/e2e/**'],
      message: 'controllers import only @beamline/api and packages',
    },
  ]),
);

/**
 * One `no-restricted-imports` block per floor, and one more for its test files, which may also
 * import @beamline/testenv (and the floor's `testImports`).
 * @param {{ files: string[], ignores?: string[], forbidden: string[], testImports?: string[], message: string }[]} rules
 */
function floors(rules) {
  const block = (files, ignores, group, message) => ({
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] },
  });
  return rules.flatMap(({ files, ignores = [], forbidden, testImports = [], message }) => [
    block(files, [...ignores, '**/*.test.ts'], forbidden, message),
    block(files.map((file) => file.replace(/\*\.ts$/, '*.test.ts')), ignores, [...forbidden, '!@beamline/testenv', ...testImports], `${message} (tests may also import @beamline/testenv)`),
  ]);
}
