// Typed configuration: flags, then COFFER_* environment variables, then defaults. This is the only
// module that reads process.env (main passes it in), so everything else receives a Config value.
import { z } from 'zod';
import { parseAffinityMode, type AffinityMode } from '../kernel/cpu-affinity.js';

export interface Config {
  address: string;
  port: number;
  dataDir: string;
  region: string;
  /** Base domain for virtual-hosted-style requests (`bucket.<domain>`), if any. */
  domain?: string;
  tlsCert?: string;
  tlsKey?: string;
  rootUser?: string;
  rootPassword?: string;
  masterKey?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Largest single PUT body (S3: 5 GiB). */
  maxObjectSize: number;
  /** Audit sinks (PRODUCT.md §7): a JSONL file and/or a webhook. */
  auditFile?: string;
  auditWebhook?: { url: string; token?: string; format: 'json' | 'splunk' };
  /** Largest non-object request body we buffer (XML configs, IAM forms): 1 MiB... 2 MiB for DeleteObjects. */
  maxXmlBodySize: number;
  /** Thread placement on a dedicated host (kernel/cpu-affinity.ts); off by default. */
  cpuAffinity?: AffinityMode;
  /** Small objects written by the durable-file addon when it is built (storage/fs/native.ts). */
  nativeFs: 'on' | 'off';
}

export interface ConfigFlags {
  address?: string | undefined;
  port?: string | number | undefined;
  data?: string | undefined;
  region?: string | undefined;
  domain?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  logLevel?: string | undefined;
  cpuAffinity?: string | undefined;
}

const schema = z.object({
  address: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  region: z.string().regex(/^[a-z0-9-]{1,32}$/, 'region must be lower-case letters, digits and dashes'),
  domain: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  rootUser: z.string().min(3).max(128).optional(),
  rootPassword: z.string().min(8).max(128).optional(),
  masterKey: z.string().min(1).optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']),
  auditFile: z.string().min(1).optional(),
  auditWebhookUrl: z.url().optional(),
  auditWebhookToken: z.string().min(1).optional(),
  auditWebhookFormat: z.enum(['json', 'splunk']).optional(),
  maxObjectSize: z.coerce.number().int().positive(),
  maxXmlBodySize: z.coerce.number().int().positive(),
  nativeFs: z.enum(['on', 'off']),
  cpuAffinity: z.string().transform((text, ctx) => {
    try {
      return parseAffinityMode(text);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
      return z.NEVER;
    }
  }),
});

const drop = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;

export function loadConfig(flags: ConfigFlags, env: Readonly<Record<string, string | undefined>>): Config {
  const raw = drop({
    address: flags.address ?? env.COFFER_ADDRESS ?? '0.0.0.0',
    port: flags.port ?? env.COFFER_PORT ?? 9000,
    dataDir: flags.data ?? env.COFFER_DATA ?? './data',
    region: flags.region ?? env.COFFER_REGION ?? 'us-east-1',
    domain: flags.domain ?? env.COFFER_DOMAIN,
    tlsCert: flags.tlsCert ?? env.COFFER_TLS_CERT,
    tlsKey: flags.tlsKey ?? env.COFFER_TLS_KEY,
    rootUser: env.COFFER_ROOT_USER,
    rootPassword: env.COFFER_ROOT_PASSWORD,
    masterKey: env.COFFER_MASTER_KEY,
    logLevel: flags.logLevel ?? env.COFFER_LOG_LEVEL ?? 'info',
    auditFile: env.COFFER_AUDIT_FILE,
    auditWebhookUrl: env.COFFER_AUDIT_WEBHOOK_URL,
    auditWebhookToken: env.COFFER_AUDIT_WEBHOOK_TOKEN,
    auditWebhookFormat: env.COFFER_AUDIT_WEBHOOK_FORMAT,
    maxObjectSize: env.COFFER_MAX_OBJECT_SIZE ?? 5 * 1024 ** 3,
    maxXmlBodySize: env.COFFER_MAX_XML_BODY_SIZE ?? 2 * 1024 ** 2,
    cpuAffinity: flags.cpuAffinity ?? env.COFFER_CPU_AFFINITY ?? 'off',
    nativeFs: env.COFFER_NATIVE_FS ?? 'on',
  });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  if ((parsed.data.tlsCert === undefined) !== (parsed.data.tlsKey === undefined)) {
    throw new Error('invalid configuration: --tls-cert and --tls-key must be given together');
  }
  if ((parsed.data.rootUser === undefined) !== (parsed.data.rootPassword === undefined)) {
    throw new Error('invalid configuration: COFFER_ROOT_USER and COFFER_ROOT_PASSWORD must be set together');
  }
  const { auditWebhookUrl, auditWebhookToken, auditWebhookFormat, ...rest } = parsed.data;
  const config = rest as Config;
  if (auditWebhookUrl !== undefined) {
    config.auditWebhook = {
      url: auditWebhookUrl,
      format: auditWebhookFormat ?? 'json',
      ...(auditWebhookToken !== undefined ? { token: auditWebhookToken } : {}),
    };
  }
  return config;
}
