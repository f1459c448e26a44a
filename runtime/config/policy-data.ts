import type { PolicyData } from '../policy/types.ts';
import type { GatewayConfig } from './schema.ts';

/** The part of the config that becomes OPA `data`: gateway mode, profiles and site-level functions. */
export function policyDataFromConfig(config: GatewayConfig): PolicyData {
  return {
    mode: config.mode,
    site_level_functions: [...config.site_level_functions].sort(),
    profiles: Object.fromEntries(
      Object.entries(config.profiles).map(([name, p]) => [
        name,
        {
          scopes: p.scopes,
          ip_allow: p.ip_allow,
          allow: p.allow,
          deny: p.deny,
          courses: p.courses ?? null,
          rate_per_minute: p.rate_per_minute ?? null,
          rate_per_function_per_minute: p.rate_per_function_per_minute ?? null,
          allow_site_admin: p.allow_site_admin,
        },
      ]),
    ),
  };
}
