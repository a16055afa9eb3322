import { run } from "./main.js";

// bin/statehouse.js enables the compile cache, then imports this bundle.
const status = await run(process.argv.slice(2));
// Writes to a pipe are not synchronous once the pipe is full (a large value read by
// `$(statehouse state get …)` was cut at 64–128 KiB): wait until stdout and stderr have handed
// everything to the OS, then exit at once, so no adapter handle left open holds the process up.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write("", () => resolve()))));
process.exit(status);
