import { z } from 'zod';
import { type AgentTool } from '../tool.js';
import { calculatorNames, evaluateExpression, formatNumber } from './calculator.parser.js';
import { parseToolArgs } from './tool-args.js';

const argsSchema = z.object({ expression: z.string().min(1, 'write an expression such as "2 * (3 + 4)"') });

/** `calculator`: exact arithmetic for the model, which is bad at it. Evaluated by a parser, never eval. */
export function createCalculatorTool(): AgentTool {
  return {
    name: 'calculator',
    definition: {
      type: 'function',
      function: {
        name: 'calculator',
        description:
          'Evaluate an arithmetic expression exactly. Operators: + - * / % ^ (power) and parentheses; ' +
          `functions: ${calculatorNames.functions.join(', ')} (log and ln are natural logs; round(x, n) rounds to n decimals; ` +
          `min and max take any number of arguments); constants: ${calculatorNames.constants.join(', ')}. Angles are in radians.`,
        parameters: {
          type: 'object',
          properties: { expression: { type: 'string', description: 'The expression, e.g. "sqrt(2) * (3 + 4) ^ 2"' } },
          required: ['expression'],
          additionalProperties: false,
        },
      },
    },
    async execute(args) {
      const { expression } = parseToolArgs('calculator', argsSchema, args);
      return formatNumber(evaluateExpression(expression));
    },
  };
}
