/**
 * One of the N processes of the concurrent HTTP floor: the daemon-concurrency worker less
 * everything statehouse does. Each "increment" is one keep-alive node:http POST of the same body
 * the remote client sends, to a trivial server that answers `{}` (the loop and its report:
 * worker-loop.ts).
 */
import { Agent, request } from "node:http";
import { runIncrementWorker } from "./worker-loop.js";

const [socket, countText] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve());
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

runIncrementWorker(async () => {
  const increment = () => post("/v1/state/counter/increment", '{"pointer":"/n","by":1}');
  return {
    increment,
    warm: increment,
    close: async () => agent.destroy(),
  };
}, Number(countText));
