/** Global options of `beamline` that take a value: a `kubectl` right after one is that value, not the command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-n', '--namespace', '--kubeconfig']);

/**
 * The arguments `beamline kubectl ARGS...` hands to kubectl: everything after the `kubectl`
 * command word, as typed (commander would otherwise read kubectl's own flags). A namespace given
 * to beamline before the command word (`beamline -n physics kubectl get pods`) is passed on unless
 * the kubectl arguments name one themselves.
 */
export function kubectlArgs(argv: readonly string[], namespace: string | undefined): string[] {
  // argv is process.argv-shaped: node, the script, then the user's words.
  let index = -1;
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === 'kubectl' && !GLOBAL_OPTIONS_WITH_VALUE.has(argv[i - 1] ?? '')) {
      index = i;
      break;
    }
  }
  const rest = index < 0 ? [] : argv.slice(index + 1);
  const namesNamespace = rest.some((arg) => arg === '-n' || arg === '--namespace' || arg.startsWith('--namespace=') || /^-n.+/.test(arg) || arg === '-A' || arg === '--all-namespaces');
  const before = index < 0 ? [] : argv.slice(2, index);
  const namespaceBefore = before.some((arg) => arg === '-n' || arg === '--namespace' || arg.startsWith('--namespace=') || /^-n.+/.test(arg));
  return namespace !== undefined && namespaceBefore && !namesNamespace ? ['--namespace', namespace, ...rest] : rest;
}
