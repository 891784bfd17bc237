import { ConfigError, parseEnv, resolveDatabaseTarget, subgraphEnvSchema, subgraphProductionRules } from '../src';

const KEY = { AZORA_ROUTER_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' };

describe('subgraph configuration', () => {
  it('has development defaults that need nothing but the router key', () => {
    const env = parseEnv(subgraphEnvSchema, KEY);
    expect(env).toMatchObject({ NODE_ENV: 'development', AZORA_DATA_DIR: '.data', AZORA_DEMO_DATA: false });
    expect(resolveDatabaseTarget('mint', env)).toEqual({
      dialect: 'sqlite',
      file: expect.stringMatching(/\.data\/mint\.sqlite$/),
    });
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      parseEnv(
        subgraphEnvSchema,
        { NODE_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'loud', AZORA_DEMO_DATA: 'true' },
        [subgraphProductionRules],
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/DATABASE_URL: production mode needs/);
    expect(problems).toMatch(/AZORA_DEMO_DATA: demo data is refused/);
  });

  it('gives each subgraph its own PostgreSQL database, and lets DATABASE_URL override', () => {
    const shared = parseEnv(subgraphEnvSchema, { ...KEY, AZORA_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432' });
    expect(resolveDatabaseTarget('mint', shared)).toEqual({
      dialect: 'postgresql',
      url: 'postgres://postgres@127.0.0.1:5432/azora_mint',
    });
    const own = parseEnv(subgraphEnvSchema, {
      ...KEY,
      AZORA_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432',
      DATABASE_URL: 'postgres://mint:pw@db.internal:5432/ledger',
    });
    expect(resolveDatabaseTarget('mint', own)).toEqual({
      dialect: 'postgresql',
      url: 'postgres://mint:pw@db.internal:5432/ledger',
    });
  });
});
