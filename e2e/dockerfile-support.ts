import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Just enough of Docker to check docker/Dockerfile where no Docker engine runs: its instructions, the
 * .dockerignore rules, and an interpreter that carries out COPY and RUN lines in folders standing for the
 * stages' /app. It knows the subset the Dockerfile keeps to (see the note at its top) and fails loudly on
 * anything else, so a new kind of instruction cannot slip past the test unexamined.
 */

export interface Instruction {
  keyword: string;
  args: string;
  /** COPY only. */
  from?: string;
  sources?: string[];
  dest?: string;
}

export interface Stage {
  name: string;
  /** An image (`node:26-slim`) or an earlier stage's name. */
  base: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
      continue;
    }
    if (upper === 'FROM') {
      const match = /^(\S+)\s+AS\s+(\S+)$/i.exec(rest);
      if (!match) throw new Error(`FROM without AS <name>: ${line}`);
      const base = match[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? '');
      stages.push({ name: match[2]!, base, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`instruction before the first FROM: ${line}`);
    const instruction: Instruction = { keyword: upper, args: rest };
    if (upper === 'COPY') {
      const words = rest.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      for (const flag of flags) {
        const from = /^--from=(\S+)$/.exec(flag);
        if (from) instruction.from = from[1];
        else throw new Error(`COPY flag the test does not model: ${flag}`);
      }
      instruction.dest = paths.pop();
      instruction.sources = paths;
    }
    stage.instructions.push(instruction);
  }
  return stages;
}

/** .dockerignore as Docker reads it: paths relative to the context, `**`, `*`, `?`, `!` exceptions, last match wins. */
export function dockerignore(text: string): (relativePath: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = path.posix.normalize((negated ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, regex: globRegex(pattern) };
    });
  return (relativePath) => {
    const parts = relativePath.split('/');
    // A pattern that matches a folder excludes everything in it.
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negated;
    return ignored;
  };
}

function globRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` may match no folder at all; a trailing `**` anything below.
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export interface StageRunOptions {
  /** The build context (the repository). */
  context: string;
  ignored: (relativePath: string) => boolean;
  /** Where the stages' folders go. */
  workDir: string;
  /** Stages not carried out but taken from a folder that holds their result (the build stage: the built repository). */
  prebuilt: Record<string, string>;
  /** Extra environment for RUN lines (npm's cache settings, say); never changes a command. */
  env: Record<string, string>;
}

/** Runs `target` and the stages it needs; returns the folder that stands for its /app, and its ENV. */
export function runStage(stages: Stage[], target: string, options: StageRunOptions, done = new Map<string, string>()): { dir: string; env: Record<string, string> } {
  const dir = buildStage(stages, target, options, done);
  return { dir, env: stageEnv(stages, target) };
}

function buildStage(stages: Stage[], name: string, options: StageRunOptions, done: Map<string, string>): string {
  const prebuilt = options.prebuilt[name];
  if (prebuilt) return prebuilt;
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  const cached = done.get(name);
  if (cached) return cached;
  const dir = path.join(options.workDir, name);
  mkdirSync(dir, { recursive: true });
  if (stages.some((s) => s.name === stage.base)) cloneInto(buildStage(stages, stage.base, options, done), dir);
  const env = stageEnv(stages, stage.base);
  for (const instruction of stage.instructions) {
    switch (instruction.keyword) {
      case 'WORKDIR':
        if (instruction.args !== '/app') throw new Error(`the test models WORKDIR /app only, not ${instruction.args}`);
        break;
      case 'ENV':
        Object.assign(env, parseEnv(instruction.args));
        break;
      case 'COPY':
        copy(instruction, dir, stages, options, done);
        break;
      case 'RUN':
        run(instruction.args, dir, { ...env, ...options.env });
        break;
      case 'EXPOSE':
      case 'USER':
      case 'HEALTHCHECK':
      case 'ENTRYPOINT':
      case 'CMD':
        break; // what a container does at start; the test reads them itself
      default:
        throw new Error(`instruction the test does not model: ${instruction.keyword}`);
    }
  }
  done.set(name, dir);
  return dir;
}

/** The ENV a stage ends with, its parents' included (empty for a stage on an image). */
export function stageEnv(stages: Stage[], name: string): Record<string, string> {
  const stage = stages.find((s) => s.name === name);
  if (!stage) return {};
  const env = stageEnv(stages, stage.base);
  for (const i of stage.instructions) if (i.keyword === 'ENV') Object.assign(env, parseEnv(i.args));
  return env;
}

/**
 * A stage starts as a copy of its parent. node_modules is hard-linked (a gigabyte, only ever added to or
 * removed from, never edited in place); everything else is copied, since npm rewrites files such as the lockfile.
 */
function cloneInto(parent: string, dir: string): void {
  for (const entry of readdirSync(parent)) {
    execFileSync('cp', [entry === 'node_modules' ? '-al' : '-a', path.join(parent, entry), path.join(dir, entry)]);
  }
}

export function parseEnv(args: string): Record<string, string> {
  return Object.fromEntries([...args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

function copy(instruction: Instruction, dir: string, stages: Stage[], options: StageRunOptions, done: Map<string, string>): void {
  const dest = instruction.dest!;
  const sources = instruction.sources!;
  const intoFolder = dest.endsWith('/') || sources.length > 1;
  const target = path.join(dir, dest.replace(/^\/app\/?/, ''));
  for (const source of sources) {
    if (instruction.from) {
      const from = buildStage(stages, instruction.from, options, done);
      const inStage = path.join(from, source.replace(/^\/app\/?/, ''));
      if (!existsSync(inStage)) throw new Error(`COPY --from=${instruction.from} ${source}: not in that stage`);
      if (path.basename(inStage) === 'node_modules' && !existsSync(target)) {
        execFileSync('cp', ['-al', inStage, target]);
        continue;
      }
      copyTree(inStage, intoFolder && !lstatSync(inStage).isDirectory() ? path.join(target, path.basename(source)) : target, () => false, '');
    } else {
      const inContext = path.join(options.context, source);
      if (!existsSync(inContext) || options.ignored(source)) throw new Error(`COPY ${source}: not in the build context`);
      const to = intoFolder && !lstatSync(inContext).isDirectory() ? path.join(target, path.basename(source)) : target;
      copyTree(inContext, to, options.ignored, source);
    }
  }
}

/** Copies a file or folder, leaving out what `ignored` names (relative to the context) and keeping symlinks as links. */
function copyTree(from: string, to: string, ignored: (relativePath: string) => boolean, relative: string): void {
  const stat = lstatSync(from);
  if (!stat.isDirectory()) {
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(from, to, { verbatimSymlinks: true, force: true });
    return;
  }
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const rel = relative === '' ? entry : `${relative}/${entry}`;
    if (ignored(rel)) continue;
    copyTree(path.join(from, entry), path.join(to, entry), ignored, rel);
  }
}

/**
 * Runs a RUN line in the stage's folder. Giving a folder to the image's `node` user means nothing outside an
 * image (there is no such user here), so `install -d -o node -g node <dirs>` only makes the folders.
 */
function run(command: string, cwd: string, env: Record<string, string>): void {
  const owned = /^install -d -o node -g node (.+)$/.exec(command);
  if (owned) {
    for (const folder of owned[1]!.split(/\s+/)) mkdirSync(path.join(cwd, folder), { recursive: true });
    return;
  }
  const result = spawnSync('sh', ['-c', command], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`RUN ${command} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

/** The JSON array of an ENTRYPOINT or CMD line. */
export function execForm(stage: Stage, stages: Stage[], keyword: 'ENTRYPOINT' | 'CMD'): string[] {
  for (let s: Stage | undefined = stage; s; s = stages.find((p) => p.name === s!.base)) {
    const found = [...s.instructions].reverse().find((i) => i.keyword === keyword);
    if (found) return JSON.parse(found.args) as string[];
  }
  throw new Error(`no ${keyword} for ${stage.name}`);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
