export { BINARY_NAMES, BINARY_SPECS, type BinaryName, type BinaryPaths, type BinarySpec, type GoModuleName } from './catalog.ts';
export { binCacheRoot, binaryPathsIn, pinnedBinDir } from './cache.ts';
export { ensureBinaries, findBinaries, type BinarySource, type EnsureOptions, type ResolvedBinaries } from './ensure.ts';
export { buildFromGoModules, checkGo, goBuildArgs, MissingToolError, REQUIRED_GO } from './go-build.ts';
export { loadPins, parsePins, pinsHash, TOOLS_DIR, type Pins } from './pins.ts';
export { formatDuration, silentProgress, stderrProgress, withHeartbeat, type Progress } from './progress.ts';
export { BinaryVersionError, checkBinaryVersion, type VersionCheck } from './verify.ts';
export { downloadFromMirror, MIRROR_ENV, mirrorArch, mirrorLayout, type ChecksumFormat, type MirrorAsset, type MirrorDownloadOptions } from './mirror.ts';
