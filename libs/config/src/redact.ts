import { type SwitchboardConfig } from '@switchboard/contracts';

export const REDACTED = '***';

const SECRET_HEADER = /auth|key|token|secret|cookie|password/i;
const SECRET_QUERY = /([?&](?:password|pass|pwd|secret|token|api_?key|key)=)[^&#]*/gi;

/** `postgresql://app:***@db/app`: the password inside a URL's authority and secret-looking query values. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#]*@/i, `$1${REDACTED}@`).replace(SECRET_QUERY, `$1${REDACTED}`);
}

const hide = (value: string | undefined): string | undefined => (value === undefined ? undefined : REDACTED);

/**
 * A copy of the config that is safe to log: keys become "***", passwords inside URLs are masked, and
 * credential-looking provider headers are hidden. A secret that is not set stays undefined, so a log still
 * shows whether it is configured.
 */
export function redactConfig(config: SwitchboardConfig): SwitchboardConfig {
  const copy = structuredClone(config);
  copy.auth.admin_key = hide(copy.auth.admin_key);
  copy.auth.api_key = hide(copy.auth.api_key);
  if (copy.database.url !== undefined) copy.database.url = redactUrl(copy.database.url);
  copy.redis.url = redactUrl(copy.redis.url);
  for (const provider of copy.providers) {
    switch (provider.type) {
      case 'openai-compatible':
        provider.api_key = hide(provider.api_key);
        if (provider.base_url !== undefined) provider.base_url = redactUrl(provider.base_url);
        for (const name of Object.keys(provider.headers)) {
          if (SECRET_HEADER.test(name)) provider.headers[name] = REDACTED;
        }
        break;
      case 'llama-cpp':
        break;
    }
  }
  return copy;
}
