import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './config-error.js';

export const DEFAULT_CONFIG_FILE = path.join('config', 'switchboard.yaml');

export interface ConfigFileChoice {
  path: string;
  /** Named by the caller or SWITCHBOARD_CONFIG: a missing file is then an error, not "use the defaults". */
  explicit: boolean;
  /** Where the path came from, for error messages. */
  via: 'option' | 'SWITCHBOARD_CONFIG' | 'search';
}

export interface ParsedConfigFile {
  path: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** The nearest config/switchboard.yaml at or above `cwd`, so every app folder of the monorepo finds it. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, DEFAULT_CONFIG_FILE);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The folder relative paths in the config (data_dir, model files) are resolved from: the project root that
 * holds config/switchboard.yaml, else the working directory. The same for every app, whatever folder it
 * starts in, so the api and the worker never end up with two different data folders.
 */
export function findProjectRoot(cwd: string): string {
  const found = findConfigFile(cwd);
  return found ? path.dirname(path.dirname(found)) : path.resolve(cwd);
}

/** options.path, else SWITCHBOARD_CONFIG, else the upward search; undefined means "defaults only". */
export function chooseConfigFile(options: { path?: string; env: NodeJS.ProcessEnv; cwd: string }): ConfigFileChoice | undefined {
  if (options.path) return { path: path.resolve(options.cwd, options.path), explicit: true, via: 'option' };
  const fromEnv = options.env['SWITCHBOARD_CONFIG'];
  if (fromEnv) return { path: path.resolve(options.cwd, fromEnv), explicit: true, via: 'SWITCHBOARD_CONFIG' };
  const found = findConfigFile(options.cwd);
  return found ? { path: found, explicit: false, via: 'search' } : undefined;
}

export function readConfigFile(choice: ConfigFileChoice): ParsedConfigFile {
  let text: string;
  try {
    text = readFileSync(choice.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'the file does not exist' : `the file cannot be read (${code ?? String(error)})`;
    const named = choice.via === 'SWITCHBOARD_CONFIG' ? ' (path from SWITCHBOARD_CONFIG)' : '';
    throw new ConfigError(choice.path, [`${reason}${named}`], `Cannot load config ${choice.path}`);
  }
  return parseConfigText(text, choice.path);
}

/**
 * Parses YAML keeping node positions for later messages. Errors are reported by line and column from our own
 * position data, not with the parser's source excerpt, which could print a secret standing on that line.
 */
export function parseConfigText(text: string, file: string): ParsedConfigFile {
  const lines = new LineCounter();
  // merge: `<<: *defaults` lets a file share model params between entries.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const [first, ...rest] = doc.errors;
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    // The errors after the first one are usually the parser losing its footing because of it.
    const problems = [`line ${line}, column ${col}: ${first.message} (${first.code})${rest.length > 0 ? ` (and ${rest.length} more after it)` : ''}`];
    const lineText = text.split(/\r?\n/)[line - 1] ?? '';
    if (lineText.includes('${') && /[[{]/.test(lineText)) {
      problems.push('hint: inside { } or [ ], put ${...} in quotes ("${VAR}"); the value is still typed by its key');
    }
    throw new ConfigError(file, problems, `Invalid YAML in ${file}`);
  }
  return { path: file, doc, lines };
}
