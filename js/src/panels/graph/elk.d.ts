// elkjs's worker bundle, imported as text (esbuild: `with { type: "text" }`) and
// started from a Blob URL by layout.ts.
declare module "elkjs/lib/elk-worker.min.js" {
  const source: string;
  export default source;
}
