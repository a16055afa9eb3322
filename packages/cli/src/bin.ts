import { exitOnBrokenOutput, exitWhenFlushed } from "./io/exit-flushed.js";
import { run } from "./main.js";

// bin/statehouse.js enables the compile cache, then imports this bundle.
exitOnBrokenOutput();
const status = await run(process.argv.slice(2));
// Exit once stdout and stderr are flushed (a pipe's writes are asynchronous once it is full), and
// then at once, so that no adapter handle left open can hold the process up.
await exitWhenFlushed(status);
