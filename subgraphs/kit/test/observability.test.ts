import { Writable } from 'node:stream';
import {
  createLogger,
  OPERATION_ANONYMOUS,
  OPERATION_OTHER,
  OperationNames,
  outcomeOf,
  redactSecrets,
  REDACTED,
  sanitizeSql,
  startTelemetry,
} from '../src';

describe('log redaction', () => {
  it('replaces secret-named keys at any depth, in objects and arrays, without touching the input', () => {
    const input = {
      headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-api-key': 'k', accept: '*/*' },
      variables: { input: { email: 'a@b.c', newPassword: 'p', sessions: [{ refreshToken: 't' }], clientSecret: 's' } },
    };
    expect(redactSecrets(input)).toEqual({
      headers: { authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, accept: '*/*' },
      variables: {
        input: {
          email: 'a@b.c',
          newPassword: REDACTED,
          sessions: [{ refreshToken: REDACTED }],
          clientSecret: REDACTED,
        },
      },
    });
    expect(input.headers.authorization).toBe('Bearer abc');
  });

  it('redacts a JSON Web Token by its shape, under any key', () => {
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl';
    expect(redactSecrets({ headers: { 'x-azora-identity': jwt }, note: `sent ${jwt} twice` })).toEqual({
      headers: { 'x-azora-identity': REDACTED },
      note: `sent ${REDACTED} twice`,
    });
  });

  it('leaves errors to pino, which serialises them with their stack', () => {
    const error = new Error('boom');
    expect((redactSecrets({ err: error }) as { err: unknown }).err).toBe(error);
  });

  it('applies to every line a kit logger writes, children included', () => {
    let out = '';
    const log = createLogger('test', 'debug', new Writable({ write: (chunk, _e, done) => ((out += chunk), done()) }));
    log
      .child({ requestId: 'r1' })
      .info({ req: { headers: { authorization: 'Bearer hunter2' } }, apiKey: 'hunter2' }, 'hello');
    const line = JSON.parse(out);
    expect(line).toMatchObject({
      requestId: 'r1',
      service: 'test',
      apiKey: REDACTED,
      req: { headers: { authorization: REDACTED } },
    });
    expect(out).not.toContain('hunter2');
  });
});

describe('operation name labels', () => {
  it('keeps the first names and folds every later new name into one label', () => {
    const names = new OperationNames(2);
    expect([names.label('A'), names.label('B'), names.label('C'), names.label('A'), names.label(null)]).toEqual([
      'A',
      'B',
      OPERATION_OTHER,
      'A',
      OPERATION_ANONYMOUS,
    ]);
  });
});

describe('request outcome', () => {
  it("tells the caller's mistakes from the platform's failures", () => {
    const error = (code?: string) => ({ extensions: code ? { code } : {} });
    expect(outcomeOf(undefined)).toBe('ok');
    expect(outcomeOf([error('BAD_USER_INPUT'), error('FORBIDDEN')])).toBe('client_error');
    expect(outcomeOf([error('BAD_USER_INPUT'), error('DOWNSTREAM_UNAVAILABLE')])).toBe('server_error');
    expect(outcomeOf([error()])).toBe('server_error');
  });
});

describe('SQL in spans', () => {
  it('keeps the statement and drops every literal value', () => {
    expect(
      sanitizeSql(
        "select `a0`.* from `accounts` as `a0` where `a0`.`owner_id` in ('u-1', 'it''s') and balance > -12.50 limit 21",
      ),
    ).toBe('select `a0`.* from `accounts` as `a0` where `a0`.`owner_id` in (?, ?) and balance > ? limit ?');
    expect(sanitizeSql('insert into "users" ("email", "n") values ($1, $2)')).toBe(
      'insert into "users" ("email", "n") values ($1, $2)',
    );
  });
});

describe('tracing', () => {
  it('stays off unless an OTLP endpoint is configured', () => {
    const saved = { ...process.env };
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    try {
      expect(startTelemetry('test')).toBeUndefined();
    } finally {
      process.env = saved;
    }
  });
});
