// Build the widget: the layout worker is bundled first and inlined as a string (it is
// started from a Blob URL), then src/widget.ts becomes one ESM file and src/widget.css
// is minified, both into ../mgdebug/static/. Same inputs, same bytes.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const common = {
  bundle: true,
  minify: process.env.MGDEBUG_NO_MINIFY !== "1",
  target: "es2020",
  legalComments: "none",
  logLevel: "warning",
};

const inlineWorker = {
  name: "inline-worker",
  setup(b) {
    b.onResolve({ filter: /^inline-worker:layout$/ }, () => ({ path: "layout", namespace: "inline-worker" }));
    b.onLoad({ filter: /.*/, namespace: "inline-worker" }, async () => {
      const out = await build({ ...common, entryPoints: [here("src/layout/worker.ts")], format: "iife", write: false });
      return { contents: `export default ${JSON.stringify(out.outputFiles[0].text)};`, loader: "js" };
    });
  },
};

await build({
  ...common,
  entryPoints: [here("src/widget.ts")],
  format: "esm",
  outfile: here("../mgdebug/static/widget.js"),
  plugins: [inlineWorker],
});
await build({ ...common, entryPoints: [here("src/widget.css")], outfile: here("../mgdebug/static/widget.css") });
