#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.ts';
import { createParley } from './parley.ts';

/** `npm start`: one Parley instance, configured by the environment. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`parley: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const parley = await createParley(config);
  const url = await parley.listen();
  const storage = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
  parley.log.info({ url, metrics: parley.metricsUrl, storage }, `Parley is running at ${url}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    parley.log.info({ signal }, 'shutting down');
    parley.close().then(
      () => process.exit(0),
      (err: unknown) => {
        parley.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('parley: failed to start:', err);
  process.exit(1);
});
