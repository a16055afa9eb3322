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
]);
