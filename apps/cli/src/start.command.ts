import { loadConfig } from '@switchboard/config';
import { InvalidArgumentError } from 'commander';
import { offerDefaultModel } from './first-start.js';
import { allApps, type AppName, startPlatform } from './platform.js';

/** `switchboard start [app]`: all apps in this process, or one for scale-out; drains on SIGTERM / Ctrl-C. */
export async function startCommand(app: string): Promise<void> {
  if (app !== 'all' && !allApps.includes(app as AppName)) throw new InvalidArgumentError(`unknown app "${app}"; expected all, gateway, api or worker`);
  const config = loadConfig();
  if (app === 'all' || app === 'worker') await offerDefaultModel(config, { stdin: process.stdin, out: process.stdout, env: process.env, cwd: process.cwd() });
  const platform = await startPlatform(app === 'all' ? allApps : [app as AppName], config);
  for (const [name, url] of Object.entries(platform.urls)) if (url) console.log(`${name.padEnd(8)} ${url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: draining (Ctrl-C again to quit at once)`);
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
