import { defineConfig } from "tsup";

export default defineConfig([
  // The library entry: split, so importing it loads only what is used.
  {
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "node20",
    dts: true,
    clean: false,
    sourcemap: true,
    splitting: true,
  },
  // The command: ONE file. Node 20's ESM loader pays per module (resolve, read, link), and
  // every hook runs this, so the hot path is a single module plus core and one adapter. Each
  // command's code still runs only when that command is run (esbuild wraps it lazily), and
  // external packages (cli-table3, the adapters) are still imported only on demand.
  {
    entry: { bin: "src/bin.ts" },
    format: ["esm"],
    target: "node20",
    clean: false,
    sourcemap: true,
    splitting: false,
  },
  // The thin client (thin.ts), run first by bin/statehouse.js on every command: ONE small CommonJS
  // file (an ES module entry would load Node's ESM loader, which costs a hook more than this file's
  // whole work), with the locating code of the server and core bundled in from their sources, so
  // that only the modules it uses come along and forwarding to a daemon loads nothing else.
  {
    entry: { thin: "src/thin.ts" },
    format: ["cjs"],
    target: "node20",
    clean: false,
    sourcemap: true,
    splitting: false,
    noExternal: [/^@statehouse\//],
    esbuildOptions(options) {
      options.alias = {
        "@statehouse/server/locate": "../server/src/daemon/locate-entry.ts",
        "@statehouse/core/spi": "../core/src/spi/index.ts",
        "@statehouse/core": "../core/src/index.ts",
      };
    },
  },
]);
