#!/usr/bin/env node
// Entry point of the `beamline` command. Beamline's sources are TypeScript that Node runs directly
// (type stripping); it runs on Node 24 (package.json `engines`), which npm scripts and npx take
// from the `node` devDependency whatever Node runs npm itself.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `beamline needs Node.js 24 or newer (this is ${process.version}).\n` +
      'From a checkout, run it through npm so the pinned Node 24 is used: `npx beamline ...` or `npm start`.\n',
  );
  process.exit(1);
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
