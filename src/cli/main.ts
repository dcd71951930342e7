// The `coffer` command line. `coffer server` runs a server; management commands (later) talk to a
// server over its admin API.
import { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../config/config.js';
import { createLogger } from '../kernel/log.js';
import { startCoffer } from '../main.js';
import { missingServerOptions, relaunch, stopWithLauncher } from './relaunch.js';

const program = new Command();
program.name('coffer').description('Coffer: an S3-compatible object store with AWS-style IAM');

program
  .command('server')
  .description('start a Coffer server (S3, IAM and STS APIs on one port)')
  .option('--address <host>', 'address to listen on (COFFER_ADDRESS, default 0.0.0.0)')
  .option('--port <n>', 'port to listen on; 0 picks a free one (COFFER_PORT, default 9000)')
  .option('--data <dir>', 'data directory (COFFER_DATA, default ./data)')
  .option('--region <name>', 'region (COFFER_REGION, default us-east-1)')
  .option('--domain <name>', 'base domain for virtual-hosted-style requests (COFFER_DOMAIN)')
  .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (COFFER_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key (COFFER_TLS_KEY)')
  .option('--log-level <level>', 'debug|info|warn|error|silent (COFFER_LOG_LEVEL, default info)')
  .option(
    '--cpu-affinity <mode>',
    'off | auto | LOOP:HELPERS CPU lists: event loop and helper threads on separate CPUs, for a dedicated host (COFFER_CPU_AFFINITY, default off)',
  )
  .action(async (flags: ConfigFlags) => {
    const missing = missingServerOptions();
    if (missing.length > 0) {
      relaunch(missing);
      return;
    }
    const config = loadConfig(flags, process.env);
    const log = createLogger(config.logLevel);
    const coffer = await startCoffer(config, log, (line) => console.log(line));
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: finishing in-flight requests, then stopping`);
      coffer.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error('shutdown failed', { err });
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    stopWithLauncher(() => stop('launcher gone'));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`coffer: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
