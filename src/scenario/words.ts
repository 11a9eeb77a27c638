import { LineError } from './errors.js';

// A scenario is never given to a shell, so shell syntax in it would only mislead the reader.
const SHELL_SYNTAX = /[|;&<>$`'"\\(){}*?]/;

/** Splits a command line on blanks; shell syntax is an error, never interpreted. */
export function splitWords(text: string): string[] {
  const bad = SHELL_SYNTAX.exec(text);
  if (bad) {
    throw new LineError(`'${bad[0]}' is shell syntax: scenario lines are never passed to a shell (write plain words separated by spaces)`);
  }
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** A cursor over the words of one command, with errors that say what was expected. */
export class Words {
  private pos = 0;

  constructor(
    readonly all: readonly string[],
    /** The command's usage, quoted in errors. */
    readonly usage: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.all.length;
  }

  peek(): string | undefined {
    return this.all[this.pos];
  }

  /** The next word; missing is an error naming `what`. */
  next(what: string): string {
    const w = this.all[this.pos];
    if (w === undefined) throw new LineError(`missing ${what} (usage: ${this.usage})`);
    this.pos++;
    return w;
  }

  /** Consumes `word` when it comes next. */
  accept(word: string): boolean {
    if (this.all[this.pos] === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(word: string): void {
    const w = this.all[this.pos];
    if (w !== word) throw new LineError(`expected '${word}'${w === undefined ? ' at the end' : ` instead of '${w}'`} (usage: ${this.usage})`);
    this.pos++;
  }

  rest(): string[] {
    const r = this.all.slice(this.pos);
    this.pos = this.all.length;
    return r;
  }

  end(): void {
    if (!this.done) throw new LineError(`unexpected '${this.all[this.pos]}' (usage: ${this.usage})`);
  }
}
