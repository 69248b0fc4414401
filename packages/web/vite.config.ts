import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Built into dist/, which `latch serve` serves at / (packages/server/src/http/console.ts). */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  // `npm run dev -w packages/web` beside a running `latch serve`: the API is proxied, so cookies stay same-origin.
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
