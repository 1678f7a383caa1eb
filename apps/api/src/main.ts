import { applyHeapGrowth } from './runtime-flags';
import 'reflect-metadata';
import { CollectionPacer, exposedCollector } from './common/collection-pacer';
import { Logger } from '@nestjs/common';
import { loadSettings, SettingsError } from './config/settings';
import { createApp } from './app.factory';
import { VaultKeyError } from './common/crypto/token-vault';
import { createLogger } from './common/logging/json-logger';
import { BootstrapRefusedError } from './modules/auth/bootstrap-admin';
import { ProxyService } from './modules/proxy/proxy.service';

async function main(): Promise<void> {
  const settings = loadSettings();
  // From the first line on (the embedded database starts before Nest), in the configured format.
  const appLogger = createLogger(settings);
  Logger.overrideLogger(appLogger);
  const instance = await createApp(settings, { logger: appLogger });
  await instance.app.listen(settings.port, settings.host);
  applyHeapGrowth();
  // A full collection while requests are in flight, before V8's memory reducer runs one between
  // bursts (common/collection-pacer.ts).
  const proxy = instance.app.get(ProxyService);
  const pacer = new CollectionPacer(() => proxy.inFlight > 0, exposedCollector());
  pacer.start();
  const logger = new Logger('codex-lb');
  logger.log(`API and proxy listening on http://${settings.host}:${settings.port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    pacer.stop();
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
