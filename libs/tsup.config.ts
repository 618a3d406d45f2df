import { defineConfig } from 'tsup';

// The Node packages' build (tsup looks for its config from the package's folder up): ESM and CommonJS, each with its
// bundled declarations. The client, which also runs in browsers, has its own config next to it.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  tsconfig: 'tsconfig.build.json',
});
