import type { Command } from 'commander';
import { CliError } from '../output.ts';

/**
 * `beamline token`: a client.authentication.k8s.io/v1 exec credential plugin. Prints an
 * ExecCredential with the stored ID token (refreshed first when it expires within a minute) for
 * kubectl and client libraries; the kubeconfigs `beamline login` and `beamline cluster kubeconfig`
 * write run it. Its stdout is the one place a token is ever printed.
 */
export function registerToken(program: Command): void {
  program
    .command('token')
    .description('print an ExecCredential with your ID token for kubectl (an exec credential plugin; run `beamline login` first)')
    .action(async () => {
      // Loaded here: every other command starts without the OpenID client.
      const { currentLogin, NotLoggedInError } = await import('../identity/credential.ts');
      const { execCredential } = await import('../identity/exec-credential.ts');
      try {
        const login = await currentLogin();
        process.stdout.write(`${JSON.stringify(execCredential(login.idToken, login.expiresAt))}\n`);
      } catch (error) {
        if (error instanceof NotLoggedInError) throw new CliError(error.message);
        throw error;
      }
    });
}
