import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// `npm run dev -w @switchboard/web` serves the app with hot reload and sends /api and /socket.io to an api on
// :8000 (npm start); the gateway URL comes from that api's /api/config as in production.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/socket.io': { target: 'http://127.0.0.1:8000', ws: true },
    },
  },
  test: {
    include: ['src/**/*.spec.{ts,tsx}'],
    environment: 'node',
    testTimeout: 15000,
  },
});
