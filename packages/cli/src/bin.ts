import { run } from "./main.js";

// bin/statehouse.js enables the compile cache, then imports this bundle.
const status = await run(process.argv.slice(2));
// Exit at once: stdout and stderr are synchronous for files, pipes and terminals on POSIX, so
// nothing printed is lost, and no adapter handle left open can hold the process up.
process.exit(status);
