/** One prompt of a benchmark prompt set, with the answer a correct reply contains. */
export interface BenchmarkPrompt {
  id: string;
  prompt: string;
  /** Checked as a contains match (lowercased, punctuation dropped) when no reference model is given. */
  expected: string;
}

/**
 * The `standard` set: short questions with one clear answer each (facts, arithmetic, a format instruction, a
 * little reasoning), so small local models and large remote ones can be told apart without a judge model.
 */
export const standardPrompts: readonly BenchmarkPrompt[] = [
  { id: 'capital', prompt: 'What is the capital of France? Answer with one word.', expected: 'Paris' },
  { id: 'arithmetic', prompt: 'What is 17 multiplied by 3? Answer with the number only.', expected: '51' },
  { id: 'planet', prompt: 'Which planet is known as the Red Planet? Answer with one word.', expected: 'Mars' },
  { id: 'opposite', prompt: 'What is the opposite of "cold"? Answer with one word.', expected: 'hot' },
  { id: 'sequence', prompt: 'What number comes next: 2, 4, 8, 16, ...? Answer with the number only.', expected: '32' },
  { id: 'week', prompt: 'Which day comes after Monday? Answer with one word.', expected: 'Tuesday' },
  { id: 'water', prompt: 'What is the chemical formula of water? Answer with the formula only.', expected: 'H2O' },
  { id: 'json', prompt: 'Reply with exactly this JSON and nothing else: {"ok": true}', expected: '"ok": true' },
];

export const benchmarkPromptSets: Record<string, readonly BenchmarkPrompt[]> = { standard: standardPrompts };
