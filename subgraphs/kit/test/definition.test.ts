import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadlockException, defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { parse } from 'graphql';
import { z } from 'zod';
import {
  byId,
  consumeOnce,
  CONSUMER_IDENTITY,
  createLogger,
  defineSubgraph,
  errorCodes,
  event,
  maskError,
  OutboxEvent,
  openDatabase,
  readEvent,
  requestContext,
  startSubgraph,
  subgraphContext,
  subgraphEntities,
  subgraphErrorMask,
  transaction,
  type ContextOf,
  type DomainEvent,
  type EventConsumer,
  type Identity,
  type Orm,
} from '../src';

const Note = defineEntity({
  name: 'Note',
  tableName: 'notes',
  properties: { id: p.string().primary(), text: p.string() },
});
type Note = InferEntity<typeof Note>;

const noteEvents = { 'notes.note.written': event('notes.note', z.object({ noteId: z.string().min(1) })) };
const noteErrors = errorCodes('NOTE_TOO_LONG');

/** A service as a subgraph writes one: the rules, the transaction and the event, through its context. */
class NoteService {
  constructor(private readonly ctx: NotesContext) {}

  async write(id: string, text: string, fail?: () => void): Promise<Note> {
    if (text.length > 10) throw noteErrors.NOTE_TOO_LONG('At most 10 characters');
    return transaction(this.ctx.em, async (em) => {
      const note = em.create(Note, { id, text });
      this.ctx.events.record('notes.note.written', { noteId: id });
      await em.flush();
      fail?.();
      return note;
    });
  }

  byId(id: string) {
    return this.ctx.loaders.noteById.load(id);
  }
}

const context = subgraphContext({
  loaders: (em) => ({ noteById: byId(em, Note) }),
  events: noteEvents,
  services: { notes: NoteService },
  config: (env) => ({ greeting: env.NOTES_GREETING ?? 'hello' }),
});
type NotesContext = ContextOf<typeof context>;

const notes = defineSubgraph({
  name: 'notes',
  typeDefs: parse('type Query { ping: String }'),
  resolvers: {},
  entities: [Note],
  migrationsDir: __dirname,
  context,
  errorCodes: noteErrors,
});

const someone: Identity = { kind: 'user', userId: 'u-1', roles: [], scopes: [] };

describe('the subgraph shape (SQLite)', () => {
  let orm: Orm;
  let dir: string;
  const as = (identity: Identity) => requestContext(notes, { em: orm.em.fork(), identity, config: { greeting: 'hi' } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'azora-kit-'));
    orm = await openDatabase({
      subgraph: 'notes',
      target: { dialect: 'sqlite', file: join(dir, 'notes.sqlite') },
      entities: subgraphEntities(notes),
      migrationsDir: __dirname,
    });
    await orm.schema.createSchema();
  });
  afterAll(async () => {
    await orm?.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the services per request with the whole context, its config and its loaders', async () => {
    const ctx = as(someone);
    expect(ctx.config.greeting).toBe('hi');
    expect(ctx.identity).toBe(someone);
    await ctx.services.notes.write('n-1', 'first');
    expect((await as(someone).services.notes.byId('n-1'))?.text).toBe('first');
    expect(await as(someone).services.notes.byId('missing')).toBeNull();
  });

  it('records the event in the transaction, with the subgraph as source, and validates its payload', async () => {
    await as(someone).services.notes.write('n-2', 'second');
    const rows = await orm.em.fork().find(OutboxEvent, { type: 'notes.note.written' });
    expect(rows.map((r) => [r.topic, r.source, r.payload])).toContainEqual(['notes.note', 'notes', { noteId: 'n-2' }]);
    const ctx = as(someone);
    expect(() => ctx.events.record('notes.note.written', { noteId: '' })).toThrow();
    expect(() => (ctx.events.record as (type: string, payload: object) => void)('notes.other', {})).toThrow(
      'notes declares no event notes.other',
    );
  });

  it('runs the whole transaction again after a deadlock, and keeps nothing of the failed attempt', async () => {
    let attempts = 0;
    const note = await as(someone).services.notes.write('n-3', 'third', () => {
      attempts += 1;
      if (attempts === 1) throw new DeadlockException(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    });
    expect(note.id).toBe('n-3');
    expect(attempts).toBe(2);
    const events = await orm.em.fork().find(OutboxEvent, { type: 'notes.note.written', payload: { noteId: 'n-3' } });
    expect(events).toHaveLength(1);
  });

  it('does not retry what is not a conflict between transactions', async () => {
    let attempts = 0;
    await expect(
      as(someone).services.notes.write('n-4', 'fourth', () => {
        attempts += 1;
        throw new Error('a bug');
      }),
    ).rejects.toThrow('a bug');
    expect(attempts).toBe(1);
    expect(await as(someone).services.notes.byId('n-4')).toBeNull();
  });

  it("passes the subgraph's declared codes marked with its name, and the router passes them on", async () => {
    const error = (await as(someone)
      .services.notes.write('n-5', 'far too long for a note')
      .catch((e: unknown) => e)) as Error & { extensions: Record<string, unknown> };
    const mask = subgraphErrorMask('notes', noteErrors);
    const formatted = mask({ message: error.message, extensions: { ...error.extensions, stacktrace: ['x'] } });
    expect(formatted).toEqual({
      message: 'At most 10 characters',
      extensions: { code: 'NOTE_TOO_LONG', declaredBy: 'notes' },
    });
    expect(maskError(formatted)).toEqual(formatted);
    // Another subgraph's mask does not know the code; nor does the router's without the mark.
    expect(subgraphErrorMask('other', {})(formatted).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(maskError({ message: 'x', extensions: { code: 'NOTE_TOO_LONG' } }).extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
    });
    expect(() => errorCodes('NOT_FOUND')).toThrow('platform code');
    expect(() => errorCodes('lower')).toThrow('UPPER_SNAKE_CASE');
  });

  it("lets a consumer read the producer's events with the producer's schemas", () => {
    const log = createLogger('test');
    log.level = 'silent';
    const written: DomainEvent = {
      id: 'e-1',
      topic: 'notes.note',
      type: 'notes.note.written',
      source: 'notes',
      payload: { noteId: 'n-1' },
      occurredAt: new Date().toISOString(),
    };
    expect(readEvent(noteEvents, 'notes.note.written', written, log)).toEqual({ noteId: 'n-1' });
    expect(readEvent(noteEvents, 'notes.note.written', { ...written, payload: { noteId: 3 } }, log)).toBeNull();
    expect(readEvent(noteEvents, 'notes.note.written', { ...written, type: 'notes.note.erased' }, log)).toBeNull();
  });

  it("gives a consumer its subgraph's services on the consumer's own transaction", async () => {
    const log = createLogger('test');
    log.level = 'silent';
    const identities: Identity[] = [];
    const copier = (failAfter: boolean): EventConsumer<NotesContext> => ({
      name: 'notes.copier',
      topics: ['elsewhere.note'],
      async handle(_em, event, _log, as) {
        const ctx = as();
        identities.push(ctx.identity);
        await ctx.services.notes.write(`copy-${event.id}`, 'copied');
        if (failAfter) throw new Error('the consumer fails after the service wrote');
      },
    });
    const contextFor = (em: Parameters<typeof requestContext>[1]['em'], identity: Identity) =>
      requestContext(notes, { em, identity, config: { greeting: 'hi' } });
    const arrived: DomainEvent = {
      id: 'e-copy',
      topic: 'elsewhere.note',
      type: 'elsewhere.note.written',
      source: 'elsewhere',
      payload: {},
      occurredAt: new Date().toISOString(),
    };
    await expect(consumeOnce(orm, copier(true), arrived, log, contextFor)).rejects.toThrow('fails after');
    // The service's transaction joined the consumer's: nothing of it stayed, so the bus may deliver it again.
    expect(await as(someone).services.notes.byId('copy-e-copy')).toBeNull();
    expect(await consumeOnce(orm, copier(false), arrived, log, contextFor)).toBe(true);
    expect((await as(someone).services.notes.byId('copy-e-copy'))?.text).toBe('copied');
    expect(await orm.em.fork().count(OutboxEvent, { payload: { noteId: 'copy-e-copy' } })).toBe(1);
    expect(identities).toEqual([CONSUMER_IDENTITY, CONSUMER_IDENTITY]);
  });

  it('builds the runtime once at start, after migrations, for every context and for setup', async () => {
    const built: string[] = [];
    const withRuntime = subgraphContext({
      config: (env) => ({ greeting: env.NOTES_GREETING ?? 'hello' }),
      runtime: async ({ config, orm: startedOrm }) => {
        built.push(config.greeting);
        return { greeting: config.greeting, migrated: await startedOrm.migrator.getPendingMigrations() };
      },
    });
    const seen: unknown[] = [];
    const greeter = defineSubgraph({
      name: 'greeter',
      typeDefs: parse('type Query { ping: String }'),
      resolvers: {},
      entities: [],
      migrationsDir: join(dir, 'no-migrations'),
      context: withRuntime,
      async seedDemoData(_em, _log, as) {
        seen.push(as(someone).runtime.greeting);
      },
      async setup({ runtime }) {
        seen.push(runtime.migrated);
        return {};
      },
    });
    const running = await startSubgraph(greeter, {
      target: { dialect: 'sqlite', file: join(dir, 'greeter.sqlite') },
      routerPublicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      env: { NOTES_GREETING: 'bonjour' },
      demoData: true,
      logger: Object.assign(createLogger('greeter'), { level: 'silent' }),
    });
    await running.stop();
    expect(built).toEqual(['bonjour']);
    expect(seen).toEqual([[], 'bonjour']);
  });
});
