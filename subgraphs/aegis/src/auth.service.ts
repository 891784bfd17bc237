import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { badInput, conflict, DomainError, ErrorCode, newId } from '@azora/kit';
import { Session } from './entities/session.entity';
import { User, type Role } from './entities/user.entity';
import { assertPasswordAcceptable, hashPassword, verifyPassword } from './passwords';
import type { Context } from './schema';
import { newSecret, sha256 } from './secrets';
import { SignInThrottles } from './throttle';

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

const unauthenticated = (message: string) => new DomainError(ErrorCode.UNAUTHENTICATED, message);
const INCORRECT = 'Email or password is incorrect';

/** Normalised email: trimmed, Unicode NFKC, lower case; one account per address. */
export function normaliseEmail(email: string): string {
  const normalised = email.normalize('NFKC').trim().toLowerCase();
  if (normalised.length > 320 || !z.email().safeParse(normalised).success) {
    throw badInput('Enter a valid email address', 'email');
  }
  return normalised;
}

/** Sign-up, sign-in and refresh-token sessions with rotation and reuse detection. */
export class AuthService {
  /**
   * The user this request has just signed in (signUp, signIn, refreshSession): the caller's own token arrives only
   * with the next request, yet the payload may show them their own private fields. The service lives for one
   * request, so this does too.
   */
  private signedInUserId: string | undefined;

  constructor(private readonly ctx: Context) {}

  /** Whether this request signed this user in (the shield lets them see their own private fields). */
  signedIn(userId: string): boolean {
    return this.signedInUserId === userId;
  }

  async signUp(input: { email: string; password: string; displayName: string }): Promise<AuthPayload> {
    const { em } = this.ctx;
    const email = normaliseEmail(input.email);
    assertPasswordAcceptable(input.password);
    const displayName = input.displayName.normalize('NFKC').trim();
    if (displayName.length < 1 || displayName.length > 120)
      throw badInput('A display name has 1 to 120 characters', 'displayName');
    if ((await em.count(User, { email })) > 0) throw conflict('An account with this email already exists');
    const user = em.create(User, {
      id: newId(),
      email,
      displayName,
      roles: ['learner'],
      passwordHash: await hashPassword(input.password),
    });
    // The same flush writes the user and the event: an account nobody hears about, or an event for none, cannot be.
    this.ctx.events.record('aegis.user.signed_up', { userId: user.id });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict('An account with this email already exists');
      }
      throw error;
    }
    return this.startSession(user);
  }

  async signIn(input: { email: string; password: string }): Promise<AuthPayload> {
    const { em, identity } = this.ctx;
    const email = normaliseEmail(input.email);
    const throttles = new SignInThrottles(em, this.ctx.config);
    await throttles.assertAllowed(email, identity.ip);
    const user = await em.findOne(User, { email });
    // A decoy hash is verified when there is no such user, so timing and answer are the same either way.
    if (!(await verifyPassword(input.password, user?.passwordHash)) || !user) {
      await throttles.recordFailure(email, identity.ip);
      throw unauthenticated(INCORRECT);
    }
    await throttles.recordSuccess(email);
    return this.startSession(user);
  }

  /**
   * Rotates a refresh token. The old one is claimed with a conditional update, so of two concurrent refreshes at most
   * one succeeds; presenting a token that was already rotated (a replay, or the loser of that race) revokes the family.
   */
  async refresh(refreshToken: string): Promise<AuthPayload> {
    const { em } = this.ctx;
    const session = await em.findOne(Session, { tokenDigest: sha256(refreshToken) });
    if (!session || session.revokedAt) throw unauthenticated('This session has ended; sign in again');
    if (session.rotatedAt) {
      await this.revokeFamily(session.familyId);
      throw unauthenticated('This refresh token was already used; the session has been ended');
    }
    if (session.expiresAt <= new Date()) throw unauthenticated('This session has expired; sign in again');
    const claimed = await em.nativeUpdate(
      Session,
      { id: session.id, rotatedAt: null, revokedAt: null },
      { rotatedAt: new Date() },
    );
    if (claimed === 0) {
      await this.revokeFamily(session.familyId);
      throw unauthenticated('This refresh token was already used; the session has been ended');
    }
    const user = await em.findOneOrFail(User, { id: session.userId });
    return this.startSession(user, session.familyId);
  }

  /** Ends the session (its whole token family). False when the token was unknown or already ended. */
  async signOut(refreshToken: string): Promise<boolean> {
    const session = await this.ctx.em.findOne(Session, { tokenDigest: sha256(refreshToken) });
    if (!session || session.revokedAt) return false;
    await this.revokeFamily(session.familyId);
    return true;
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.ctx.em.nativeUpdate(Session, { familyId, revokedAt: null }, { revokedAt: new Date() });
  }

  private async startSession(user: User, familyId?: string): Promise<AuthPayload> {
    const refreshToken = newSecret('azr');
    const id = newId();
    this.ctx.em.create(Session, {
      id,
      // A new family is named after its first session.
      familyId: familyId ?? id,
      userId: user.id,
      tokenDigest: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.ctx.config.AEGIS_REFRESH_TOKEN_TTL_SECONDS * 1000),
    });
    await this.ctx.em.flush();
    const { token, expiresIn } = await this.ctx.services.signingKeys.accessToken({
      subject: user.id,
      kind: 'user',
      roles: user.roles as Role[],
      scopes: [],
    });
    this.signedInUserId = user.id;
    return { accessToken: token, refreshToken, expiresIn, user };
  }
}
