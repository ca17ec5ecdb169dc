/**
 * @countersign/server: the gateway. HTTP API, storage, scheduler.
 * @module
 */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export {
  loadConfig,
  resolveConfig,
  ConfigError,
  type GatewayConfig,
} from './config/load-config.js';
export { ConfigSchema, type ConfigFile } from './config/config-schema.js';
export { Directory, type User, type Agent } from './config/directory.js';
export { openDatabase, type Storage, type StorageOptions } from './storage/open-database.js';
export { ActionRepository } from './storage/action-repository.js';
export { TokenRepository } from './storage/token-repository.js';
export { TokenService } from './auth/token-service.js';
export { PolicyStore } from './policy/policy-store.js';
export { actionView } from './http/action-view.js';
