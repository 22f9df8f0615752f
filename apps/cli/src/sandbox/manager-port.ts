import { createServer } from 'node:net';

/** The port `beamline up` gives the manager when nothing else says: stable, so a webhook URL set in GitLab or GitHub keeps working. */
export const DEFAULT_MANAGER_PORT = 8090;

/** Where the manager's port comes from, for the message `beamline up` prints. */
export type ManagerPortSource = 'flag' | 'remembered' | 'default' | 'fallback';

/** The port chosen for the manager and why. */
export interface ManagerPortChoice {
  readonly port: number;
  readonly source: ManagerPortSource;
  /** Set when the wanted port was taken and another one was picked: say so, a webhook URL changes. */
  readonly notice?: string;
}

/** What {@link chooseManagerPort} decides from. */
export interface ManagerPortInputs {
  /** `beamline up --port`. A taken port is then an error, not a fallback: the user asked for it. */
  readonly requested?: number;
  /** The port of the last manager of this `$BEAMLINE_HOME` (`manager.json`). */
  readonly remembered?: number;
  /** Whether a port can be bound on 127.0.0.1 now. */
  readonly isFree: (port: number) => Promise<boolean>;
  /** A free port from the OS, for the fallback. */
  readonly anyFreePort: () => Promise<number>;
}

/**
 * The manager's port: `--port` if given (taken = error), else the one this sandbox used before,
 * else {@link DEFAULT_MANAGER_PORT}; when that one is taken by another program, any free port, with
 * a notice naming both (the new one is remembered, so it stays stable from then on).
 */
export async function chooseManagerPort(inputs: ManagerPortInputs): Promise<ManagerPortChoice> {
  if (inputs.requested !== undefined) {
    if (!(await inputs.isFree(inputs.requested))) {
      throw new Error(`failed to start the manager: port ${inputs.requested} (--port) is in use by another program on 127.0.0.1; choose another --port`);
    }
    return { port: inputs.requested, source: 'flag' };
  }
  const wanted = inputs.remembered ?? DEFAULT_MANAGER_PORT;
  const source: ManagerPortSource = inputs.remembered === undefined ? 'default' : 'remembered';
  if (await inputs.isFree(wanted)) return { port: wanted, source };
  const port = await inputs.anyFreePort();
  return {
    port,
    source: 'fallback',
    notice:
      `port ${wanted} (${source === 'default' ? 'the default' : 'used by this sandbox before'}) is in use by another program: the manager listens on ${port} instead, ` +
      'and keeps it from now on; webhook URLs must use the new port (`beamline up --port N` chooses one)',
  };
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `--port` of `beamline up`: a port number 1-65535, else a usage error message. */
export function parsePortFlag(value: string): number | undefined {
  if (!/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65_535 ? port : undefined;
}
