// vitest: node by default; DOM tests opt into happy-dom with a file comment.
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // the real bundle inlines the worker's source (build.mjs); tests get an empty one
    alias: { "inline-worker:layout": new URL("./src/layout/workerStub.ts", import.meta.url).pathname },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
