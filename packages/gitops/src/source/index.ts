export { GitMirrorCache, isValidRevision, mirrorFolderName, normaliseSourcePath, type EnsureCommitResult, type ExportLimits, type GitFileEntry, type GitMirrorCacheOptions } from './git-mirror-cache.ts';
export { parseGitUrl, redactCredentials, redactUrl, type GitUrl, type GitUrlScheme } from './git-url.ts';
export { DEFAULT_GIT_SSH_COMMAND, GitCommandError, gitEnvironment, killRunningGit, runGit, runningGitCount, type GitCommandOptions, type GitResult } from './git-command.ts';
export { gitCredentialsId, withGitCredentials, type GitCredentials, type GitCredentialSetup } from './git-credentials.ts';
export { killStaleGit, type StaleGitProcess } from './kill-stale-git.ts';
export { isSourceError, SOURCE_ERROR_REASONS, SourceError, type SourceErrorDetails, type SourceErrorReason } from './source-error.ts';
