/** Where a directory reports rows it cannot use (a pino logger fits). */
export interface DirectoryLogger {
  warn(obj: object, msg: string): void;
}

/**
 * What runs use of something the config file defines and the admin API adds to (agents, saved pipelines): the
 * config's items merged with the database's rows, read again every `refreshMs`, so an API edit reaches every
 * gateway and worker within that time without a restart. Without a database: the config's items. Subclasses
 * say how rows merge over the config (`merge`); this keeps the reading, the timer and the change detection.
 */
export abstract class LiveDirectory<Row, Item> {
  private items: Item[];
  private signature = '';
  private timer: NodeJS.Timeout | null = null;
  private onChange: (items: readonly Item[]) => void = () => undefined;

  protected constructor(
    private readonly source: { list(): Promise<Row[]> } | null,
    protected readonly configured: readonly Item[],
    protected readonly logger: DirectoryLogger,
    /** For the warning when the database cannot be read: `agents`, `saved pipelines`. */
    private readonly what: string,
    private readonly refreshMs: number,
  ) {
    this.items = [...configured];
  }

  get current(): readonly Item[] {
    return this.items;
  }

  /** Reads the database once now, then every refreshMs; `onChange` runs whenever the set of items changed. */
  async start(onChange: (items: readonly Item[]) => void): Promise<void> {
    if (!this.source) return;
    this.onChange = onChange;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /** Reads the database now (the timer calls it every refreshMs). */
  async refresh(): Promise<void> {
    if (!this.source) return;
    try {
      const items = this.merge(await this.source.list());
      const signature = JSON.stringify(items);
      if (signature === this.signature) return;
      this.signature = signature;
      this.items = items;
      this.onChange(items);
    } catch (error) {
      // The database may be away for a while: keep serving what was read last.
      this.logger.warn({ err: error }, `could not read ${this.what} from the database; keeping the last known ones`);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The items runs use, given the database's rows (a row the schema rejects is skipped with a warning). */
  protected abstract merge(rows: readonly Row[]): Item[];
}
