import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard: web/ is the Vite root; the build goes to dist/web, which `herald server` serves at /.
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npx vite` during development, against `herald server` on its default address.
    proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } },
  },
});
