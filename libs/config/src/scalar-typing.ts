import { switchboardConfigSchema } from '@switchboard/contracts';
import { isScalar, parseDocument } from 'yaml';
import { type ConfigPath, expectsString } from './schema-walk.js';

/** `8080` -> 8080, `false` -> false, anything else stays text (YAML 1.2 core schema rules). */
export function readScalar(text: string): unknown {
  // A comment marker or a line break would make the YAML reading differ from what the person typed.
  if (text.includes('#') || /[\r\n]/.test(text)) return text;
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isScalar(doc.contents)) return text;
  const value = doc.contents.value;
  return typeof value === 'number' || typeof value === 'boolean' ? value : text;
}

/**
 * Text that came from outside the YAML (an interpolated variable, an env override) typed the way the key
 * needs it: read as a YAML scalar where the key takes a number or a boolean (`enabled: ${X:-false}` is
 * false, not "false"), kept as text where the key takes text (an API key `12345` stays a string).
 */
export function typeForKey(text: string, path: ConfigPath): unknown {
  return expectsString(switchboardConfigSchema, path) ? text : readScalar(text);
}
