export { buildProgram, main } from './main.ts';
export { CliError, formatTable } from './output.ts';
export { MANAGER_NODE_FLAGS } from './manager-flags.ts';
