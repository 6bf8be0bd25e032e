/**
 * WebGL point cloud (regl): one context per view, released on destroy
 * (WEBGL_lose_context). Each point has a start and an end position (the step
 * slider animates between them with the uniform `t`), an RGB colour and a state
 * byte: 0 normal, 1 highlighted (search match / neighbour), 2 selected. When a
 * highlight is active, normal points are dimmed and highlighted ones are drawn
 * in a second pass on top.
 */
import createREGL from "./regl";
import type { Mat4 } from "./camera";

const VERT = `
precision mediump float;
attribute vec3 from, to, color;
attribute float state;
uniform mat4 mvp;
uniform float t, size, pass, highlightOn, dimAlpha;
varying vec3 vColor;
varying float vAlpha, vRing;
void main() {
  float hl = state > 0.5 ? 1.0 : 0.0;
  if ((pass < 0.5 && hl > 0.5 && highlightOn > 0.5) || (pass > 0.5 && hl < 0.5)) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    return;
  }
  gl_Position = mvp * vec4(mix(from, to, t), 1.0);
  gl_PointSize = size * (state > 1.5 ? 2.4 : (hl > 0.5 && highlightOn > 0.5 ? 1.6 : 1.0));
  vColor = color;
  vAlpha = (highlightOn > 0.5 && hl < 0.5) ? dimAlpha : 1.0;
  vRing = state > 1.5 ? 1.0 : 0.0;
}`;

const FRAG = `
precision mediump float;
uniform vec3 ringColor;
varying vec3 vColor;
varying float vAlpha, vRing;
void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r = dot(c, c);
  if (r > 1.0) discard;
  vec3 col = (vRing > 0.5 && r > 0.45) ? ringColor : vColor;
  gl_FragColor = vec4(col, vAlpha);
}`;

export interface FrameParams {
  mvp: Mat4;
  /** draw at most this many points (a uniform random sample), e.g. while the camera moves */
  maxPoints?: number;
  t: number;
  size: number;
  highlightOn: boolean;
  dims: 2 | 3;
  background: [number, number, number];
  ring: [number, number, number];
}

export class PointRenderer {
  readonly canvas: HTMLCanvasElement;
  private regl: createREGL.Regl;
  private gl: WebGLRenderingContext;
  private from: createREGL.Buffer;
  private to: createREGL.Buffer;
  private color: createREGL.Buffer;
  private state: createREGL.Buffer;
  private drawDepth: createREGL.DrawCommand;
  private drawNoMask: createREGL.DrawCommand;
  private drawFlat: createREGL.DrawCommand;
  private count = 0;
  private destroyed = false;
  private readonly uintElements: boolean;
  /** the points in a fixed random order: drawing the first m is a uniform sample */
  private order: createREGL.Elements | null = null;
  private orderSize = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    const gl = canvas.getContext("webgl", { antialias: false, preserveDrawingBuffer: true, alpha: false, premultipliedAlpha: false });
    if (!gl) throw new Error("WebGL is not available in this browser");
    this.gl = gl;
    this.regl = createREGL({ gl, optionalExtensions: ["OES_element_index_uint"] });
    this.uintElements = this.regl.hasExtension("OES_element_index_uint");
    this.from = this.regl.buffer({ usage: "dynamic", type: "float", length: 0 });
    this.to = this.regl.buffer({ usage: "dynamic", type: "float", length: 0 });
    this.color = this.regl.buffer({ usage: "dynamic", type: "uint8", length: 0 });
    this.state = this.regl.buffer({ usage: "dynamic", type: "uint8", length: 0 });
    const command = (enable: boolean, mask: boolean) => this.regl({
      vert: VERT,
      frag: FRAG,
      primitive: "points",
      attributes: {
        from: { buffer: this.from, size: 3 },
        to: { buffer: this.to, size: 3 },
        color: { buffer: this.color, size: 3, normalized: true },
        state: { buffer: this.state, size: 1 },
      },
      uniforms: {
        mvp: this.regl.prop<{ mvp: Mat4 }, "mvp">("mvp"),
        t: this.regl.prop<{ t: number }, "t">("t"),
        size: this.regl.prop<{ size: number }, "size">("size"),
        pass: this.regl.prop<{ pass: number }, "pass">("pass"),
        highlightOn: this.regl.prop<{ highlightOn: number }, "highlightOn">("highlightOn"),
        dimAlpha: this.regl.prop<{ dimAlpha: number }, "dimAlpha">("dimAlpha"),
        ringColor: this.regl.prop<{ ringColor: number[] }, "ringColor">("ringColor"),
      },
      count: this.regl.prop<{ count: number }, "count">("count"),
      elements: this.regl.prop<{ elements: createREGL.Elements | null }, "elements">("elements"),
      blend: {
        enable: true,
        func: { srcRGB: "src alpha", srcAlpha: 1, dstRGB: "one minus src alpha", dstAlpha: 1 },
      },
      depth: { enable, mask },
    });
    this.drawDepth = command(true, true);
    this.drawNoMask = command(true, false);
    this.drawFlat = command(false, false);
  }

  /** Upload positions (xyz [n, 3]) for the start and the end of an animation. */
  setPositions(from: Float32Array, to: Float32Array): void {
    this.count = Math.min(from.length, to.length) / 3;
    if (this.uintElements && this.count !== this.orderSize) {
      this.orderSize = this.count;
      const order = new Uint32Array(this.count);
      for (let i = 0; i < order.length; i++) order[i] = i;
      let seed = 0x9e3779b9;
      for (let i = order.length - 1; i > 0; i--) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const j = seed % (i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      this.order?.destroy();
      this.order = this.count ? this.regl.elements({ data: order, type: "uint32", primitive: "points" }) : null;
    }
    this.from({ data: from, usage: "dynamic" });
    this.to({ data: to, usage: "dynamic" });
  }

  setColors(rgb: Uint8Array): void {
    this.color({ data: rgb, usage: "dynamic" });
  }

  setStates(states: Uint8Array): void {
    this.state({ data: states, usage: "dynamic" });
  }

  get points(): number {
    return this.count;
  }

  render(p: FrameParams): void {
    if (this.destroyed) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.regl.poll();
    const [r, g, b] = p.background;
    this.regl.clear({ color: [r / 255, g / 255, b / 255, 1], depth: 1 });
    if (this.count === 0) return;
    const base = {
      mvp: p.mvp,
      t: p.t,
      size: p.size * dpr,
      highlightOn: p.highlightOn ? 1 : 0,
      dimAlpha: 0.2,
      ringColor: p.ring.map((v) => v / 255),
      count: this.order && p.maxPoints ? Math.min(this.count, p.maxPoints) : this.count,
      elements: this.order,
    };
    const first = p.dims === 2 ? this.drawFlat : p.highlightOn ? this.drawNoMask : this.drawDepth;
    first({ ...base, pass: 0 });
    if (p.highlightOn) this.drawFlat({ ...base, pass: 1 });
    this.gl.flush();
  }

  /** Free the buffers and the WebGL context (browsers allow only a few at once). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      this.regl.destroy();
    } finally {
      this.gl.getExtension("WEBGL_lose_context")?.loseContext();
    }
  }
}
