import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is served from app://lgc/ (Electron) or the loopback browser host: relative base.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: false,
    target: 'chrome130',
  },
});
