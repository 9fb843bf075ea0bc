import { type ParsedConfigFile } from './config-file.js';
import { formatPath } from './problem-text.js';
import { type ConfigPath } from './schema-walk.js';

/**
 * What one loadConfig call has learned so far: the problems found (all of them, so one run shows every
 * mistake), and where each value came from (a line of the file, `${VAR}`, an env variable) so a problem
 * points a person at the place to fix it.
 */
export class LoadContext {
  readonly problems: string[] = [];
  private readonly origins = new Map<string, { text: string; fromEnv: boolean }>();

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly cwd: string,
    readonly file: ParsedConfigFile | undefined,
  ) {}

  /** Records that the value at `path` came from the environment rather than the file's text. */
  setOrigin(path: ConfigPath, text: string, fromEnv: boolean): void {
    this.origins.set(formatPath(path), { text, fromEnv });
  }

  /** A problem about one key: `providers[1].type: expected ... (line 12)`. */
  report(path: ConfigPath, text: string): void {
    this.problems.push(`${formatPath(path)}: ${text}${this.where(path)}`);
  }

  /** ` (from env GATEWAY_PORT)`, ` (line 12, from ${X})`, ` (line 12)`, or "" for a default. */
  where(path: ConfigPath): string {
    let origin: { text: string; fromEnv: boolean } | undefined;
    for (let n = path.length; n > 0 && !origin; n--) origin = this.origins.get(formatPath(path.slice(0, n)));
    if (origin?.fromEnv) return ` (${origin.text})`;
    const line = this.lineOf(path);
    const parts = [line === undefined ? undefined : `line ${line}`, origin?.text].filter((p) => p !== undefined);
    return parts.length > 0 ? ` (${parts.join(', ')})` : '';
  }

  /** The file line of the value at `path`, or of its nearest enclosing entry when the key is missing. */
  lineOf(path: ConfigPath): number | undefined {
    if (!this.file) return undefined;
    for (let n = path.length; n > 0; n--) {
      const node: unknown = this.file.doc.getIn(path.slice(0, n), true);
      if (node !== null && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
        return this.file.lines.linePos(Number(node.range[0])).line;
      }
    }
    return undefined;
  }
}
