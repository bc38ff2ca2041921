// Build the viewer into ../mgdebug/static/. The layout worker is bundled first and inlined
// as a string (it is started from a Blob URL); then two entries share it:
//   src/widget.ts     -> widget.js      one ESM file, anywidget's `_esm`
//   src/standalone.ts -> standalone.js  an IIFE that boots a saved-trace page (export_html.py
//                                       inlines it in a classic <script>)
// and src/widget.css is minified. Same inputs, same bytes.
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

const workerSource = build({
  ...common,
  entryPoints: [here("src/layout/worker.ts")],
  format: "iife",
  write: false,
}).then((out) => out.outputFiles[0].text);

const inlineWorker = {
  name: "inline-worker",
  setup(b) {
    b.onResolve({ filter: /^inline-worker:layout$/ }, () => ({ path: "layout", namespace: "inline-worker" }));
    b.onLoad({ filter: /.*/, namespace: "inline-worker" }, async () => ({
      contents: `export default ${JSON.stringify(await workerSource)};`,
      loader: "js",
    }));
  },
};

await Promise.all([
  build({
    ...common,
    entryPoints: [here("src/widget.ts")],
    format: "esm",
    outfile: here("../mgdebug/static/widget.js"),
    plugins: [inlineWorker],
  }),
  build({
    ...common,
    entryPoints: [here("src/standalone.ts")],
    format: "iife",
    outfile: here("../mgdebug/static/standalone.js"),
    plugins: [inlineWorker],
  }),
  build({ ...common, entryPoints: [here("src/widget.css")], outfile: here("../mgdebug/static/widget.css") }),
]);
