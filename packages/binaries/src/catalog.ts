import { majorMinor, type Pins } from './pins.ts';

/** Every binary Beamline needs. */
export const BINARY_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
  'kwokctl',
  'helm',
] as const;

/** The name of one binary Beamline needs. */
export type BinaryName = (typeof BINARY_NAMES)[number];

/** Absolute paths of every binary, by name. */
export type BinaryPaths = Readonly<Record<BinaryName, string>>;

/** Which Go wrapper module under `tools/k8s/` builds a binary (one per upstream project). */
export type GoModuleName = 'kubernetes' | 'etcd' | 'kwok' | 'helm';

/** How one binary is built and how its version is checked. */
export interface BinarySpec {
  readonly name: BinaryName;
  readonly module: GoModuleName;
  /** The Go package (`package main`) to build. */
  readonly goPackage: string;
  /** `-X` assignments that stamp the version, as upstream's release builds do. */
  ldflagsX(pins: Pins): readonly string[];
  /** Arguments that make the binary print its version. */
  readonly versionArgs: readonly string[];
  /** A string the version output must contain. */
  expectedVersion(pins: Pins): string;
}

function kubernetesStamp(pins: Pins): string[] {
  const { major, minor } = majorMinor(pins.kubernetes);
  // Kubernetes' hack/lib/version.sh stamps both packages; unstamped binaries say v0.0.0-master.
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `${pkg}.gitVersion=v${pins.kubernetes}`,
    `${pkg}.gitMajor=${major}`,
    `${pkg}.gitMinor=${minor}`,
    `${pkg}.gitTreeState=clean`,
  ]);
}

function kwokStamp(pins: Pins): string[] {
  return [`sigs.k8s.io/kwok/pkg/consts.Version=${pins.kwok}`, `sigs.k8s.io/kwok/pkg/consts.KubeVersion=${pins.kubernetes}`];
}

function kubernetesBinary(name: BinaryName, versionArgs: readonly string[]): BinarySpec {
  return {
    name,
    module: 'kubernetes',
    goPackage: `k8s.io/kubernetes/cmd/${name}`,
    ldflagsX: kubernetesStamp,
    versionArgs,
    expectedVersion: (pins) => `v${pins.kubernetes}`,
  };
}

function kwokBinary(name: 'kwok' | 'kwokctl'): BinarySpec {
  return {
    name,
    module: 'kwok',
    goPackage: `sigs.k8s.io/kwok/cmd/${name}`,
    ldflagsX: kwokStamp,
    versionArgs: ['--version'],
    expectedVersion: (pins) => pins.kwok,
  };
}

/** The build and version-check recipe of every binary, in the order a cold setup builds them. */
export const BINARY_SPECS: Readonly<Record<BinaryName, BinarySpec>> = {
  etcd: {
    name: 'etcd',
    module: 'etcd',
    goPackage: 'go.etcd.io/etcd/server/v3',
    // etcd's version is a constant in go.etcd.io/etcd/api/v3/version: nothing to stamp.
    ldflagsX: () => [],
    versionArgs: ['--version'],
    expectedVersion: (pins) => `etcd Version: ${pins.etcd}`,
  },
  'kube-apiserver': kubernetesBinary('kube-apiserver', ['--version']),
  'kube-controller-manager': kubernetesBinary('kube-controller-manager', ['--version']),
  'kube-scheduler': kubernetesBinary('kube-scheduler', ['--version']),
  kubectl: kubernetesBinary('kubectl', ['version', '--client']),
  kwok: kwokBinary('kwok'),
  kwokctl: kwokBinary('kwokctl'),
  helm: {
    name: 'helm',
    module: 'helm',
    goPackage: 'helm.sh/helm/v3/cmd/helm',
    ldflagsX: (pins) => {
      const { major, minor } = majorMinor(pins.kubernetes);
      // Unstamped, `helm template` renders for Kubernetes 1.20 (.Capabilities.KubeVersion).
      return [
        `helm.sh/helm/v3/internal/version.version=v${pins.helm}`,
        `helm.sh/helm/v3/internal/version.gitTreeState=clean`,
        `helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${major}`,
        `helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor}`,
        `helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${major}`,
        `helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}`,
      ];
    },
    versionArgs: ['version', '--short'],
    expectedVersion: (pins) => `v${pins.helm}`,
  },
};
