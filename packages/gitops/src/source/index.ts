export { GitMirrorCache, isValidRevision, mirrorFolderName, normaliseSourcePath, type EnsureCommitResult, type GitFileEntry, type GitMirrorCacheOptions } from './git-mirror-cache.ts';
export { parseGitUrl, redactCredentials, type GitUrl, type GitUrlScheme } from './git-url.ts';
export { GitCommandError, gitEnvironment, runGit, type GitCommandOptions, type GitResult } from './git-command.ts';
export { isSourceError, SOURCE_ERROR_REASONS, SourceError, type SourceErrorDetails, type SourceErrorReason } from './source-error.ts';
