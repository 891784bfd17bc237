import { raw } from '@mikro-orm/core';
import { DomainError, ErrorCode, type SqlEntityManager } from '@azora/kit';
import type { AegisConfig } from './config';
import { SignInThrottle } from './entities/sign-in-throttle.entity';

/**
 * Sign-in brute-force protection, per account and per client address, in the database so that every Aegis replica
 * counts the same failures. The account key is the normalised email whether or not such an account exists, so the
 * throttle reveals nothing either.
 */
export class SignInThrottles {
  constructor(
    private readonly em: SqlEntityManager,
    private readonly config: AegisConfig,
  ) {}

  private limits(email: string, ip: string | undefined) {
    return [
      { key: `account:${email}`, max: this.config.AEGIS_SIGN_IN_MAX_FAILURES_PER_ACCOUNT },
      ...(ip ? [{ key: `ip:${ip}`, max: this.config.AEGIS_SIGN_IN_MAX_FAILURES_PER_IP }] : []),
    ];
  }

  private windowStart(): Date {
    return new Date(Date.now() - this.config.AEGIS_SIGN_IN_WINDOW_SECONDS * 1000);
  }

  async assertAllowed(email: string, ip: string | undefined): Promise<void> {
    const limits = this.limits(email, ip);
    const rows = await this.em.find(SignInThrottle, { key: { $in: limits.map((l) => l.key) } });
    for (const row of rows) {
      const limit = limits.find((l) => l.key === row.key)!;
      if (row.windowStartedAt > this.windowStart() && row.failures >= limit.max) {
        const retryAfterSeconds = Math.ceil(
          (row.windowStartedAt.getTime() + this.config.AEGIS_SIGN_IN_WINDOW_SECONDS * 1000 - Date.now()) / 1000,
        );
        throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many failed sign-in attempts; try again later', {
          retryAfterSeconds,
        });
      }
    }
  }

  async recordFailure(email: string, ip: string | undefined): Promise<void> {
    for (const { key } of this.limits(email, ip)) {
      const fresh = await this.em.nativeUpdate(
        SignInThrottle,
        { key, windowStartedAt: { $gt: this.windowStart() } },
        { failures: raw('failures + 1') as unknown as number },
      );
      if (fresh === 0) {
        await this.em.upsert(SignInThrottle, { key, failures: 1, windowStartedAt: new Date() });
      }
    }
  }

  async recordSuccess(email: string): Promise<void> {
    await this.em.nativeDelete(SignInThrottle, { key: `account:${email}` });
  }
}
