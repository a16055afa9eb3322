export { type TestServer, type TestServerOptions, findPostgresBinDir, startTestServer } from "./test-server.js";
