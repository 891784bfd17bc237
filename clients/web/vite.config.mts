import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w clients/web`: the app on http://localhost:5173 with hot reload, talking to a router started with
// `npm start` (or AZORA_ROUTER_URL). The proxy keeps the app and the API on one origin, as the router serves them.
const router = process.env.AZORA_ROUTER_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      // `ws: true` carries the graphql-ws upgrade on the same path.
      '/graphql': { target: router, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
  },
});
