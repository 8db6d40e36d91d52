/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The portal is served by the daemon itself (and by nginx in compose) at `/`;
// every API call is relative, so no host ends up in the bundle.
// `npm run dev` proxies the API to a daemon on ITOSM_DEV_API (default :8080).
const devApi = process.env.ITOSM_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [react()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    proxy: {
      '/graphql': { target: devApi, ws: true, changeOrigin: true },
      // Session, uploads and downloads.
      '/api': { target: devApi, changeOrigin: true },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: { modules: { classNameStrategy: 'non-scoped' } },
    restoreMocks: true,
  },
});
