#!/usr/bin/env node
// Entry point of the `beamline` command. Beamline's sources are TypeScript that Node runs directly
// (type stripping, Node >= 22.18); npm scripts and npx use Node 24 from the `node` devDependency.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `beamline needs Node.js 22.18 or newer (this is ${process.version}).\n` +
      'From a checkout, run it through npm so the pinned Node 24 is used: `npx beamline ...` or `npm start`.\n',
  );
  process.exit(1);
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
