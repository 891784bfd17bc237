import { conflict, notFound, type Identity, type Logger, type SqlEntityManager } from '@azora/kit';
import { normaliseEmail } from './auth.service';
import { User, type Role } from './entities/user.entity';
import { hashPassword } from './passwords';

/** Granting and revoking roles (admin only, by the router's rule tree), and the start-up admin. */
export class RoleService {
  constructor(private readonly em: SqlEntityManager) {}

  async grant(userId: string, role: Role): Promise<User> {
    const user = await this.em.findOne(User, { id: userId });
    if (!user) throw notFound('User', userId);
    if (!user.roles.includes(role)) {
      user.roles = [...user.roles, role];
      await this.em.flush();
    }
    return user;
  }

  async revoke(caller: Identity, userId: string, role: Role): Promise<User> {
    if (caller.userId === userId && role === 'admin') {
      throw conflict('Admins cannot remove their own admin role; ask another admin');
    }
    const user = await this.em.findOne(User, { id: userId });
    if (!user) throw notFound('User', userId);
    if (user.roles.includes(role)) {
      user.roles = user.roles.filter((r) => r !== role);
      await this.em.flush();
    }
    return user;
  }

  /** AZORA_ADMIN_EMAIL/AZORA_ADMIN_PASSWORD: creates that admin, or promotes the existing account (password kept). */
  async bootstrapAdmin(email: string, password: string, log: Logger): Promise<void> {
    const normalised = normaliseEmail(email);
    const existing = await this.em.findOne(User, { email: normalised });
    if (existing) {
      if (!existing.roles.includes('admin')) {
        existing.roles = [...existing.roles, 'admin'];
        await this.em.flush();
        log.info({ userId: existing.id }, 'existing user promoted to admin');
      }
      return;
    }
    const user = this.em.create(User, {
      email: normalised,
      displayName: 'Administrator',
      roles: ['learner', 'admin'],
      passwordHash: await hashPassword(password),
    });
    await this.em.flush();
    log.info({ userId: user.id }, 'admin created');
  }
}
