// A file imported with the `?gzip64` suffix (js/build.mjs): a function returning its
// gzipped bytes as base64. layout.ts imports elkjs's worker bundle this way.
declare module "*?gzip64" {
  const gzip64: () => string;
  export default gzip64;
}
