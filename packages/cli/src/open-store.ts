import { loadConfig, openDatabase, type GatewayConfig, type Storage } from '@countersign/server';

/**
 * Opens the store named by a config file for one CLI command, and closes it afterwards:
 * commands that manage tokens and keys write to the same database as the gateway.
 */
export async function withStore<T>(
  configFile: string,
  f: (storage: Storage, config: GatewayConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig(configFile);
  const storage = await openDatabase({
    url: config.storage.url,
    dataDir: config.dataDir,
    synchronous: config.storage.synchronous,
  });
  try {
    return await f(storage, config);
  } finally {
    await storage.close();
  }
}
