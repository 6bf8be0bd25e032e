/**
 * regl without its development-time argument checks (the "unchecked" build:
 * ~70 KB less in the bundle, which anywidget resends for every panel instance).
 * Same API and types as "regl".
 */
// @ts-expect-error -- the unchecked build has no .d.ts of its own; typed below
import unchecked from "regl/dist/regl.unchecked.js";
import type createREGLType from "regl";

const createREGL = unchecked as typeof createREGLType;
export default createREGL;
