// `npm run bench`: starts Coffer and the baseline (baseline.ts) side by side, drives both with the same
// keep-alive client over pre-signed requests, and prints (and writes to .bench/latest.md) a markdown
// table of ops/s, MB/s, p50/p99 latency and Coffer's ratio to the baseline per scenario.
import {
  S3Client,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_OPTIONS } from '../cli/relaunch.js';
import { mergeResults, runEach, runLoad, type LoadResult, type PreparedRequest } from './load.js';
import { spawnServer, type SpawnedServer } from './process.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// Options: flags override env; --quick is a smoke run of the harness itself (seconds, not minutes).
// ---------------------------------------------------------------------------------------------
interface Options {
  quick: boolean;
  warmupMs: number;
  durationMs: number;
  only: string[] | null;
  smallKeys: number;
  largeSizeMiB: number;
  out: string;
  skipCoffer: boolean;
  keep: boolean;
  profile: boolean;
  rounds: number;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const flag = (name: string): string | undefined => {
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    if (eq) return eq.slice(name.length + 3);
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : undefined;
    return v !== undefined && !v.startsWith('--') ? v : undefined;
  };
  if (argv.includes('--help')) {
    console.log(`usage: npm run bench -- [--quick] [--duration MS] [--warmup MS] [--only a,b] [--small-keys N]
                      [--rounds N] [--large-mib N] [--out FILE] [--baseline-only] [--keep] [--profile]
env: BENCH_DURATION_MS (timed ms per cell, split over rounds), BENCH_WARMUP_MS, BENCH_ROUNDS, BENCH_ONLY, BENCH_QUICK=1,
     BENCH_BASELINE_ONLY=1, BENCH_PROFILE=1, BENCH_KEEP=1,
     BENCH_COFFER_ARGS / BENCH_BASELINE_ARGS (extra server flags),
     BENCH_VARIANT_ARGS / BENCH_VARIANT_ENV ('A=1 B=2') / BENCH_VARIANT_BIN (another build's bin/coffer.js):
       a second Coffer with these, in the same rounds (an A/B)
scenarios: ${scenarios.map((s) => s.id).join(', ')}`);
    process.exit(0);
  }
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const num = (v: string | undefined, d: number): number => (v !== undefined && v !== '' ? Number(v) : d);
  const only = flag('only') ?? env.BENCH_ONLY;
  return {
    quick,
    warmupMs: num(flag('warmup') ?? env.BENCH_WARMUP_MS, quick ? 300 : 1000),
    durationMs: num(flag('duration') ?? env.BENCH_DURATION_MS, quick ? 1000 : 8000),
    only: only ? only.split(',').map((s) => s.trim()) : null,
    smallKeys: num(flag('small-keys'), quick ? 256 : 1024),
    largeSizeMiB: num(flag('large-mib'), 64),
    out: flag('out') ?? path.join(repoRoot, '.bench', 'latest.md'),
    skipCoffer: argv.includes('--baseline-only') || env.BENCH_BASELINE_ONLY === '1',
    keep: argv.includes('--keep') || env.BENCH_KEEP === '1',
    profile: argv.includes('--profile') || env.BENCH_PROFILE === '1',
    // Defaults: the published runs' method. With 2 rounds of 2 s a cell moved ±10–20 points between
    // runs on the shared benchmark machine; 4 rounds of 2 s narrow it (docs/benchmarks.md).
    rounds: Math.max(1, num(flag('rounds') ?? env.BENCH_ROUNDS, quick ? 1 : 4)),
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios (targets from issue 2: Coffer's ops/s as a fraction of the baseline's).
// ---------------------------------------------------------------------------------------------
type Kind = 'put-small' | 'get-small' | 'put-large' | 'get-large' | 'head' | 'list';
interface Scenario {
  id: string;
  label: string;
  kind: Kind;
  concurrency: number;
  target: number;
}
const scenarios: Scenario[] = [
  { id: 'put-4k-c16', label: 'PUT 4 KiB', kind: 'put-small', concurrency: 16, target: 0.6 },
  { id: 'put-4k-c64', label: 'PUT 4 KiB', kind: 'put-small', concurrency: 64, target: 0.6 },
  { id: 'get-4k-c16', label: 'GET 4 KiB', kind: 'get-small', concurrency: 16, target: 0.75 },
  { id: 'get-4k-c64', label: 'GET 4 KiB', kind: 'get-small', concurrency: 64, target: 0.75 },
  { id: 'head-c16', label: 'HEAD 4 KiB object', kind: 'head', concurrency: 16, target: 0.6 },
  { id: 'list-1000-c8', label: 'ListObjectsV2, 1000-key page', kind: 'list', concurrency: 8, target: 0.6 },
  { id: 'put-64m-c4', label: 'PUT 64 MiB', kind: 'put-large', concurrency: 4, target: 0.9 },
  { id: 'get-64m-c4', label: 'GET 64 MiB', kind: 'get-large', concurrency: 4, target: 0.9 },
];

// The in-process "auth" scenario (SigV4 verification + policy decision, µs per request) lives in
// auth.ts; `npm run bench` runs it right after this file.

// ---------------------------------------------------------------------------------------------
// Targets: how each server is reached, and its request pools prepared before any timing.
// ---------------------------------------------------------------------------------------------
const BUCKET = 'bench';
const LIST_BUCKET = 'bench-list';
const LIST_KEYS = 1000;
const LARGE_KEYS = 4;

interface Pools {
  createBuckets: PreparedRequest[];
  putSmall: PreparedRequest[];
  getSmall: PreparedRequest[];
  head: PreparedRequest[];
  putList: PreparedRequest[];
  list: PreparedRequest[];
  putLarge: PreparedRequest[];
  getLarge: PreparedRequest[];
}

interface Target {
  /** 'baseline', 'Coffer', or a variant Coffer of an A/B run. */
  name: string;
  server: SpawnedServer;
  pools: Pools;
}

type Op = { m: 'PUT' | 'GET' | 'HEAD'; bucket: string; key?: string; list?: boolean; body?: Buffer };
type Signer = (op: Op) => Promise<string>;

const smallKey = (i: number): string => `small/obj-${String(i).padStart(6, '0')}`;
const listKey = (i: number): string => `k/${String(i).padStart(6, '0')}`;
const largeKey = (i: number): string => `large/obj-${i}`;

async function buildPools(
  sign: Signer,
  o: Options,
  small: Buffer,
  large: Buffer,
  tiny: Buffer,
): Promise<Pools> {
  const req = async (op: Op): Promise<PreparedRequest> => {
    const r: PreparedRequest = { method: op.m, path: await sign(op) };
    if (op.body) r.body = op.body;
    return r;
  };
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const all = <T>(xs: number[], f: (i: number) => Promise<T>): Promise<T[]> => Promise.all(xs.map(f));
  return {
    createBuckets: [await req({ m: 'PUT', bucket: BUCKET }), await req({ m: 'PUT', bucket: LIST_BUCKET })],
    putSmall: await all(range(o.smallKeys), (i) =>
      req({ m: 'PUT', bucket: BUCKET, key: smallKey(i), body: small }),
    ),
    getSmall: await all(range(o.smallKeys), (i) => req({ m: 'GET', bucket: BUCKET, key: smallKey(i) })),
    head: await all(range(Math.min(64, o.smallKeys)), (i) =>
      req({ m: 'HEAD', bucket: BUCKET, key: smallKey(i) }),
    ),
    putList: await all(range(LIST_KEYS), (i) =>
      req({ m: 'PUT', bucket: LIST_BUCKET, key: listKey(i), body: tiny }),
    ),
    list: [await req({ m: 'GET', bucket: LIST_BUCKET, list: true })],
    putLarge: await all(range(LARGE_KEYS), (i) =>
      req({ m: 'PUT', bucket: BUCKET, key: largeKey(i), body: large }),
    ),
    getLarge: await all(range(LARGE_KEYS), (i) => req({ m: 'GET', bucket: BUCKET, key: largeKey(i) })),
  };
}

/** The baseline has no auth: a request is its plain path. */
const plainSigner: Signer = (op) => {
  const p = `/${op.bucket}/${op.key !== undefined ? op.key.split('/').map(encodeURIComponent).join('/') : ''}`;
  return Promise.resolve(op.list ? `${p}?list-type=2&max-keys=${LIST_KEYS}` : p);
};

/**
 * Coffer is reached through the AWS SDK's own presigner (query-string SigV4, UNSIGNED-PAYLOAD), so the
 * server verifies real signatures on every request. `WHEN_REQUIRED` keeps the SDK from binding the
 * URL to the CRC32 of an empty body (see FIELD-NOTES), which a correct server would then enforce.
 */
function sdkSigner(endpoint: string, accessKeyId: string, secretAccessKey: string): Signer {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const expiresIn = 6 * 3600;
  return async (op) => {
    const Bucket = op.bucket;
    let url: string;
    if (op.key === undefined && op.list) {
      url = await getSignedUrl(client, new ListObjectsV2Command({ Bucket, MaxKeys: LIST_KEYS }), {
        expiresIn,
      });
    } else if (op.key === undefined) {
      url = await getSignedUrl(client, new CreateBucketCommand({ Bucket }), { expiresIn });
    } else if (op.m === 'PUT') {
      url = await getSignedUrl(client, new PutObjectCommand({ Bucket, Key: op.key }), { expiresIn });
    } else if (op.m === 'HEAD') {
      url = await getSignedUrl(client, new HeadObjectCommand({ Bucket, Key: op.key }), { expiresIn });
    } else {
      url = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: op.key }), { expiresIn });
    }
    const u = new URL(url);
    return u.pathname + u.search;
  };
}

function poolFor(t: Target, kind: Kind): PreparedRequest[] {
  switch (kind) {
    case 'put-small':
      return t.pools.putSmall;
    case 'get-small':
      return t.pools.getSmall;
    case 'head':
      return t.pools.head;
    case 'list':
      return t.pools.list;
    case 'put-large':
      return t.pools.putLarge;
    case 'get-large':
      return t.pools.getLarge;
  }
}

async function setup(t: Target): Promise<void> {
  const { host, port } = t.server;
  const steps: Array<[string, PreparedRequest[], number]> = [
    ['create buckets', t.pools.createBuckets, 1],
    ['put small objects', t.pools.putSmall, 16],
    ['put 1000 listing keys', t.pools.putList, 16],
    ['put large objects', t.pools.putLarge, 2],
  ];
  for (const [what, reqs, conc] of steps) {
    const r = await runEach(host, port, reqs, conc);
    // Creating a bucket twice is fine (BucketAlreadyOwnedByYou) — the bench may reuse a data dir.
    if (r.errors > 0 && what !== 'create buckets') {
      throw new Error(
        `${t.name} set-up "${what}": ${r.errors} of ${reqs.length} failed; first: ${r.firstError}`,
      );
    }
  }
}

/** User + system CPU seconds of a process, from /proc (Linux); NaN elsewhere. */
const clockTicks = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicks;
  } catch {
    return NaN;
  }
}

/*
 * A process's main thread (its event loop, for node): seconds on a CPU and runnable but waiting for
 * one, from /proc/<pid>/task/<pid>/schedstat (Linux, in nanoseconds); NaN elsewhere. Session 6 found
 * Coffer's loop saturated at small-PUT concurrency 16 this way (on CPU 75 %, waiting 16 %) while its
 * CPU per operation alone did not show it.
 */
function mainThreadSeconds(pid: number | undefined): { run: number; wait: number } {
  if (pid === undefined) return { run: NaN, wait: NaN };
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    return { run: Number(run) / 1e9, wait: Number(wait) / 1e9 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------
interface Row {
  scenario: Scenario;
  baseline?: LoadResult;
  coffer?: LoadResult;
  /** Further Coffer servers of an A/B run (BENCH_VARIANT_ARGS / BENCH_VARIANT_ENV), by name. */
  variants?: Record<string, LoadResult>;
  /**
   * Each server's rounds in order (ops/s, server CPU µs/op): a phase in which the machine as a whole
   * ran slower (for example while the disk works off discards) shows as rounds out of line for both.
   */
  rounds?: Record<
    string,
    { opsPerSec: number; serverCpuUsPerOp: number; loopOnCpu: number; loopWaiting: number }[]
  >;
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const f1 = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '—');
/** An event loop's shares of the window: "75 + 16 %" (on a CPU + waiting for one). */
const loopShares = (r: LoadResult): string =>
  Number.isFinite(r.loopOnCpu) && Number.isFinite(r.loopWaiting)
    ? `${Math.round(r.loopOnCpu * 100)} + ${Math.round(r.loopWaiting * 100)} %`
    : '—';
const ms = (n: number): string =>
  Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : '—';

function ratioOf(r: Row): number {
  return r.baseline && r.coffer && r.baseline.opsPerSec > 0 && r.coffer.errors === 0
    ? r.coffer.opsPerSec / r.baseline.opsPerSec
    : NaN;
}

function machine(): string {
  const cpus = os.cpus();
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
  } catch {
    /* not a checkout */
  }
  return [
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `${os.type()} ${os.release()}`,
    `Node ${process.version}`,
    commit ? `commit ${commit}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** The servers' extra flags from the environment, e.g. "baseline `--dir-fsync`"; '' when none. */
function extraFlags(): string {
  const parts: string[] = [];
  if (process.env.BENCH_BASELINE_ARGS) parts.push(`baseline \`${process.env.BENCH_BASELINE_ARGS}\``);
  if (process.env.BENCH_COFFER_ARGS) parts.push(`Coffer \`${process.env.BENCH_COFFER_ARGS}\``);
  return parts.join(', ');
}

function table(rows: Row[], o: Options): string {
  const flags = extraFlags();
  const lines = [
    `Coffer vs. baseline — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${machine()}.`,
    `Each cell: ${o.durationMs} ms timed (64 MiB: at least 4000 ms) in ${o.rounds} round(s) alternating between the servers, ` +
      `each after a warm-up (${o.warmupMs} ms, later rounds ≤ 500 ms); same client, same machine, same run.`,
    // A non-default yardstick must be visible wherever the figures are quoted.
    ...(flags ? [`Extra flags: ${flags}.`] : []),
    '',
    '| scenario | conc. | baseline ops/s | Coffer ops/s | baseline MB/s | Coffer MB/s | baseline p50 / p99 ms | Coffer p50 / p99 ms | Coffer / baseline | target |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|:--|',
  ];
  for (const r of rows) {
    const b = r.baseline;
    const c = r.coffer;
    const ratio = ratioOf(r);
    const verdict = Number.isNaN(ratio) ? '' : ratio >= r.scenario.target ? ' ✓' : ' ✗';
    const cofferErr = c && c.errors > 0 ? ` (${c.errors} errors)` : '';
    lines.push(
      `| ${r.scenario.label} | ${r.scenario.concurrency} | ${b ? f0(b.opsPerSec) : '—'} | ${c ? f0(c.opsPerSec) + cofferErr : 'n/a'} | ` +
        `${b ? f1(b.mbPerSec) : '—'} | ${c ? f1(c.mbPerSec) : 'n/a'} | ${b ? `${ms(b.p50ms)} / ${ms(b.p99ms)}` : '—'} | ` +
        `${c ? `${ms(c.p50ms)} / ${ms(c.p99ms)}` : 'n/a'} | ${Number.isNaN(ratio) ? '—' : `${Math.round(ratio * 100)} %`} | ` +
        `≥ ${Math.round(r.scenario.target * 100)} %${verdict} |`,
    );
  }
  // Throughput on a shared 2-core machine is noisy; CPU time per operation is steadier, and shows
  // whether the client (same machine) was the limit.
  lines.push(
    '',
    '| scenario | conc. | baseline server CPU µs/op | Coffer server CPU µs/op | baseline / Coffer | client cores (baseline / Coffer) | event loop on CPU + waiting (baseline / Coffer) |',
    '|---|--:|--:|--:|--:|--:|--:|',
  );
  for (const r of rows) {
    const b = r.baseline;
    const c = r.coffer;
    const eff = b && c ? b.serverCpuUsPerOp / c.serverCpuUsPerOp : NaN;
    lines.push(
      `| ${r.scenario.label} | ${r.scenario.concurrency} | ${b ? f0(b.serverCpuUsPerOp) : '—'} | ${c ? f0(c.serverCpuUsPerOp) : 'n/a'} | ` +
        `${Number.isFinite(eff) ? `${Math.round(eff * 100)} %` : '—'} | ${b ? b.clientCores.toFixed(2) : '—'} / ${c ? c.clientCores.toFixed(2) : 'n/a'} | ` +
        `${b ? loopShares(b) : '—'} / ${c ? loopShares(c) : 'n/a'} |`,
    );
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
const splitArgs = (v: string | undefined): string[] => (v ? v.split(/\s+/).filter(Boolean) : []);

/** `A=1 B=two` → { A: '1', B: 'two' } (BENCH_VARIANT_ENV). */
function parseEnvList(v: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of splitArgs(v)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`BENCH_VARIANT_ENV: expected NAME=value, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2), process.env);
  const selected = o.only
    ? scenarios.filter((s) => o.only!.some((x) => s.id === x || s.kind === x))
    : scenarios;
  if (selected.length === 0) throw new Error(`no scenario matches --only ${o.only?.join(',')}`);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);

  const small = randomBytes(4096);
  const tiny = randomBytes(64);
  const large = Buffer.allocUnsafe(o.largeSizeMiB * 2 ** 20);
  randomFillSync(large);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  const servers: SpawnedServer[] = [];
  const targets: Target[] = [];
  let exitCode = 0;
  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    if (!o.keep) fs.rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    // Both servers are separate processes on the same disk, started with the same Node.
    log(`work dir ${work}`);
    const baseline = await spawnServer({
      name: 'baseline',
      command: process.execPath,
      args: [
        path.join(repoRoot, 'dist', 'bench', 'baseline.js'),
        '--address',
        '127.0.0.1',
        '--port',
        '0',
        '--data',
        path.join(work, 'baseline'),
        ...splitArgs(process.env.BENCH_BASELINE_ARGS),
      ],
    });
    servers.push(baseline);
    targets.push({
      name: 'baseline',
      server: baseline,
      pools: await buildPools(plainSigner, o, small, large, tiny),
    });

    /** Starts a Coffer server (extra flags and environment on top of the run's) and pre-signs its pools. */
    const startCoffer = async (
      name: string,
      extraArgs: string[],
      env: Record<string, string>,
      bin = path.join(repoRoot, 'bin', 'coffer.js'),
    ): Promise<void> => {
      const accessKeyId = 'benchroot';
      const secretAccessKey = randomBytes(24).toString('base64url');
      try {
        const coffer = await spawnServer({
          name,
          command: process.execPath,
          args: [
            // Given here so the measured process is the server itself, not a launcher (cli/relaunch).
            ...SERVER_NODE_OPTIONS,
            // --profile: a V8 CPU profile of Coffer, written when it exits (open in Chrome DevTools).
            ...(o.profile
              ? ['--cpu-prof', `--cpu-prof-dir=${path.join(repoRoot, '.bench', 'profile', name)}`]
              : []),
            bin,
            'server',
            '--address',
            '127.0.0.1',
            '--port',
            '0',
            '--data',
            path.join(work, name),
            ...splitArgs(process.env.BENCH_COFFER_ARGS),
            ...extraArgs,
          ],
          env: { ...env, COFFER_ROOT_USER: accessKeyId, COFFER_ROOT_PASSWORD: secretAccessKey },
        });
        servers.push(coffer);
        log(`pre-signing ${name} requests…`);
        const pools = await buildPools(
          sdkSigner(coffer.endpoint, accessKeyId, secretAccessKey),
          o,
          small,
          large,
          tiny,
        );
        targets.push({ name, server: coffer, pools });
      } catch (e) {
        log(
          `${name} could not be started; measuring without it.\n${e instanceof Error ? e.message : String(e)}`,
        );
        exitCode = 1;
      }
    };
    if (!o.skipCoffer) {
      await startCoffer('Coffer', [], {});
      // An A/B of two Coffer builds' settings in the same alternating rounds (docs/benchmarks.md):
      // the variant is a third server, reported in the log and latest.json, not in the table.
      const variantArgs = splitArgs(process.env.BENCH_VARIANT_ARGS);
      const variantEnv = parseEnvList(process.env.BENCH_VARIANT_ENV);
      // Another build (e.g. a built git worktree of the previous commit): its bin/coffer.js.
      const variantBin = process.env.BENCH_VARIANT_BIN;
      if (variantArgs.length > 0 || Object.keys(variantEnv).length > 0 || variantBin) {
        await startCoffer(
          'variant',
          variantArgs,
          variantEnv,
          variantBin ? path.resolve(variantBin) : undefined,
        );
      }
    }

    for (const t of targets.slice()) {
      log(`set-up ${t.name}…`);
      try {
        await setup(t);
      } catch (e) {
        log(e instanceof Error ? e.message : String(e));
        exitCode = 1;
        targets.splice(targets.indexOf(t), 1);
      }
    }

    const rows: Row[] = [];
    for (const [n, sc] of selected.entries()) {
      const row: Row = { scenario: sc };
      const large = sc.kind === 'put-large' || sc.kind === 'get-large';
      // A 64 MiB operation takes a large part of a second: those cells get a longer window.
      const total = large ? Math.max(o.durationMs, 4000) : o.durationMs;
      const results = new Map<Target, LoadResult[]>(targets.map((t) => [t, []]));
      // The timed window is split into rounds that alternate between the servers (and who goes
      // first), so drift on a shared machine (other jobs, page-cache writeback) hits both alike.
      for (let round = 0; round < o.rounds; round++) {
        const order = (n + round) % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          // Flush dirty pages left by the previous run so it does not bill this one.
          try {
            execFileSync('sync');
          } catch {
            /* best effort */
          }
          const pool = poolFor(t, sc.kind);
          const r = await runLoad({
            host: t.server.host,
            port: t.server.port,
            concurrency: sc.concurrency,
            // Connections and JIT are warm after the first round; a short ramp is enough.
            warmupMs: round === 0 ? o.warmupMs : Math.min(o.warmupMs, 500),
            durationMs: total / o.rounds,
            request: (i: number) => pool[i % pool.length]!,
            serverCpu: () => processCpuSeconds(t.server.child.pid),
            serverLoop: () => mainThreadSeconds(t.server.child.pid),
          });
          results.get(t)!.push(r);
          if (r.errors > 0) exitCode = 1;
        }
      }
      row.rounds = {};
      for (const t of targets) {
        const perRound = results.get(t)!;
        const r = mergeResults(perRound);
        row.rounds[t.name] = perRound.map((x) => ({
          opsPerSec: x.opsPerSec,
          serverCpuUsPerOp: x.serverCpuUsPerOp,
          loopOnCpu: x.loopOnCpu,
          loopWaiting: x.loopWaiting,
        }));
        log(
          `${sc.id.padEnd(14)} ${t.name.padEnd(8)} ${f0(r.opsPerSec).padStart(8)} ops/s ${f1(r.mbPerSec).padStart(7)} MB/s ` +
            `p50 ${ms(r.p50ms)} ms p99 ${ms(r.p99ms)} ms, server ${f0(r.serverCpuUsPerOp)} µs CPU/op, ` +
            `client ${r.clientCores.toFixed(2)} cores, loop ${loopShares(r)} on CPU + waiting, rounds ${perRound.map((x) => f0(x.opsPerSec)).join(' ')} ops/s` +
            (r.errors ? `  ${r.errors} errors, first: ${r.firstError}` : ''),
        );
        if (t.name === 'baseline') row.baseline = r;
        else if (t.name === 'Coffer') row.coffer = r;
        else (row.variants ??= {})[t.name] = r;
      }
      rows.push(row);
    }

    const md = table(rows, o);
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(o.out, md);
    fs.writeFileSync(
      o.out.replace(/\.md$/, '') + '.json',
      JSON.stringify({ machine: machine(), options: o, rows }, null, 2),
    );
    process.stdout.write('\n' + md);
    log(`written to ${path.relative(process.cwd(), o.out)}`);
  } finally {
    await cleanup();
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(2);
  },
);
