import { ChildProcess, SpawnOptions, spawn } from 'child_process';
import * as fs from 'fs';

let setpriv: string | null | undefined;

/** util-linux's setpriv, which can ask the kernel to kill a child when its parent dies. */
function setprivPath(): string | null {
  if (setpriv === undefined) {
    setpriv = null;
    if (process.platform === 'linux') {
      for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
        const candidate = `${dir}/setpriv`;
        if (fs.existsSync(candidate)) {
          setpriv = candidate;
          break;
        }
      }
    }
  }
  return setpriv;
}

/**
 * Spawns a helper process (ffmpeg for a synthetic participant, a test peer) that dies with this
 * process however this one ends: SIGTERM, a crash, or kill -9, which no handler sees. On Linux
 * the kernel does it (PR_SET_PDEATHSIG, set by setpriv just before it becomes the command).
 */
export function spawnTied(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const tie = setprivPath();
  if (!tie) return spawn(command, args, options);
  return spawn(tie, ['--pdeathsig', 'KILL', '--', command, ...args], options);
}
