import { describe, expect, it } from '@jest/globals';
import { parsePlaceholder, templatePlaceholders } from '@switchboard/contracts';
import { joinSources, numberedAnswers, renderTemplate, requestText, stageSources, type TemplateScope } from './stage-text.js';

const scope: TemplateScope = {
  input: 'the input',
  request: 'the question',
  stages: new Map([['draft', 'a draft']]),
  answers: [
    { model: 'a/x', text: ' first \n' },
    { model: 'b/y', text: 'second' },
  ],
};

describe('templates', () => {
  it('finds placeholders with or without spaces inside the braces, and nothing else', () => {
    expect(templatePlaceholders('{{input}} {{ stages.draft }} { {x} } {{not a placeholder}} {{answer.2}}')).toEqual([
      'input',
      'stages.draft',
      'answer.2',
    ]);
  });

  it('fills every placeholder a stage and its aggregate can use', () => {
    expect(renderTemplate('{{input}} | {{request}} | {{ stages.draft }} | {{models}} | {{answer.1}} | {{answer.2}}', scope)).toBe(
      'the input | the question | a draft | a/x, b/y | first | second',
    );
    expect(renderTemplate('{{answers}}', scope)).toBe('Answer 1:\nfirst\n\nAnswer 2:\nsecond');
  });

  it('never expands a placeholder that arrives inside a filled-in value', () => {
    const tricky: TemplateScope = { ...scope, input: 'say {{request}}' };
    expect(renderTemplate('[{{input}}]', tricky)).toBe('[say {{request}}]');
  });

  it('refuses placeholders that mean nothing at this point, naming them', () => {
    expect(() => renderTemplate('{{stages.later}} {{answers}} {{bogus}}', { ...scope, answers: undefined })).toThrow(
      'cannot fill {{stages.later}}, {{answers}}, {{bogus}}: no such value at this point of the pipeline',
    );
    expect(() => renderTemplate('{{answer.3}}', scope)).toThrow('{{answer.3}}');
    expect(['answer.0', 'answer.x', 'stages.', 'stage.draft', 'Input'].map(parsePlaceholder)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(parsePlaceholder('answer.12')).toEqual({ kind: 'answer', n: 12 });
  });
});

describe('stage input', () => {
  it('reads the request from the first stage on, and the previous stage after that', () => {
    expect(stageSources(undefined, undefined)).toEqual(['request']);
    expect(stageSources(undefined, 'draft')).toEqual(['draft']);
    expect(stageSources(['request', 'draft'], 'review')).toEqual(['request', 'draft']);
  });

  it('keeps one source as it is and heads several with their names', () => {
    expect(joinSources([{ name: 'draft', text: 'a' }])).toBe('a');
    expect(joinSources([{ name: 'request', text: 'q' }, { name: 'draft', text: 'a' }])).toBe('## request\n\nq\n\n## draft\n\na');
  });

  it('takes the last user message as the request, text parts joined', () => {
    expect(
      requestText([
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: [{ type: 'text', text: 'second ' }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'turn' }] },
      ]),
    ).toBe('second turn');
    expect(requestText([{ role: 'system', content: 'only' }])).toBe('');
  });

  it('numbers answers from 1, trimmed', () => {
    expect(numberedAnswers([{ text: ' a ' }, { text: 'b\n' }])).toBe('Answer 1:\na\n\nAnswer 2:\nb');
  });
});
