/**
 * A config that cannot be used. The message names the source (the file, or the defaults when none was
 * found) and lists one problem per line, each starting with the key path in the config's own notation
 * (`providers[1].type`), so a person can fix every mistake in one pass. Messages never carry secret values.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** The config file, or a description of where the settings came from when there is no file. */
    readonly source: string,
    /** One line per problem. */
    readonly problems: readonly string[],
    headline = `Invalid config ${source}`,
  ) {
    super(`${headline}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
