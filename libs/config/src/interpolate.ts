import { type Document, isPair, isScalar, isSeq, type Node, type Pair, visit } from 'yaml';
import { type LoadContext } from './load-context.js';
import { typeForKey } from './scalar-typing.js';
import { type ConfigPath } from './schema-walk.js';
import { readVariable } from './secret-file.js';

const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([\s\S]*))?$/;

export interface Interpolated {
  value: string;
  /** The variables the text referred to; empty when it held only `$${` escapes or nothing at all. */
  variables: string[];
}

/**
 * Replaces `${NAME}` (unset: ""), `${NAME:-default}` (unset or empty: default) and `${NAME:?message}`
 * (unset or empty: an error carrying the message); `$${` is a literal `${`.
 * `lookup` gives a variable's value or undefined. Throws an Error for a malformed expression; the message
 * shows the variable name only, since a default may be a secret.
 */
export function interpolateText(text: string, lookup: (name: string) => string | undefined): Interpolated {
  let value = '';
  const variables: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      value += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      const expression = end < 0 ? undefined : EXPRESSION.exec(text.slice(i + 2, end));
      if (!expression) {
        const shown = /^[A-Za-z0-9_]*/.exec(text.slice(i + 2))?.[0] ?? '';
        throw new Error(
          end < 0
            ? `"\${${shown}" is not closed with "}" (write $\${ for a literal "\${")`
            : `"\${${shown}..." is not \${NAME}, \${NAME:-default} or \${NAME:?message}`,
        );
      }
      const [, name = '', operator, argument = ''] = expression;
      variables.push(name);
      const found = lookup(name);
      if (found === undefined && operator === ':?') {
        throw new Error(`\${${name}} is required${argument ? `: ${argument}` : ' but not set'}`);
      }
      value += found ?? (operator === ':-' ? argument : '');
      i = end + 1;
    } else {
      value += text[i];
      i += 1;
    }
  }
  return { value, variables };
}

/** The config path of a node from the visitor's ancestors: map pairs give keys, sequences give indexes. */
function configPathOf(ancestors: readonly unknown[], node: Node): ConfigPath {
  const path: (string | number)[] = [];
  ancestors.forEach((ancestor, i) => {
    const child = ancestors[i + 1] ?? node;
    if (isPair(ancestor)) {
      const key = (ancestor as Pair).key;
      path.push(String(isScalar(key) ? key.value : key));
    } else if (isSeq(ancestor)) {
      path.push(ancestor.items.indexOf(child as Node));
    }
  });
  return path;
}

/** Interpolates every string value of the document in place (keys are left alone). */
export function interpolateDocument(doc: Document, ctx: LoadContext): void {
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = configPathOf(ancestors, node);
      try {
        const result = interpolateText(node.value, (name) => readVariable(name, ctx.env, ctx.cwd)?.value);
        node.value = result.variables.length > 0 ? typeForKey(result.value, path) : result.value;
        if (result.variables.length > 0) {
          ctx.setOrigin(path, `from ${result.variables.map((v) => `\${${v}}`).join(', ')}`, false);
        }
      } catch (error) {
        ctx.report(path, (error as Error).message);
      }
    },
  });
}
