import { loadConfig } from '@switchboard/config';
import { type CliOutput, cliOutput } from './cli-output.js';
import { connectPlatform, localApiUrl, type PlatformClient } from './platform-client.js';

/** What a command of the running platform gets: the platform, and how to print. */
export interface PlatformCommandContext {
  platform: PlatformClient;
  out: CliOutput;
  env: NodeJS.ProcessEnv;
}

/**
 * The running platform, or an error that says where it was looked for: these commands work over the API only,
 * never on the database.
 */
export async function platformContext(opts: { json?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<PlatformCommandContext> {
  const config = loadConfig({ env });
  const platform = await connectPlatform(env, config);
  if (!platform) {
    throw new Error(`no platform answers at ${localApiUrl(config)} (this machine's api); start one (npm start) or set SWITCHBOARD_URL to its api`);
  }
  return { platform, out: cliOutput(opts.json === true), env };
}
