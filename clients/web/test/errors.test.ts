import { AzoraError } from '@azora/sdk';
import { CombinedError } from '@urql/core';
import { readableError } from '../src/ui/errors';

// What an ErrorNotice says: server messages carry no full stop, and every sentence shown ends with exactly one.
describe('readableError', () => {
  const failure = (code: string, message: string, field?: string) =>
    new AzoraError([{ message, extensions: { code, ...(field ? { field } : {}) } }]);

  it("ends the server's own sentence once, whatever the code", () => {
    expect(readableError(failure('CONFLICT', 'You already applied to this job'))).toBe(
      'You already applied to this job.',
    );
    expect(readableError(failure('BAD_USER_INPUT', 'A job needs at least one skill', 'skills'))).toBe(
      'A job needs at least one skill.',
    );
    expect(readableError(failure('NOT_FOUND', 'No such job'))).toBe('No such job.');
    expect(readableError(failure('CONFLICT', 'Already done.'))).toBe('Already done.');
    // The same through urql's error, as a screen's query or mutation hands it over.
    const combined = new CombinedError({
      graphQLErrors: [{ message: 'This job is no longer open', extensions: { code: 'CONFLICT' } }],
    });
    expect(readableError(combined)).toBe('This job is no longer open.');
  });

  it("ends a screen's own wording once too, with or without its full stop", () => {
    const messages = {
      FORBIDDEN: ({ message }: { message: string }) => `You cannot enrol: ${message}`,
      CONFLICT: 'Taken.',
    };
    expect(readableError(failure('FORBIDDEN', 'this is your own course'), messages)).toBe(
      'You cannot enrol: this is your own course.',
    );
    expect(readableError(failure('CONFLICT', 'whatever'), messages)).toBe('Taken.');
    expect(readableError(failure('FORBIDDEN', 'no'))).toBe('You are not allowed to do that.');
  });
});
