/**
 * The Node.js flags `beamline up` starts the manager with: a V8 heap sized for the manager's
 * working set instead of V8's default (a quarter of the machine's memory, grown lazily). The
 * manager's live heap is about 60 MiB idle and 100 MiB with a thousand Applications; without a
 * limit V8 let it grow past 600 MiB of garbage between collections under a burst of work. Small
 * semi-spaces keep the young generation from holding tens of MiB too. Raise
 * `--max-old-space-size` for fleets beyond a few thousand Applications (a process past it stops
 * with an out-of-memory error rather than slowing down).
 */
export const MANAGER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=256', '--max-semi-space-size=4'];
