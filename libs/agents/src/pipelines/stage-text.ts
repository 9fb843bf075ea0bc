import { type ChatMessage, fillTemplate, parsePlaceholder, PIPELINE_REQUEST_SOURCE } from '@switchboard/contracts';

/** What `{{placeholders}}` can read while one stage runs. */
export interface TemplateScope {
  /** The stage's input (its sources joined). */
  input: string;
  /** The request's last user message. */
  request: string;
  /** Outputs of the stages that finished so far, by name: only earlier stages can be read. */
  stages: ReadonlyMap<string, string>;
  /** The answers of a multi stage, in `models` order; only while aggregating. */
  answers?: readonly { model: string; text: string }[];
}

/** Between an input and the answer appended to it, and between the default concatenated answers. */
export const BLANK_LINE = '\n\n';

/** The text of a message's content: a string as it is, the text parts of a multi-part content joined. */
export function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => (part.type === 'text' && typeof part['text'] === 'string' ? part['text'] : '')).join('');
}

/** What `request` means as text: the last user message (earlier turns reach only a stage that reads the request whole). */
export function requestText(messages: readonly ChatMessage[]): string {
  const last = messages.findLast((m) => m.role === 'user');
  return last ? contentText(last.content) : '';
}

/** The names a stage reads: `input_from`, else the request for the first stage and the previous stage after it. */
export function stageSources(inputFrom: readonly string[] | undefined, previous: string | undefined): readonly string[] {
  return inputFrom ?? [previous ?? PIPELINE_REQUEST_SOURCE];
}

/** One source as it is; several under `## <name>` headings, so the model can tell whose text is whose. */
export function joinSources(sources: readonly { name: string; text: string }[]): string {
  const [only] = sources;
  if (sources.length === 1 && only) return only.text;
  return sources.map((s) => `## ${s.name}\n\n${s.text}`).join(BLANK_LINE);
}

/** `Answer 1:` ... `Answer n:`, each followed by the answer, a blank line between them. */
export function numberedAnswers(answers: readonly { text: string }[]): string {
  return answers.map((a, i) => `Answer ${i + 1}:\n${a.text.trim()}`).join(BLANK_LINE);
}

function resolvePlaceholder(name: string, scope: TemplateScope): string | undefined {
  const placeholder = parsePlaceholder(name);
  if (!placeholder) return undefined;
  switch (placeholder.kind) {
    case 'input':
      return scope.input;
    case 'request':
      return scope.request;
    case 'stage':
      return scope.stages.get(placeholder.stage);
    case 'answers':
      return scope.answers && numberedAnswers(scope.answers);
    case 'answer':
      return scope.answers?.[placeholder.n - 1]?.text.trim();
    case 'models':
      return scope.answers?.map((a) => a.model).join(', ');
  }
}

/**
 * Fills a prompt or template. A placeholder that means nothing here is an error rather than text sent to a
 * model: config loading rejects those, so one reaching this point is a bug worth stopping for.
 */
export function renderTemplate(template: string, scope: TemplateScope): string {
  const { text, unknown } = fillTemplate(template, (name) => resolvePlaceholder(name, scope));
  if (unknown.length > 0) {
    throw new Error(`cannot fill ${unknown.map((n) => `{{${n}}}`).join(', ')}: no such value at this point of the pipeline`);
  }
  return text;
}

/** The synthesis model's user message when the config gives no `prompt`. */
export const DEFAULT_SYNTHESIS_PROMPT =
  'Several answers were given to the task below. Write the one best answer: keep what is right in them, drop ' +
  'what is wrong or repeated. Reply with that answer only, without mentioning the other answers.\n\n' +
  'Task:\n{{input}}\n\n{{answers}}';
