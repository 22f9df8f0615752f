import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceType } from './manifest.ts';

/** The file names that make a folder a kustomization, in kustomize's own order of preference. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The kustomization file of `dir`, or `undefined` when it has none. */
export async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    if (await isFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * How to render a source folder: `helm` when it has a `Chart.yaml`, else `kustomize` when it has a
 * `kustomization.yaml`, `kustomization.yml` or `Kustomization`, else `directory` (plain manifests).
 */
export async function detectSourceType(dir: string): Promise<SourceType> {
  if (await isFile(join(dir, 'Chart.yaml'))) return 'helm';
  if ((await findKustomization(dir)) !== undefined) return 'kustomize';
  return 'directory';
}
