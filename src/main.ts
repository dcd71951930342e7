// Composition root: config → adapters → services → surfaces → listener. The only place that wires
// concrete implementations together; everything else receives its dependencies.
import { mkdirSync, stat } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { loadRootCredentials } from './config/root-credentials.js';
import type { Logger } from './kernel/log.js';
import { applyAffinity, formatCpuList, planFor, type AffinityMode } from './kernel/cpu-affinity.js';
import { startHashWorkers } from './kernel/digest-offload.js';
import { startHttpServer, type RunningServer } from './http/server.js';
import { authenticate, signedService } from './auth/authenticate.js';
import type { SignedRequest } from './auth/types.js';
import type { RequestContext } from './kernel/request-context.js';
import { openSqliteMeta } from './meta/sqlite/store.js';
import { addonMissing, durableFileAddon } from './storage/fs/native.js';
import { hmacAddonMissing } from './auth/sigv4/crypto.js';
import { indexDbPath, openFsBlobStore } from './storage/fs/store.js';
import { createS3Surface } from './s3/api/surface.js';
import { sweepOrphanUploads } from './s3/service/multipart.js';
import { createIdentity } from './iam/setup.js';
import { createIamSurface, writeIamReply } from './iam/api/surface.js';
import { errorReply } from './iam/api/actions.js';
import { CofferError } from './errors/error.js';
import { createAuditLog, createAuditTracker } from './audit/index.js';
import { createCofferMetrics } from './http/metrics.js';

/** Account id of the default tenant (an AWS-style 12-digit id). */
export const DEFAULT_ACCOUNT_ID = '000000000000';

export interface Coffer {
  readonly server: RunningServer;
  readonly rootAccessKeyId: string;
  close(): Promise<void>;
}

/**
 * --cpu-affinity: the event loop on its own CPU, every other thread elsewhere (kernel/cpu-affinity.ts).
 * The helper threads are started first, because threads started later inherit the loop's CPUs.
 */
async function placeThreads(mode: AffinityMode, dataDir: string, log: Logger): Promise<void> {
  const plan = planFor(mode);
  if (typeof plan === 'string') {
    if (mode.kind !== 'off') log.warn('threads left unpinned', { why: plan });
    return;
  }
  // libuv starts all its pool threads at the first request made to the pool.
  await new Promise<void>((resolve) => stat(dataDir, () => resolve()));
  try {
    // A worker that fails to start is replaced at its first use (and placed then): not fatal here.
    await startHashWorkers().catch(() => undefined);
    await applyAffinity(plan);
    log.info('threads pinned', {
      loop: formatCpuList(plan.loop),
      helpers: formatCpuList(plan.helpers),
      why: plan.reason,
    });
  } catch (err) {
    log.warn('threads left unpinned', { why: err instanceof Error ? err.message : String(err) });
  }
}

export async function startCoffer(
  config: Config,
  log: Logger,
  announce: (line: string) => void,
): Promise<Coffer> {
  // Internal state (index, temp files, parts, keys) lives in <data>/.coffer, never a bucket.
  mkdirSync(join(config.dataDir, '.coffer'), { recursive: true, mode: 0o700 });
  const root = loadRootCredentials(config.dataDir, config);
  const meta = openSqliteMeta({ path: indexDbPath(config.dataDir) });
  try {
    await meta.ready;
  } catch (e) {
    await meta.close();
    throw e;
  }
  const nativeFs = config.nativeFs === 'on' ? durableFileAddon() : undefined;
  const blobs = openFsBlobStore({ dataDir: config.dataDir, durableFile: nativeFs ?? null });
  if (nativeFs === undefined) {
    log.warn('small objects are written without the durable-file addon (slower, same result)', {
      why: config.nativeFs === 'off' ? 'COFFER_NATIVE_FS=off' : addonMissing,
    });
  }
  if (hmacAddonMissing !== undefined) {
    log.warn('SigV4 signatures are checked without the HMAC addon (slower, same result)', {
      why: hmacAddonMissing,
    });
  }
  const orphans = await sweepOrphanUploads({ meta, blobs });
  if (orphans > 0) log.info('removed part directories of uploads that no longer exist', { count: orphans });

  const identity = await createIdentity({ config, db: meta.db, root, defaultAccountId: DEFAULT_ACCOUNT_ID });
  const authn = (req: SignedRequest) => {
    const result = authenticate(req, { now: new Date(), region: config.region, lookup: identity.lookup });
    const p = result.auth.principal;
    // Memory only on the request path; written out by the periodic flush (GetAccessKeyLastUsed).
    if (p.kind !== 'anonymous') identity.cache.noteKeyUse(p.accessKeyId, result.service, config.region);
    return result;
  };
  const flushTimer = setInterval(() => {
    identity.cache.flushKeyUse().catch((err: unknown) => log.warn('recording key use failed', { err }));
  }, 10_000);
  flushTimer.unref();

  const audit = createAuditLog({
    ...(config.auditFile !== undefined ? { file: config.auditFile } : {}),
    ...(config.auditWebhook !== undefined ? { webhook: config.auditWebhook } : {}),
    onError: (msg, err) => log.warn(msg, { err }),
  });
  const metrics = createCofferMetrics({ audit });
  // One audit event per request: begun when routed, completed by the surface's hook.
  const tracker = createAuditTracker((event) => {
    metrics.observeRequest(event);
    audit.record(event);
  });

  const s3 = createS3Surface({
    config,
    meta,
    blobs,
    authenticate: authn,
    authorize: identity.authorize,
    log: ({ level, msg, ...fields }) => log[level](msg, fields),
    onDecision: (e) => {
      metrics.observeDecision(e.effect);
      tracker.decision(e);
    },
    onComplete: (e) => tracker.complete(e),
  });
  const iam = createIamSurface({
    iam: identity.iam,
    cache: identity.cache,
    authorize: identity.authorize,
    authenticate: authn,
    maxBodySize: config.maxXmlBodySize,
    onComplete: ({ decision, ...e }) => {
      if (decision) {
        metrics.observeDecision(decision.effect);
        tracker.decision({ requestId: e.requestId, principalArn: e.principalArn, ...decision });
      }
      tracker.complete(e);
    },
  });
  // IAM and STS share the port with S3: the SigV4 credential scope's service tells them apart.
  // STS is recognised (so its clients get an answer in their own wire format) but not built yet.
  const sts = (ctx: RequestContext): Promise<void> => {
    const e = new CofferError('NotImplemented', 'The STS API is not available on this server yet.');
    const bytesOut = writeIamReply(ctx, errorReply(e, ctx.requestId));
    tracker.complete({ requestId: ctx.requestId, status: e.status, errorCode: e.code, bytesOut });
    return Promise.resolve();
  };
  const route = (ctx: RequestContext) => {
    const service = signedService(ctx);
    tracker.begin(ctx, service === 'iam' ? 'iam' : service === 'sts' ? 'sts' : 's3');
    return service === 'iam' ? iam : service === 'sts' ? sts : s3;
  };

  if (config.cpuAffinity !== undefined) await placeThreads(config.cpuAffinity, config.dataDir, log);

  const server = await startHttpServer({
    address: config.address,
    port: config.port,
    ...(config.tlsCert && config.tlsKey ? { tls: { certPath: config.tlsCert, keyPath: config.tlsKey } } : {}),
    log,
    route,
    onClose: (ctx) => tracker.closed(ctx),
    ops: { '/metrics': metrics.handler },
  });

  announce(`Coffer listening on ${server.url} (region ${config.region}, data ${config.dataDir})`);
  if (root.generated) {
    announce('Root credentials were generated for this data directory. Store them now:');
    announce(`  COFFER_ROOT_USER=${root.accessKeyId}`);
    announce(`  COFFER_ROOT_PASSWORD=${root.secretAccessKey}`);
    announce(`  (kept in ${root.file ?? ''}, mode 0600)`);
  }

  return {
    server,
    rootAccessKeyId: root.accessKeyId,
    async close() {
      await server.close();
      clearInterval(flushTimer);
      await audit.close(5000);
      await identity.close();
      await meta.close();
    },
  };
}
