import { hashPassword, verifyPassword } from '../src/passwords';
import { decrypt, digestsEqual, encrypt, hmac } from '../src/secrets';
import { normaliseEmail } from '../src/auth.service';

describe('passwords', () => {
  it('hashes with a fresh salt and verifies only the right password', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^scrypt\$16384\$8\$5\$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    expect(await verifyPassword('anything at all', null)).toBe(false);
  });

  it('rejects out-of-range passwords before hashing', async () => {
    await expect(hashPassword('short')).rejects.toThrow(/8 to 256/);
    await expect(hashPassword('x'.repeat(257))).rejects.toThrow(/8 to 256/);
    expect(await verifyPassword('x'.repeat(10_000), await hashPassword('x'.repeat(256)))).toBe(false);
  });
});

describe('secrets', () => {
  it('seals and opens with the same secret only', () => {
    const sealed = encrypt('k'.repeat(32), 'private key');
    expect(decrypt('k'.repeat(32), sealed)).toBe('private key');
    expect(() => decrypt('j'.repeat(32), sealed)).toThrow();
  });

  it('compares digests in constant time and by value', () => {
    expect(digestsEqual(hmac('p'.repeat(32), 'a'), hmac('p'.repeat(32), 'a'))).toBe(true);
    expect(digestsEqual(hmac('p'.repeat(32), 'a'), hmac('q'.repeat(32), 'a'))).toBe(false);
    expect(digestsEqual('ab', 'abcd')).toBe(false);
  });

  it('normalises emails and refuses non-emails', () => {
    expect(normaliseEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(() => normaliseEmail('ada')).toThrow(/valid email/);
  });
});
