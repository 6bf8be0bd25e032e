// Build the anywidget ESM bundles: one self-contained file per folder of
// src/panels/ (entry index.ts, CSS inlined as text) plus the shared bundles,
// and the dev harness. (snapshot: the runtime of offline pages, nbviz/export.) The folders follow the panel registry
// (nbviz/panels/__init__.py); tests/python/test_panels.py checks they agree.
import * as esbuild from "esbuild";
import { existsSync, readdirSync } from "node:fs";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");
const staticDir = resolve(here, "../nbviz/static");
const devDir = resolve(here, "dev");

const panelsDir = resolve(here, "src/panels");
/** bundle name -> entry file: src/panels/<name>/index.ts, then the shared bundles. */
const entries = Object.fromEntries([
  ...readdirSync(panelsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(resolve(panelsDir, d.name, "index.ts")))
    .map((d) => [d.name, resolve(panelsDir, d.name, "index.ts")]),
  ["snapshot", resolve(here, "src/snapshot/index.ts")],
  ["dashboard", resolve(here, "src/dashboard/index.ts")],
]);
const panels = Object.keys(entries);

const copyToDev = {
  name: "copy-to-dev",
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length) return;
      await mkdir(devDir, { recursive: true });
      for (const p of panels) await copyFile(resolve(staticDir, `${p}.js`), resolve(devDir, `${p}.js`));
    });
  },
};

// `import text from "<file>?gzip64"`: a function returning the file gzipped, as base64.
// The Graph panel inlines elkjs's 1.6 MB worker this way (0.63 MB): the page never parses
// elk, the string sits in a function V8 only pre-parses until it is called (not while the
// bundle loads), and DecompressionStream unpacks it when a layout first needs the worker.
const gzip64 = {
  name: "gzip64",
  setup(build) {
    build.onResolve({ filter: /\?gzip64$/ }, async (args) => {
      const found = await build.resolve(args.path.slice(0, -"?gzip64".length), {
        kind: args.kind,
        resolveDir: args.resolveDir,
      });
      if (found.errors.length) return { errors: found.errors };
      return { path: found.path, namespace: "gzip64" };
    });
    build.onLoad({ filter: /.*/, namespace: "gzip64" }, async (args) => ({
      contents: `export default function gzip64() { return "${gzipSync(await readFile(args.path), { level: 9 }).toString("base64")}"; }`,
      loader: "js",
    }));
  },
};

const common = {
  bundle: true,
  format: "esm",
  target: ["es2020"],
  loader: { ".css": "text" },
  sourcemap: false,
  legalComments: "none",
  logLevel: "info",
};

const widgetOpts = {
  ...common,
  entryPoints: entries,
  outdir: staticDir,
  minify: !process.env.NBVIZ_NO_MINIFY,
  plugins: [copyToDev, gzip64],
};

const harnessOpts = {
  ...common,
  entryPoints: [resolve(here, "dev/harness.ts")],
  outfile: resolve(devDir, "harness.js"),
  minify: false,
  external: ["./scalars.js"],
};

if (watch) {
  const a = await esbuild.context(widgetOpts);
  const b = await esbuild.context(harnessOpts);
  await Promise.all([a.watch(), b.watch()]);
  console.log("watching… (Ctrl-C to stop)");
} else {
  await esbuild.build(widgetOpts);
  await esbuild.build(harnessOpts);
}
