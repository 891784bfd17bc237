import {
  ANONYMOUS,
  InProcessEventBus,
  newId,
  OutboxEvent,
  requestContext,
  type DomainEvent,
  type Identity,
  type Orm,
  type SqlEntityManager,
} from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { decodeProtectedHeader } from 'jose';
import { aegisConfig } from '../src/config';
import { aegis } from '../src/schema';

const person = (roles: string[] = [], kind: Identity['kind'] = 'user'): Identity => ({
  kind,
  userId: newId(),
  roles,
  scopes: [],
});

describe('Aegis services (SQLite)', () => {
  let orm: Orm;
  let drop: () => Promise<void>;
  // One running Aegis's settings: its key cache is shared by every request, as the kit shares `ctx.config`.
  const config = aegisConfig(process.env, 'test');
  const em = () => orm.em.fork() as SqlEntityManager;
  /** One request of this caller, as the server would build it. */
  const as = (identity: Identity, bus = new InProcessEventBus()) =>
    requestContext(aegis, { em: em(), identity, config, bus });

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(aegis));
    await as(ANONYMOUS).services.signingKeys.ensureKey();
  });
  afterAll(() => drop?.());

  const signUp = (tag: string) =>
    as(ANONYMOUS).services.auth.signUp({
      email: `${tag}-${newId()}@example.test`,
      password: 'correct horse battery',
      displayName: tag,
    });

  it('records a validated sign-up event in the same flush as the user', async () => {
    const { user } = await signUp('eventful');
    const events = await em().find(OutboxEvent, { type: 'aegis.user.signed_up' });
    expect(events.filter((e) => e.payload.userId === user.id)).toEqual([
      expect.objectContaining({ source: 'aegis', topic: 'aegis.user', payload: { userId: user.id } }),
    ]);
  });

  it('remembers whom this request signed in, for this request only', async () => {
    const ctx = as(ANONYMOUS);
    const { user } = await ctx.services.auth.signUp({
      email: `fresh-${newId()}@example.test`,
      password: 'correct horse battery',
      displayName: 'Fresh',
    });
    expect(ctx.services.auth.signedIn(user.id)).toBe(true);
    expect(ctx.services.auth.signedIn(newId())).toBe(false);
    expect(as(ANONYMOUS).services.auth.signedIn(user.id)).toBe(false);
  });

  it('answers `me` for a person and their API key, and null for a machine client or nobody', async () => {
    const { user } = await signUp('me');
    const viaToken = await as({ ...person(), userId: user.id }).services.users.me();
    expect(viaToken?.id).toBe(user.id);
    const viaKey = await as({ ...person([], 'apiKey'), userId: user.id }).services.users.me();
    expect(viaKey?.id).toBe(user.id);
    expect(await as({ kind: 'client', userId: newId(), roles: [], scopes: [] }).services.users.me()).toBeNull();
    expect(await as(ANONYMOUS).services.users.me()).toBeNull();
  });

  it('rotates the signing key: the new one signs at once, the old one stays published', async () => {
    const before = await as(ANONYMOUS).services.signingKeys.accessToken({
      subject: newId(),
      kind: 'user',
      roles: [],
      scopes: [],
    });
    const oldKid = decodeProtectedHeader(before.token).kid!;
    const { kid, publishedKids } = await as(person(['admin'])).services.signingKeys.rotate();
    expect(kid).not.toBe(oldKid);
    expect(publishedKids[0]).toBe(kid);
    expect(publishedKids).toContain(oldKid);
    const after = await as(ANONYMOUS).services.signingKeys.accessToken({
      subject: newId(),
      kind: 'user',
      roles: [],
      scopes: [],
    });
    expect(decodeProtectedHeader(after.token).kid).toBe(kid);
  });

  it("lets a person revoke their own keys and an admin anyone's; others' keys are as good as missing", async () => {
    const owner = person();
    const { apiKey } = await as(owner).services.apiKeys.create({ name: 'sensor', scopes: ['coldchain:ingest'] });
    expect(await codeOf(as(person()).services.apiKeys.revoke(apiKey.id))).toBe('NOT_FOUND');
    expect((await as(person(['admin'])).services.apiKeys.revoke(apiKey.id)).revokedAt).toBeInstanceOf(Date);
    expect(await as(owner).services.apiKeys.list()).toEqual([expect.objectContaining({ id: apiKey.id })]);
  });

  it('refuses an admin taking their own admin role, and lets them take it from another', async () => {
    const { user: admin } = await signUp('admin');
    const { user: other } = await signUp('other');
    const caller = { ...person(['admin']), userId: admin.id };
    await as(caller).services.roles.grant(other.id, 'admin');
    expect(await codeOf(as(caller).services.roles.revoke(admin.id, 'admin'))).toBe('CONFLICT');
    expect((await as(caller).services.roles.revoke(other.id, 'admin')).roles).toEqual(['learner']);
  });

  it('follows sign-ups by user id, skipping events it cannot read', async () => {
    const bus = new InProcessEventBus();
    const signUps = as(person(['admin']), bus).services.users.signUps();
    const event = (id: string, payload: Record<string, unknown>): DomainEvent => ({
      id,
      topic: 'aegis.user',
      type: 'aegis.user.signed_up',
      source: 'aegis',
      payload,
      occurredAt: new Date().toISOString(),
    });
    const next = signUps.next();
    await bus.publish(event(newId(), { user: 'not the schema' }));
    const userId = newId();
    await bus.publish(event(newId(), { userId }));
    expect(await next).toEqual({ done: false, value: { id: userId } });
    await signUps.return!();
  });
});
