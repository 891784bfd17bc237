import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateAssertionKeys } from '@azora/kit';
import { freePort, graphql, runRouterProcess } from '@azora/testing';
import { SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { readSupergraphConfig, subgraphUrlVariable } from '../router/src/supergraph-config';

// The production path, which jest cannot run in-process (the OTLP exporter loads node:http by dynamic import):
// a real router process with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans to a collector.
describe('the router process with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('exports its spans over OTLP/HTTP and flushes them on SIGTERM', async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));

    const port = await freePort();
    const nowhere = await freePort(); // no subgraph runs: the fetch spans end in errors, which is fine here
    const env: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      OTEL_SERVICE_NAME: undefined,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Far beyond the test: spans can only arrive through the flush on shutdown.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      AZORA_ROUTER_PRIVATE_KEY: generateAssertionKeys().privateKey,
    };
    for (const { name } of readSupergraphConfig(SUPERGRAPH_CONFIG))
      env[subgraphUrlVariable(name)] = `http://127.0.0.1:${nowhere}/graphql`;
    const router = runRouterProcess([], port, env);
    try {
      await router.listening();
      // Allowed for anyone, so the gateway plans it and fetches from the (absent) Aegis.
      await graphql(router.url, '{ me { id } }');
      expect(received).toEqual([]);

      expect(await router.stop()).toBe(0);
      const traces = received
        .filter((r) => r.path === '/v1/traces')
        .map((r) => r.body)
        .join('\n');
      expect(traces).toContain('"router"'); // service.name
      expect(traces).toContain('POST /graphql');
      expect(traces).toContain('gateway.request');
      expect(traces).toContain('gateway.fetch');
    } finally {
      router.child.kill('SIGKILL');
      collector.close();
    }
  });
});
