import type { SwitchboardConfig } from '@switchboard/contracts';
import { defaultLocalModel, manifestPathIn, readModelManifest } from '@switchboard/providers';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { downloadModelCommand } from './models-download.command.js';

export interface FirstStartIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  out: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * Before `npm start` serves: when the default local model's file is missing, a person at a terminal is offered
 * its download (with a progress bar); anyone else (CI, a service, a pipe) gets the one command to run, and no
 * prompt. Either way the platform then starts; until the file is there, its model id answers with an error
 * that says how to get it and `local/test-model` answers with noise.
 */
export async function offerDefaultModel(config: SwitchboardConfig, io: FirstStartIo): Promise<void> {
  const chosen = defaultLocalModel(config);
  if (!chosen || existsSync(chosen.model.file)) return;
  const manifest = await readModelManifest(manifestPathIn(config.models.dir)).catch(() => null);
  const entry = manifest?.models.find((m) => m.file === path.basename(chosen.model.file));
  const say = (line: string): boolean => io.out.write(`${line}\n`);
  const id = `${chosen.provider}/${chosen.model.name}`;
  if (!entry) {
    say(`No file for the default local model ${id} at ${chosen.model.file}: put a GGUF there (\`switchboard models list\` shows the known ones).`);
    return;
  }
  const command = `npm run switchboard -- models download ${entry.name}`;
  if (!io.stdin.isTTY || !io.out.isTTY) {
    say(`No local model yet: \`${command}\` fetches the default one (${id}, ~${(entry.size_bytes / 1e6).toFixed(0)} MB).`);
    return;
  }
  const rl = createInterface({ input: io.stdin, output: io.out });
  const answer = (await rl.question(`The default local model ${id} (${entry.name}, ~${(entry.size_bytes / 1e6).toFixed(0)} MB) is not downloaded. Download it now? [Y/n] `)).trim().toLowerCase();
  rl.close();
  if (answer !== '' && answer !== 'y' && answer !== 'yes') {
    say(`Not now. Later: \`${command}\`. Meanwhile ${chosen.provider}/test-model answers (with noise).`);
    return;
  }
  await downloadModelCommand(entry.name, { cwd: io.cwd, env: io.env, out: io.out }).catch((error: unknown) => {
    say(`The download did not finish: ${error instanceof Error ? error.message : String(error)}`);
    say(`Starting without it; run \`${command}\` to try again (it resumes).`);
  });
}
