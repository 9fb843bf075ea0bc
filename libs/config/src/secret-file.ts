import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The value of NAME, else the trimmed content of the file NAME_FILE names (Docker and Kubernetes secrets),
 * else undefined. An empty NAME counts as unset, as `${NAME:-...}` does. Throws an Error that names the
 * variable and the file, never the content.
 */
export function readVariable(name: string, env: NodeJS.ProcessEnv, cwd: string): { value: string; from: string } | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return { value: direct, from: name };
  const fileVar = `${name}_FILE`;
  const file = env[fileVar];
  if (file === undefined || file === '') return undefined;
  const resolved = path.resolve(cwd, file);
  try {
    return { value: readFileSync(resolved, 'utf8').trim(), from: fileVar };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`${fileVar} names ${resolved}, which cannot be read (${code})`);
  }
}
