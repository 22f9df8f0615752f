// What `beamline app create` checks before it writes anything, as `argocd app create` does (its
// `--validate`, on by default): the repository answers, the revision and the path exist, Helm-only
// flags go with a Helm chart, and the destination cluster exists. A mistake is reported at once,
// naming what is wrong, instead of as a FetchFailed condition minutes later.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiStatus, callApi } from './kube.ts';
import { CliError } from './output.ts';
import { KINDS, resourceClient } from './resources.ts';
import { ensurePrivateDir } from './sandbox/private-files.ts';

/** The destination that needs no Cluster: the management cluster itself. */
export const IN_CLUSTER = 'in-cluster';

/** The part of a git source the checks need. */
export interface GitSourceToCheck {
  readonly repo: string;
  readonly revision?: string;
  readonly path?: string;
  /** Flags only a Helm chart takes (`--values`, `--value-file`, `--release-name`), as typed. */
  readonly helmFlags: readonly string[];
}

/** The path as the repository holds it: no leading, trailing or doubled `/`, `.` for the root. */
function folderOf(path: string | undefined): string {
  const parts = (path ?? '').split('/').filter((part) => part !== '' && part !== '.');
  return parts.join('/');
}

/**
 * Whether a folder of a commit is a Helm chart (has `Chart.yaml`), given the commit's files.
 * Pure, for tests.
 */
export function isChartFolder(files: readonly { readonly path: string }[], folder: string): boolean {
  const chart = folder === '' ? 'Chart.yaml' : `${folder}/Chart.yaml`;
  return files.some((file) => file.path === chart);
}

/**
 * Checks a git source through the gitops engine's own mirror code (same URL rules, same
 * `ls-remote`, same errors as the controller): the revision resolves, the path is a folder at that
 * commit, and Helm-only flags come with a chart (else a usage error, exit 2). The mirror is a
 * temporary one under `cacheDir`, removed afterwards: the controller keeps its own.
 */
export async function checkGitSource(source: GitSourceToCheck, cacheDir: string): Promise<void> {
  const { GitMirrorCache, isSourceError } = await import('@beamline/gitops');
  await ensurePrivateDir(cacheDir);
  const root = await mkdtemp(join(cacheDir, 'check-'));
  const revision = source.revision ?? 'HEAD';
  const folder = folderOf(source.path);
  try {
    const mirrors = new GitMirrorCache({ root: join(root, 'git') });
    let sha: string;
    try {
      sha = await mirrors.resolve(source.repo, revision);
      await mirrors.treeId(source.repo, sha, folder);
    } catch (error) {
      if (!isSourceError(error)) throw error;
      if (error.reason === 'AuthenticationFailed') {
        // The controller may have credentials the CLI has not (a repository Secret): say so, do not refuse.
        process.stderr.write(`warning: the source was not checked: the repository wants credentials this command does not have (${error.message})\n`);
        return;
      }
      const hint =
        error.reason === 'PathNotFound'
          ? `--path ${folder === '' ? '.' : folder} is not a folder of the repository at ${revision}`
          : error.reason === 'RevisionNotFound'
            ? `--revision ${revision}: no branch, tag or commit by that name`
            : error.reason === 'InvalidUrl'
              ? '--repo is not a git URL Beamline reads (https, http, ssh, file or user@host:path)'
              : 'the repository cannot be read';
      throw new CliError(`failed to check the source (${error.reason}): ${hint}: ${error.message} (--validate=false skips this check)`);
    }
    if (source.helmFlags.length > 0 && !isChartFolder(await mirrors.listFiles(source.repo, sha), folder)) {
      throw new CliError(
        `${source.helmFlags.join(', ')} ${source.helmFlags.length === 1 ? 'is' : 'are'} for Helm charts, and ${folder === '' ? 'the repository root' : folder} at ${revision} has no Chart.yaml: ` +
          'its plain YAML or kustomize objects take no Helm values',
        2,
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Checks the destination: `in-cluster`, or a Cluster of that name in `clusterNamespace` (a shared
 * cluster's, from `--dest-cluster-namespace`) or else the Application's namespace. An unknown one
 * lists those that exist there, when the user may list them. A Cluster of another namespace that
 * the user may not read is not refused: a tenant usually may not read the platform's shared
 * Clusters, and the controller checks the destination itself (`DestinationNotPermitted`).
 */
export async function checkDestination(config: KubeConfig, namespace: string, cluster: string, clusterNamespace?: string): Promise<void> {
  if (cluster === IN_CLUSTER) return;
  const where = clusterNamespace ?? namespace;
  const elsewhere = where !== namespace;
  const clusters = resourceClient(config, KINDS.cluster);
  try {
    await clusters.get(cluster, where);
    return;
  } catch (error) {
    const status = apiStatus(error);
    if (status === 403 && elsewhere) {
      process.stderr.write(`warning: the destination was not checked: you may not read Clusters of namespace "${where}" (the controller checks it)\n`);
      return;
    }
    if (status !== 404) {
      await callApi(config, `read destination cluster "${cluster}" in namespace "${where}"`, () => Promise.reject(error as Error));
    }
  }
  let names: string[] | undefined;
  try {
    names = (await clusters.list(where)).map((item) => item.metadata?.name ?? '').filter((name) => name !== '');
  } catch (error) {
    // A user who may get but not list Clusters there still learns that this one does not exist.
    if (apiStatus(error) !== 403) await callApi(config, `list clusters in namespace "${where}"`, () => Promise.reject(error as Error));
  }
  const known = names === undefined ? '' : `: ${names.length === 0 ? 'it has no clusters' : `clusters: ${names.sort().join(', ')}`}`;
  throw new CliError(`destination cluster "${cluster}" not found in namespace "${where}"${known}${elsewhere ? ' (--dest-cluster-namespace)' : ` (or ${IN_CLUSTER}, the management cluster)`}`);
}
