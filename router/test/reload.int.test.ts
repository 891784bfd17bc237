import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { print } from 'graphql';
import { createLogger } from '@azora/kit';
import { composedSupergraph, composeSupergraph, supergraphFile } from '@azora/router';
import { graphql, seedUsers, startPlatform, until, type Platform } from '@azora/testing';
import { aegis } from '../../subgraphs/aegis/src/schema';
import { forge } from '../../subgraphs/forge/src/schema';
import { mint } from '../../subgraphs/mint/src/schema';

const USERS = '{ users(first: 2) { edges { node { email } } } }';
const WITH_ACCOUNTS = '{ users(first: 2) { edges { node { email accounts { currency } } } } }';
const POLL_MS = 50;
/** The platform admin: listing users is theirs alone. */
let admin: Record<string, string> = {};

/** Writes the way deployments do: a new file renamed into place, never a half-written one. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/** Clients hammering the router until stopped; every answer must be a 200 with data and no errors. */
function load(url: string, concurrency = 6) {
  let running = true;
  const failures: string[] = [];
  let ok = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const { status, body } = await graphql(url, USERS, undefined, admin);
        if (status === 200 && !body.errors && body.data.users.edges.length > 0) ok++;
        else failures.push(`${status} ${JSON.stringify(body.errors)}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  });
  return {
    /** Answers so far that were whole. */
    answered: () => ok,
    async stop() {
      running = false;
      await Promise.all(workers);
      return { ok, failures };
    },
  };
}

const hasAccounts = async (url: string) => {
  const { body } = await graphql(url, WITH_ACCOUNTS, undefined, admin);
  return !body.errors && body.data?.users.edges.every((e: any) => Array.isArray(e.node.accounts));
};

describe('hot reload of the supergraph', () => {
  let platform: Platform;
  let dir: string;
  const logLines: { msg?: string; level?: number }[] = [];
  const logger = createLogger(
    'router',
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const env = { AZORA_RATE_LIMIT: 'false' };

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 2, 'reload');
    dir = mkdtempSync(join(tmpdir(), 'azora-reload-'));
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Mint extends Forge's Contract, so the two come and go together.
  const subgraph = (definition: typeof aegis | typeof mint | typeof forge) => ({
    name: definition.name,
    url: platform.subgraphs[definition.name]!.url,
    typeDefs: print(definition.typeDefs),
  });

  it('production: serves a new supergraph file dropped in under load with zero failed requests, and keeps the old one when the new one is broken', async () => {
    const file = join(dir, 'supergraph.graphql');
    replaceFile(file, composeSupergraph([subgraph(aegis)]).supergraphSdl);
    const router = await platform.startRouter({
      supergraph: supergraphFile(file, POLL_MS, logger),
      nodeEnv: 'production',
      env,
    });
    expect(await hasAccounts(router.url)).toBe(false);

    const traffic = load(router.url);
    await until('traffic flows', () => traffic.answered() >= 6);
    replaceFile(file, composeSupergraph([subgraph(aegis), subgraph(mint), subgraph(forge)]).supergraphSdl);
    await until('the new supergraph is served', () => hasAccounts(router.url));

    replaceFile(file, 'this is not a supergraph');
    await until('the broken file is refused', async () =>
      logLines.some((l) => l.msg?.includes('new supergraph refused')),
    );
    expect(await hasAccounts(router.url)).toBe(true);
    const answeredBefore = traffic.answered();
    await until('traffic goes on after the refused file', () => traffic.answered() >= answeredBefore + 6);
    const { ok, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  });

  it('development: recomposes when supergraph.yaml or a subgraph schema changes, and keeps the old schema on a composition error', async () => {
    const config = join(dir, 'supergraph.yaml');
    const schemaFile = (name: string) => join(dir, `${name}.graphql`);
    const writeConfig = (names: string[]) =>
      replaceFile(
        config,
        `federation_version: =2.14.4\nsubgraphs:\n${names
          .map(
            (name) =>
              `  ${name}:\n    routing_url: ${platform.subgraphs[name]!.url}\n    schema:\n      file: ./${name}.graphql\n`,
          )
          .join('')}`,
      );
    for (const definition of [aegis, mint, forge]) replaceFile(schemaFile(definition.name), print(definition.typeDefs));
    writeConfig(['aegis']);
    const router = await platform.startRouter({
      supergraph: composedSupergraph(config, POLL_MS, logger),
      nodeEnv: 'development',
      env,
    });
    expect(await hasAccounts(router.url)).toBe(false);

    const traffic = load(router.url);
    writeConfig(['aegis', 'mint', 'forge']);
    await until('mint is composed in', () => hasAccounts(router.url));

    const errorsBefore = logLines.filter((l) => l.msg?.includes('supergraph reload failed')).length;
    replaceFile(schemaFile('mint'), 'type Query { broken: NoSuchType }');
    await until(
      'the composition error is logged',
      async () => logLines.filter((l) => l.msg?.includes('supergraph reload failed')).length > errorsBefore,
    );
    expect(await hasAccounts(router.url)).toBe(true);

    replaceFile(schemaFile('mint'), print(mint.typeDefs));
    writeConfig(['aegis']);
    await until('mint is composed out again', async () => !(await hasAccounts(router.url)));
    const { ok, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  });
});
