import { applyHeapGrowth } from './runtime-flags';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadSettings, SettingsError } from './config/settings';
import { createApp } from './app.factory';
import { VaultKeyError } from './common/crypto/token-vault';
import { createLogger } from './common/logging/json-logger';
import { BootstrapRefusedError } from './modules/auth/bootstrap-admin';

async function main(): Promise<void> {
  const settings = loadSettings();
  // From the first line on (the embedded database starts before Nest), in the configured format.
  const appLogger = createLogger(settings);
  Logger.overrideLogger(appLogger);
  const instance = await createApp(settings, { logger: appLogger });
  await instance.app.listen(settings.port, settings.host);
  applyHeapGrowth();
  const logger = new Logger('codex-lb');
  logger.log(`API and proxy listening on http://${settings.host}:${settings.port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing in-flight work and shutting down`);
    instance.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof SettingsError || error instanceof BootstrapRefusedError || error instanceof VaultKeyError) {
    process.stderr.write(`codex-lb cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`codex-lb failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
