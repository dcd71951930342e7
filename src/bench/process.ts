// Spawning an HTTP server as a child process and waiting until it serves: shared by the benchmark
// (Coffer and the baseline) and by test/helpers/server.ts (e2e suites), so both start servers alike.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';

export interface SpawnOptions {
  /** Shown in error messages. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Polled until it answers 200. */
  readyPath?: string;
  timeoutMs?: number;
  /** Trust for probing an HTTPS server (its self-signed certificate). */
  tls?: { ca: string | Buffer };
}

export interface SpawnedServer {
  endpoint: string;
  host: string;
  port: number;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const LISTENING = /listening on (https?):\/\/(\[[^\]]+\]|[^\s:/]+):(\d+)/;

// Children still running when this process exits are killed, so an aborted run leaves no server behind.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export async function spawnServer(opts: SpawnOptions): Promise<SpawnedServer> {
  installExitHook();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    // Keep the start of the log (where the endpoint and credentials are) and a bounded tail.
    out = out.length > 1_000_000 ? out.slice(0, 200_000) + out.slice(-200_000) + s : out + s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err = err.length > 1_000_000 ? err.slice(0, 200_000) + err.slice(-200_000) + s : err + s;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? -1 : null));
    }),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  const describe = (why: string): Error =>
    new Error(
      `${opts.name}: ${why}\n--- command: ${opts.command} ${opts.args.join(' ')}\n--- stdout:\n${out.slice(-4000)}\n--- stderr:\n${err.slice(-4000)}`,
    );

  const deadline = Date.now() + timeoutMs;
  try {
    // 1. The listening line tells the port (the server may have been given --port 0).
    let m: RegExpExecArray | null = null;
    while (!(m = LISTENING.exec(out))) {
      if (hasExited) throw describe('exited before it was listening');
      if (Date.now() > deadline)
        throw describe(`no "listening on http://HOST:PORT" line within ${timeoutMs} ms`);
      await sleep(20);
    }
    const scheme = m[1] === 'https' ? 'https' : 'http';
    const host = m[2]!.replace(/^\[|\]$/g, '');
    const port = Number(m[3]);
    const connectHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const endpoint = `${scheme}://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
    // 2. Ready means it answers the readiness probe, not merely that the socket is bound.
    const readyPath = opts.readyPath ?? '/health/ready';
    for (;;) {
      if (hasExited) throw describe('exited before it was ready');
      const status = await probe(scheme, connectHost, port, readyPath, opts.tls?.ca).catch(() => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw describe(`${readyPath} did not answer 200 within ${timeoutMs} ms`);
      await sleep(25);
    }
    return {
      endpoint,
      host: connectHost,
      port,
      child,
      stdout: () => out,
      stderr: () => err,
      stop,
    };
  } catch (e) {
    await stop(2000);
    throw e;
  }
}

function probe(
  scheme: string,
  host: string,
  port: number,
  path: string,
  ca?: string | Buffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onRes = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode ?? 0);
    };
    const req =
      scheme === 'https'
        ? https.get(
            { host, port, path, agent: false, timeout: 2000, ...(ca !== undefined ? { ca } : {}) },
            onRes,
          )
        : http.get({ host, port, path, agent: false, timeout: 2000 }, onRes);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
