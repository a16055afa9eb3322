import * as module from "node:module";

// Node ≥ 22.1 can cache compiled code between runs; every hook is a new process, so it pays off.
// Node 20 lacks it: feature-detected, never required.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { run } = await import("./main.js");
const status = await run(process.argv.slice(2));
// Exit at once: stdout and stderr are synchronous for files, pipes and terminals on POSIX, so
// nothing printed is lost, and no adapter handle left open can hold the process up.
process.exit(status);
