export { ConfigError } from './errors.ts';
export { loadConfig, parseConfig, defaultConfigPath } from './load.ts';
export { policyDataFromConfig } from './policy-data.ts';
export type { GatewayConfig } from './schema.ts';
