import { defineConfig } from "tsup";

export default defineConfig({
  entry: [
    "src/cli.ts",
    "src/gate-cli.ts",
    "src/gate-eval.ts",
    "src/index.ts",
    "src/child.ts",
    "src/increment-worker.ts",
    "src/watch-writer.ts",
    "src/daemon-increment-worker.ts",
    "src/http-floor-worker.ts",
    "src/commit-floor-worker.ts",
  ],
  format: ["esm"],
  target: "node20",
  dts: false,
  clean: true,
  sourcemap: true,
});
