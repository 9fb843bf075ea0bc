import { type SwitchboardConfig } from '@switchboard/contracts';
import { type Authenticator } from '@switchboard/auth';
import { type Database } from '@switchboard/db';
import { type Logger } from 'pino';

/** The slice of a Redis client the API uses; an ioredis `Redis` fits. */
export interface RedisPinger {
  ping(): Promise<string>;
  /** Carries run cancel signals to the workers; without it, cancelling a run answers 503. */
  publish?(channel: string, message: string): Promise<number>;
  /** Reads circuit states and health probes for GET /api/providers. */
  mget?(...keys: string[]): Promise<(string | null)[]>;
  /** The runtime provider switches (a SET of disabled names) for GET/PATCH /api/providers. */
  smembers?(key: string): Promise<string[]>;
  sadd?(key: string, member: string): Promise<number>;
  srem?(key: string, member: string): Promise<number>;
}

/** Everything the API needs from outside: tests and the all-in-one start pass their own. */
export interface ApiDeps {
  config: SwitchboardConfig;
  /** Owned by the caller: closing the app leaves it open. */
  db: Database;
  /** Checked by /readyz when given; also carries run cancel signals. */
  redis?: RedisPinger;
  logger?: Logger;
  /** The config file `POST /api/models/:name/select` edits; default SWITCHBOARD_CONFIG or config/switchboard.yaml. */
  configPath?: string;
  /** Shared with a gateway in the same process (one key cache); default: the app makes its own. */
  authenticator?: Authenticator;
  /**
   * The port of the gateway the web app should call, when the caller runs one in this process (it may listen on
   * a port picked at start); null until it listens. Unset: config.server.gateway_port.
   */
  gatewayPort?: () => number | null;
  /** The built web app to serve at `/`; default apps/web/dist. */
  webDir?: string;
}
