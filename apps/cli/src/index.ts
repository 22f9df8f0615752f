export { buildProgram, main } from './main.ts';
export { CliError, formatTable } from './output.ts';
