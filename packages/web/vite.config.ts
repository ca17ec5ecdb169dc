import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Builds the inbox to dist/ (index.html + hashed files under assets/), which the gateway
 * serves at `/` (packages/server/src/web/spa-routes.ts). `npm run dev -w @countersign/web`
 * serves it with hot reload and forwards the API to a gateway on :8080.
 */
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No `data:` fonts or inlined scripts: everything is a file the CSP's 'self' allows.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/v1': 'http://localhost:8080',
      '/auth': 'http://localhost:8080',
    },
  },
});
