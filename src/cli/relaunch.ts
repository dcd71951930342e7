// The server process runs with V8 options that can only be given on node's command line, so
// `coffer server` started without them runs itself again, once, in a child node that has them.
//
// Why the option: V8 counts ArrayBuffer memory allocated since its last full GC against the old
// generation's budget. Every request body chunk is a fresh ArrayBuffer (node's HTTP parser copies
// each read), so a large upload allocates ~500 MB/s of them. With V8's default first budget (about
// twice a 12 MB heap) that spent the headroom within two scavenges, and the server ran a full
// mark-compact every ~60 ms: two per 64 MiB PUT, ~20 % of a large PUT's CPU (measured with
// --trace-gc and per-thread CPU; the benchmark's baseline escaped it only because its heap is under
// V8's 8 MB threshold for incremental marking). With a 64 MB initial old space, 96 such PUTs in a
// row ran with 2 mark-compacts in all (ADR 0004). V8 reads the option when it creates the heap:
// `v8.setFlagsFromString` afterwards has no effect, and NODE_OPTIONS does not accept it.
import { spawn } from 'node:child_process';
import os from 'node:os';

/** node options the server process needs (each `--name=value`). */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--initial-old-space-size=64'];

const optionName = (arg: string): string => arg.split('=')[0]!;

/** Set in the relaunched server's environment: it never relaunches again, and it watches its launcher. */
const RELAUNCHED = 'COFFER_RELAUNCHED';

/**
 * The server options this process was started without (an option given with any value counts);
 * none in a relaunched server, whatever node did with them, so a relaunch can never loop.
 */
export function missingServerOptions(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (env[RELAUNCHED] === '1') return [];
  const given = new Set(execArgv.map(optionName));
  return SERVER_NODE_OPTIONS.filter((o) => !given.has(optionName(o)));
}

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs this command again in a child node with `options` added, and mirrors it: signals sent to this
 * process are passed on (the child's own handlers decide what they mean), and this process exits
 * with the child's status. The IPC channel lets the child notice if this process is killed outright.
 */
export function relaunch(options: readonly string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, ...options, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  for (const signal of FORWARDED_SIGNALS) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    console.error(`coffer: could not start the server process: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal !== null ? 128 + (os.constants.signals[signal] ?? 0) : 1));
  });
}

/**
 * In a relaunched server: `stop` runs when the launcher is gone (killed without a chance to pass a
 * signal on), so the server stops cleanly instead of living on unsupervised. No-op otherwise.
 */
export function stopWithLauncher(stop: () => void): void {
  // Only under our own launcher: another parent's IPC channel (a process manager's) is not ours to
  // interpret.
  if (process.env[RELAUNCHED] === '1' && process.send !== undefined) process.once('disconnect', stop);
}
