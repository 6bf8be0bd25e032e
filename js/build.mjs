// Build the anywidget ESM bundles: one self-contained file per panel
// (CSS inlined as text), plus the dev harness.
import * as esbuild from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");
const staticDir = resolve(here, "../nbviz/static");
const devDir = resolve(here, "dev");

const panels = ["scalars", "pr", "histograms", "distributions", "health", "dashboard", "projector", "profile"];
// Panels already in the per-kind layout (js/src/panels/<kind>/index.ts, issue 10).
const folderPanels = new Set(["profile"]);

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
  entryPoints: Object.fromEntries(
    panels.map((p) => [p, resolve(here, folderPanels.has(p) ? `src/panels/${p}/index.ts` : `src/${p}.ts`)]),
  ),
  outdir: staticDir,
  minify: !process.env.NBVIZ_NO_MINIFY,
  plugins: [copyToDev],
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
