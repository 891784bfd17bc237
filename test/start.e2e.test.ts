import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_USERS } from '@azora/kit';
import { freePort, graphql, runInRepo } from '@azora/testing';
import { SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { readSupergraphConfig, subgraphUrlVariable } from '../router/src/supergraph-config';

// `npm start` as a new user runs it: embedded SQLite, demo data, every subgraph as its own process, Ctrl-C to stop.
describe('npm start', () => {
  it('serves the demo data across subgraphs at the router and stops cleanly on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'azora-start-'));
    const routerPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(routerPort),
      AZORA_DATA_DIR: dataDir,
    };
    delete env.AZORA_DATABASE_URL;
    for (const { name } of readSupergraphConfig(SUPERGRAPH_CONFIG)) {
      env[subgraphUrlVariable(name)] = `http://127.0.0.1:${await freePort()}/graphql`;
    }
    const { child, output, exited, printed } = runInRepo(
      process.execPath,
      ['--import', 'tsx', 'scripts/start.ts'],
      env,
    );
    try {
      // npm start prints this only once the router reports ready (scripts/start.ts), so everything below may run.
      await printed('Press Ctrl-C to stop.', 90_000);
      expect(output()).toContain(`http://localhost:${routerPort}/graphql`);

      const url = `http://127.0.0.1:${routerPort}/graphql`;
      // The printed demo credentials work: the demo admin signs in and lists everyone with their accounts.
      expect(output()).toContain(DEMO_PASSWORD);
      const signIn = await graphql(
        url,
        'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { accessToken } }',
        {
          e: DEMO_USERS[0].email,
          p: DEMO_PASSWORD,
        },
      );
      if (!signIn.body.data?.signIn) {
        throw new Error(`signIn failed: ${JSON.stringify(signIn.body.errors)}\nnpm start printed:\n${output()}`);
      }
      const authorization = `Bearer ${signIn.body.data.signIn.accessToken}`;
      const { body } = await graphql(
        url,
        '{ users(first: 5) { edges { node { email accounts { currency } } } } }',
        {},
        { authorization },
      );
      expect(body.errors).toBeUndefined();
      const emails = body.data.users.edges.map((e: any) => e.node.email);
      expect(emails).toContain('ada@azora.dev');
      expect(body.data.users.edges.every((e: any) => e.node.accounts.some((a: any) => a.currency === 'USD'))).toBe(
        true,
      );
      // LMS and Forge demo data: Grace's published course and Katherine's open job, across Aegis too.
      const market = await graphql(
        url,
        `
          {
            courses {
              edges {
                node {
                  title
                  instructor {
                    displayName
                  }
                  skills {
                    slug
                    name
                  }
                }
              }
            }
            jobs {
              edges {
                node {
                  title
                  budget {
                    amount
                    currency
                  }
                  poster {
                    displayName
                  }
                }
              }
            }
          }
        `,
      );
      expect(market.body.errors).toBeUndefined();
      expect(market.body.data.courses.edges.map((e: any) => e.node)).toEqual([
        expect.objectContaining({
          instructor: { displayName: 'Grace Hopper' },
          skills: [
            { slug: 'typescript', name: 'TypeScript' },
            { slug: 'graphql', name: 'GraphQL' },
          ],
        }),
      ]);
      expect(market.body.data.jobs.edges.map((e: any) => e.node)).toEqual([
        expect.objectContaining({
          budget: { amount: '300.00', currency: 'USD' },
          poster: { displayName: 'Katherine Johnson' },
        }),
      ]);

      // The web app is served at / (built by npm start when missing or stale), and the app's own routes too.
      expect(output()).toContain(`http://localhost:${routerPort}/`);
      for (const path of ['/', '/wallet']) {
        const page = await fetch(`http://127.0.0.1:${routerPort}${path}`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain('<div id="root"></div>');
        expect(html).toMatch(/<script type="module"[^>]* src="\/assets\/index-[\w-]+\.js"/);
      }

      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000); // a busy machine may need most of the 90 s start-up allowance (the web app build included)
});
