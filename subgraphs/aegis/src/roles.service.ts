import { conflict, notFound } from '@azora/kit';
import { normaliseEmail } from './auth.service';
import { User, type Role } from './entities/user.entity';
import { hashPassword } from './passwords';
import type { Context } from './schema';

/** Granting and revoking roles (only admins may: the router's rule), and the start-up admin. */
export class RoleService {
  constructor(private readonly ctx: Context) {}

  async grant(userId: string, role: Role): Promise<User> {
    const { em } = this.ctx;
    const user = await em.findOne(User, { id: userId });
    if (!user) throw notFound('User', userId);
    if (!user.roles.includes(role)) {
      user.roles = [...user.roles, role];
      await em.flush();
    }
    return user;
  }

  /** Takes a role from a user. Admins cannot take their own admin role: another admin must. */
  async revoke(userId: string, role: Role): Promise<User> {
    if (this.ctx.identity.userId === userId && role === 'admin') {
      throw conflict('Admins cannot remove their own admin role; ask another admin');
    }
    const { em } = this.ctx;
    const user = await em.findOne(User, { id: userId });
    if (!user) throw notFound('User', userId);
    if (user.roles.includes(role)) {
      user.roles = user.roles.filter((r) => r !== role);
      await em.flush();
    }
    return user;
  }

  /** AZORA_ADMIN_EMAIL/AZORA_ADMIN_PASSWORD: creates that admin, or promotes the existing account (password kept). */
  async bootstrapAdmin(email: string, password: string): Promise<void> {
    const { em, log } = this.ctx;
    const normalised = normaliseEmail(email);
    const existing = await em.findOne(User, { email: normalised });
    if (existing) {
      if (!existing.roles.includes('admin')) {
        existing.roles = [...existing.roles, 'admin'];
        await em.flush();
        log.info({ userId: existing.id }, 'existing user promoted to admin');
      }
      return;
    }
    const user = em.create(User, {
      email: normalised,
      displayName: 'Administrator',
      roles: ['learner', 'admin'],
      passwordHash: await hashPassword(password),
    });
    await em.flush();
    log.info({ userId: user.id }, 'admin created');
  }
}
