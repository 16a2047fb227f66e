/**
 * An input problem the user can fix: the message names the file (or source), the field, and what
 * was expected. The CLI prints `error: <message>` and exits with status 2, never a stack trace.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Builds the standard message "<source>: <field>: <problem>". */
export function inputError(source: string, field: string, problem: string): InputError {
  return new InputError(`${source}: ${field}: ${problem}`);
}
