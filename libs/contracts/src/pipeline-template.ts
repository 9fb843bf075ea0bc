/**
 * The `{{placeholder}}` syntax of pipeline prompts and templates, shared by the config check (which names a
 * bad placeholder at load time) and the pipeline runner (which fills them). Only `{{` + a word of letters,
 * digits, `_`, `-`, `.` + `}}` is a placeholder (spaces inside the braces allowed); any other brace is text.
 */

/** What a placeholder stands for. */
export type PipelinePlaceholder =
  /** The stage's input (its `input_from` sources, joined). */
  | { kind: 'input' }
  /** The text of the request's last user message. */
  | { kind: 'request' }
  /** An earlier stage's output: `{{stages.draft}}`. */
  | { kind: 'stage'; stage: string }
  /** Multi stages only: every answer, numbered (`Answer 1:` ...), in `models` order. */
  | { kind: 'answers' }
  /** Multi stages only: one answer, 1-based: `{{answer.2}}`. */
  | { kind: 'answer'; n: number }
  /** Multi stages only: the stage's model ids, comma-separated. */
  | { kind: 'models' };

/** Placeholders every prompt may use. */
export const STAGE_PLACEHOLDER_HELP = '{{input}}, {{request}}, {{stages.<earlier stage>}}';
/** Placeholders a multi stage's synthesis prompt and template may use as well. */
export const ANSWER_PLACEHOLDER_HELP = '{{answers}}, {{answer.<n>}}, {{models}}';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** `undefined` for a name that means nothing (`{{stage.x}}`, `{{answer.0}}`, `{{foo}}`). */
export function parsePlaceholder(name: string): PipelinePlaceholder | undefined {
  if (name === 'input') return { kind: 'input' };
  if (name === 'request') return { kind: 'request' };
  if (name === 'answers') return { kind: 'answers' };
  if (name === 'models') return { kind: 'models' };
  if (name.startsWith('stages.') && name.length > 'stages.'.length) return { kind: 'stage', stage: name.slice('stages.'.length) };
  const answer = /^answer\.([1-9][0-9]*)$/.exec(name);
  if (answer?.[1] !== undefined) return { kind: 'answer', n: Number(answer[1]) };
  return undefined;
}

/** The placeholders of a template in order of appearance: the name inside the braces, as written. */
export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/**
 * Replaces every placeholder with `resolve(name)` in one pass, so text that comes in through a placeholder
 * (a model's answer that happens to contain `{{input}}`) is never expanded again. Names `resolve` returns
 * undefined for stay as written and are listed in `unknown`, for the caller to report.
 */
export function fillTemplate(template: string, resolve: (name: string) => string | undefined): { text: string; unknown: string[] } {
  const unknown: string[] = [];
  const text = template.replace(PLACEHOLDER, (written, name: string) => {
    const value = resolve(name);
    if (value === undefined) unknown.push(name);
    return value ?? written;
  });
  return { text, unknown };
}
