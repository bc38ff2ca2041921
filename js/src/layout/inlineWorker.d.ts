// build.mjs resolves this import to the layout worker's bundled source text.
declare module "inline-worker:layout" {
  const source: string;
  export default source;
}
