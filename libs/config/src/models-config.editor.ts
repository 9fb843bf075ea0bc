import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument, stringify, visit, type Node, type YAMLMap, type YAMLSeq } from 'yaml';

/** The model to make the default, as it should stand in the config. */
export interface ModelChoice {
  /** Name for a new entry (an existing entry that already points at the file keeps its own name). */
  name: string;
  /** `file` as written in the config, relative to the project root: `models/<file>.gguf`. */
  file: string;
  /** Project root, which relative model paths resolve against. */
  root: string;
}

export interface ConfigEdit {
  text: string;
  /** The llama-cpp provider that got the model. */
  provider: string;
  /** The entry's name: the model id is `<provider>/<entryName>`. */
  entryName: string;
  change: 'unchanged' | 'moved' | 'added';
}

type Json = Record<string, unknown>;

const defaultParams = { n_ctx: 4096, threads: 1, gpu_layers: 0, parallel: 1 };
const parseOptions = { merge: true, keepSourceTokens: true } as const;

/**
 * Makes `choice` the first model of the first llama-cpp provider, which is what `auto` and the worker's
 * default pick. The usual config (a block list of models) is edited as text: whole entries are moved, so
 * every other byte of the file (comments, alignment, quoting) stays as the person wrote it. Anything else
 * (flow lists, no llama-cpp provider yet, anchors an entry would lose by moving) goes through the yaml
 * Document API, which keeps comments but re-renders spacing. Either result is re-parsed and compared with
 * the intended change before it is returned.
 */
export function selectModelInConfig(text: string, choice: ModelChoice): ConfigEdit {
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  const doc = parseDocument(text, parseOptions);
  if (doc.errors.length > 0) throw new Error(`the config is not valid YAML: ${doc.errors[0]!.message}`);
  const asText = editAsText(text, doc, choice);
  if (asText && verified(text, asText, choice)) return asText;
  const viaDocument = editDocument(parseDocument(text, parseOptions), choice);
  if (!verified(text, viaDocument, choice)) throw new Error('could not update the config without changing other settings; edit it by hand');
  return viaDocument;
}

interface Located {
  providerIndex: number;
  provider: YAMLMap;
  models: YAMLSeq | undefined;
  /** Index of the entry that already is this model (same file, or same name), -1 if none. */
  match: number;
}

function locate(doc: Document, choice: ModelChoice): Located | undefined {
  const providers = doc.get('providers', true);
  if (!isSeq(providers)) return undefined;
  const providerIndex = providers.items.findIndex((p) => isMap(p) && p.get('type') === 'llama-cpp');
  const provider = providers.items[providerIndex];
  if (!isMap(provider)) return undefined;
  const models = provider.get('models', true);
  if (!isSeq(models)) return { providerIndex, provider, models: undefined, match: -1 };
  const target = path.resolve(choice.root, choice.file);
  const byFile = models.items.findIndex((m) => isMap(m) && typeof m.get('file') === 'string' && path.resolve(choice.root, m.get('file') as string) === target);
  const match = byFile >= 0 ? byFile : models.items.findIndex((m) => isMap(m) && m.get('name') === choice.name);
  return { providerIndex, provider, models, match };
}

/** The fast path: reorder whole lines of a block sequence; undefined when the file is not of that shape. */
function editAsText(text: string, doc: Document, choice: ModelChoice): ConfigEdit | undefined {
  const found = locate(doc, choice);
  if (!found?.models || found.models.flow || found.models.items.length === 0) return undefined;
  const { models, match } = found;
  const tokens = (models.srcToken as { type?: string; items?: { start: { type: string; offset: number }[] }[] } | undefined);
  if (tokens?.type !== 'block-seq' || tokens.items?.length !== models.items.length) return undefined;
  const dashes = tokens.items.map((item) => item.start.find((t) => t.type === 'seq-item-ind')?.offset);
  if (dashes.some((d) => d === undefined)) return undefined;
  const providerName = String(found.provider.get('name'));

  // Entry i spans from its dash line (and the comment lines right above it, at the dash's indent) to entry i+1.
  const starts = (dashes as number[]).map((dash, i) => {
    const column = dash - lineStart(text, dash);
    const floor = i === 0 ? 0 : ((models.items[i - 1] as Node).range?.[1] ?? 0);
    let start = lineStart(text, dash);
    for (;;) {
      if (start === 0) break;
      const above = lineStart(text, start - 1);
      const line = text.slice(above, start - 1);
      if (above < floor || !/^\s*#/.test(line) || line.length - line.trimStart().length !== column) break;
      start = above;
    }
    return start;
  });
  const last = (models.items.at(-1) as Node).range?.[1] ?? models.range?.[1];
  if (last === undefined) return undefined;
  const end = text[last - 1] === '\n' ? last : lineEnd(text, last);
  const chunks = starts.map((s, i) => text.slice(s, starts[i + 1] ?? end));

  const before = text.slice(0, starts[0]);
  const after = text.slice(end);
  if (match >= 0) {
    const entry = models.items[match] as YAMLMap;
    const entryName = String(entry.get('name'));
    let chunk = chunks[match]!;
    const fileNode = entry.get('file', true);
    if (path.resolve(choice.root, String(entry.get('file'))) !== path.resolve(choice.root, choice.file)) {
      if (!isScalar(fileNode) || !fileNode.range) return undefined;
      const [s, e] = [fileNode.range[0] - starts[match]!, fileNode.range[1] - starts[match]!];
      chunk = chunk.slice(0, s) + stringify(choice.file).trimEnd() + chunk.slice(e);
    } else if (match === 0) {
      return { text, provider: providerName, entryName, change: 'unchanged' };
    }
    const rest = chunks.filter((_, i) => i !== match);
    return { text: before + chunk + rest.join('') + after, provider: providerName, entryName, change: 'moved' };
  }
  const column = dashes[0]! - lineStart(text, dashes[0]!);
  const entry = new Document(newEntry(doc, found, choice)).toString().trimEnd().split('\n');
  const indent = ' '.repeat(column);
  const added = entry.map((line, i) => (i === 0 ? `${indent}- ${line}` : line === '' ? '' : `${indent}  ${line}`)).join('\n') + '\n';
  return { text: before + added + chunks.join('') + after, provider: providerName, entryName: choice.name, change: 'added' };
}

/** The general path, through the yaml Document API (comments kept, spacing re-rendered). */
function editDocument(doc: Document, choice: ModelChoice): ConfigEdit {
  if (!isSeq(doc.get('providers', true))) doc.set('providers', doc.createNode([]));
  const providers = doc.get('providers', true) as YAMLSeq;
  let found = locate(doc, choice);
  if (!found) {
    const taken = new Set(providers.items.map((p) => (isMap(p) ? p.get('name') : undefined)));
    const name = taken.has('local') ? 'llama' : 'local';
    providers.items.unshift(doc.createNode({ name, type: 'llama-cpp', models: [] }));
    found = locate(doc, choice)!;
  }
  if (!found.models) {
    found.provider.set('models', doc.createNode([]));
    found = locate(doc, choice)!;
  }
  const models = found.models!;
  const provider = String(found.provider.get('name'));
  const { match } = found;
  if (match < 0) {
    models.items.unshift(doc.createNode(newEntry(doc, found, choice)));
    return { text: String(doc), provider, entryName: choice.name, change: 'added' };
  }
  const entry = models.items[match] as YAMLMap;
  const fileChanged = path.resolve(choice.root, String(entry.get('file'))) !== path.resolve(choice.root, choice.file);
  if (match === 0 && !fileChanged) return { text: String(doc), provider, entryName: String(entry.get('name')), change: 'unchanged' };
  if (fileChanged) entry.set('file', choice.file);
  inlineAliasesInto(doc, entry, models.items.slice(0, match) as Node[]);
  models.items.splice(match, 1);
  models.items.unshift(entry);
  return { text: String(doc), provider, entryName: String(entry.get('name')), change: 'moved' };
}

/** An entry that moves up would stand before anchors it refers to: give it copies of those values instead. */
function inlineAliasesInto(doc: Document, entry: Node, earlier: Node[]): void {
  const anchoredEarlier = new Set<unknown>();
  for (const node of earlier) {
    visit(node, (_key, n) => {
      if ((isMap(n) || isSeq(n) || isScalar(n)) && n.anchor) anchoredEarlier.add(n);
    });
  }
  visit(entry, {
    Alias: (_key, alias) => {
      const target = alias.resolve(doc);
      return target && anchoredEarlier.has(target) ? doc.createNode(target.toJS(doc)) : undefined;
    },
  });
}

/** A new entry takes the params of the current default, so threads, n_ctx and gpu_layers carry over. */
function newEntry(doc: Document, found: Located, choice: ModelChoice): Json {
  const first = found.models?.items[0];
  const params = isMap(first) ? ((first.toJS(doc) as Json)['params'] as Json | undefined) : undefined;
  return { name: choice.name, file: choice.file, params: params ?? defaultParams };
}

/** The edit did exactly this: the chosen model first, the same other entries in order, nothing else changed. */
function verified(original: string, edit: ConfigEdit, choice: ModelChoice): boolean {
  const parsed = parseDocument(edit.text, { merge: true });
  if (parsed.errors.length > 0) return false;
  let after: Json | null;
  try {
    // An alias now standing before its anchor only shows here.
    after = parsed.toJS() as Json | null;
  } catch {
    return false;
  }
  const before = parseDocument(original, { merge: true }).toJS() as Json | null;
  const providers = after?.['providers'];
  if (!Array.isArray(providers)) return false;
  const index = providers.findIndex((p: Json) => p?.['type'] === 'llama-cpp');
  const models = (providers[index] as Json | undefined)?.['models'];
  if (!Array.isArray(models) || models.length === 0) return false;
  const head = models[0] as Json;
  if (head['name'] !== edit.entryName || path.resolve(choice.root, String(head['file'])) !== path.resolve(choice.root, choice.file)) return false;
  // Put the old list back (minus the chosen entry's new position) and the rest must equal the original.
  const oldProviders = before?.['providers'];
  if (!Array.isArray(oldProviders) || (oldProviders[index] as Json | undefined)?.['type'] !== 'llama-cpp') {
    // A provider was added: everything but that provider is as it was.
    const others = providers.filter((_: unknown, i: number) => i !== index);
    return isDeepStrictEqual({ ...after, providers: others }, { ...(before ?? {}), providers: Array.isArray(oldProviders) ? oldProviders : [] });
  }
  const oldModels = ((oldProviders[index] as Json)['models'] as Json[] | undefined) ?? [];
  const rest = models.slice(1) as Json[];
  const expectedRest = oldModels.filter((m) => m['name'] !== edit.entryName);
  if (!isDeepStrictEqual(rest, expectedRest)) return false;
  const withoutModels = (tree: Json | null): unknown => {
    const copy = structuredClone(tree ?? {}) as Json;
    ((copy['providers'] as Json[])[index] as Json)['models'] = null;
    return copy;
  };
  return isDeepStrictEqual(withoutModels(after), withoutModels(before));
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}
