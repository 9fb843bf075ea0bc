import { describe, expect, it } from '@jest/globals';
import { ToolError } from '../tool.js';
import { evaluateExpression, formatNumber } from './calculator.parser.js';
import { createCalculatorTool } from './calculator.tool.js';

const calc = (expression: string): string => formatNumber(evaluateExpression(expression));

function failure(expression: string): string {
  try {
    evaluateExpression(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(ToolError);
    return (error as ToolError).message;
  }
  throw new Error(`"${expression}" evaluated without an error`);
}

describe('calculator parser', () => {
  it.each([
    ['1 + 2 * 3', '7'],
    ['(1 + 2) * 3', '9'],
    ['10 - 4 - 3', '3'], // left-associative
    ['100 / 10 / 5', '2'],
    ['7 % 4', '3'],
    ['2 ^ 3 ^ 2', '512'], // right-associative: 2^(3^2)
    ['2 ** 10', '1024'],
    ['-2 ^ 2', '-4'], // power binds tighter than unary minus
    ['(-2) ^ 2', '4'],
    ['2 ^ -1', '0.5'],
    ['--3', '3'],
    ['-(3 + 4) * +2', '-14'],
    ['1.5e3 + .5', '1500.5'],
    ['2E-3 * 1000', '2'],
    ['0.1 + 0.2', '0.3'],
    ['3 * 4 % 5', '2'], // same precedence, left to right
  ])('%s = %s', (expression, expected) => {
    expect(calc(expression)).toBe(expected);
  });

  it.each([
    ['sqrt(16) + abs(-3)', '7'],
    ['round(2.5) + round(-2.5)', '0'],
    ['round(3.14159, 2)', '3.14'],
    ['floor(-1.5) + ceil(1.2)', '0'],
    ['ln(e) + log(e ^ 2)', '3'],
    ['log10(1000) + log2(8)', '6'],
    ['exp(0)', '1'],
    ['sin(pi / 2) + cos(0) + tan(0)', '2'],
    ['min(3, 1, 2) + max(4, 9, -1, 7)', '10'],
    ['max(5)', '5'],
    ['PI * 2 / Pi', '2'], // names are case-insensitive
    ['sqrt(max(9, 16)) ^ 2', '16'],
  ])('%s = %s', (expression, expected) => {
    expect(calc(expression)).toBe(expected);
  });

  it('reports syntax errors with their position and a caret', () => {
    const message = failure('2 + * 3');
    expect(message).toContain('syntax error at position 5');
    expect(message).toContain('\n  2 + * 3\n      ^');
    expect(failure('(1 + 2')).toMatch(/expected "\)" to close the "\(" at position 1, found the end/);
    expect(failure('1 + 2)')).toMatch(/position 6.*without its "\("/);
    expect(failure('2 3')).toMatch(/position 3: unexpected "3"/);
    expect(failure('2 $ 3')).toMatch(/position 3: unexpected character "\$"/);
    expect(failure('1 +')).toMatch(/ends where a number/);
    expect(failure('2e')).toMatch(/incomplete exponent/);
    expect(failure('max(1 2)')).toMatch(/expected "," or "\)"/);
    expect(failure('   ')).toBe('the expression is empty');
  });

  it('refuses division and remainder by zero', () => {
    expect(failure('1 / 0')).toMatch(/^division by zero at position 3/);
    expect(failure('5 % (2 - 2)')).toMatch(/^division by zero/);
  });

  it('names unknown identifiers and misused names', () => {
    expect(failure('2 * x')).toMatch(/unknown name "x" at position 5; known constants: pi, e; functions: sqrt,/);
    expect(failure('foo(1)')).toMatch(/unknown name "foo"/);
    expect(failure('sqrt + 1')).toMatch(/sqrt is a function: write sqrt\(\.\.\.\)/);
    expect(failure('pi(2)')).toMatch(/pi is a constant, not a function/);
    expect(failure('sqrt(1, 2)')).toMatch(/sqrt\(\) takes 1 argument, got 2/);
    expect(failure('min()')).toMatch(/min\(\) takes at least 1 argument/);
    expect(failure('round(1.234, 1.5)')).toMatch(/whole number of decimals/);
  });

  it('refuses results that are not finite numbers', () => {
    expect(failure('sqrt(-1)')).toMatch(/sqrt\(-1\) has no finite result \(NaN\)/);
    expect(failure('ln(0)')).toMatch(/ln\(0\) has no finite result/);
    expect(failure('10 ^ 400')).toMatch(/"\^" at position 4 gives no finite result \(Infinity\)/);
    expect(failure('1e999')).toMatch(/too large/);
    expect(failure('exp(1000)')).toMatch(/no finite result/);
  });

  it('refuses expressions nested deep enough to threaten the stack', () => {
    expect(failure(`${'('.repeat(500)}1${')'.repeat(500)}`)).toMatch(/nests deeper than 100 levels/);
    expect(failure('-'.repeat(500) + '1')).toMatch(/nests deeper/);
    expect(calc(`${'('.repeat(50)}1${')'.repeat(50)}`)).toBe('1');
  });
});

describe('calculator tool', () => {
  const ctx = { signal: new AbortController().signal, runId: 'r', depth: 0 };
  const tool = createCalculatorTool();

  it('answers with the value and describes itself to the model', async () => {
    await expect(tool.execute({ expression: '6 * 7' }, ctx)).resolves.toBe('42');
    expect(tool.definition.function.name).toBe('calculator');
    expect(tool.definition.function.parameters).toMatchObject({ required: ['expression'] });
  });

  it('refuses missing or mistyped arguments with a ToolError naming the argument', async () => {
    await expect(tool.execute({}, ctx)).rejects.toThrow(/invalid arguments for calculator: expression:/);
    await expect(tool.execute({ expression: 42 }, ctx)).rejects.toBeInstanceOf(ToolError);
  });
});
