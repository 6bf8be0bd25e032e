/**
 * Cameras of the projector: 2-D pan/zoom (orthographic) and 3-D orbit
 * (perspective). Matrices are column-major Float32Array(16), as WebGL wants.
 * Points live in a normalised cube [-1, 1]^3 (see `normalise`).
 */

export type Mat4 = Float32Array;

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Float32Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r]! * b[c * 4 + k]!;
      out[c * 4 + r] = s;
    }
  }
  return out;
}

export function perspective(fovy: number, aspect: number, near: number, far: number): Mat4 {
  const f = 1 / Math.tan(fovy / 2);
  const out = new Float32Array(16);
  out[0] = f / aspect;
  out[5] = f;
  out[10] = (far + near) / (near - far);
  out[11] = -1;
  out[14] = (2 * far * near) / (near - far);
  return out;
}

/** View matrix of an eye orbiting the origin at (yaw, pitch, distance), looking at `target`. */
export function orbitView(yaw: number, pitch: number, distance: number, target: readonly number[] = [0, 0, 0]): Mat4 {
  const cp = Math.cos(pitch);
  const eye = [
    target[0]! + distance * cp * Math.sin(yaw),
    target[1]! + distance * Math.sin(pitch),
    target[2]! + distance * cp * Math.cos(yaw),
  ];
  // forward = target - eye; right = forward x up; up' = right x forward
  let fx = target[0]! - eye[0]!;
  let fy = target[1]! - eye[1]!;
  let fz = target[2]! - eye[2]!;
  const fl = Math.hypot(fx, fy, fz) || 1;
  fx /= fl;
  fy /= fl;
  fz /= fl;
  let rx = fy * 0 - fz * 1;
  let ry = fz * 0 - fx * 0;
  let rz = fx * 1 - fy * 0;
  const rl = Math.hypot(rx, ry, rz) || 1;
  rx /= rl;
  ry /= rl;
  rz /= rl;
  const ux = ry * fz - rz * fy;
  const uy = rz * fx - rx * fz;
  const uz = rx * fy - ry * fx;
  const out = new Float32Array(16);
  out[0] = rx;
  out[4] = ry;
  out[8] = rz;
  out[1] = ux;
  out[5] = uy;
  out[9] = uz;
  out[2] = -fx;
  out[6] = -fy;
  out[10] = -fz;
  out[12] = -(rx * eye[0]! + ry * eye[1]! + rz * eye[2]!);
  out[13] = -(ux * eye[0]! + uy * eye[1]! + uz * eye[2]!);
  out[14] = fx * eye[0]! + fy * eye[1]! + fz * eye[2]!;
  out[15] = 1;
  return out;
}

export interface CameraState {
  dims: 2 | 3;
  /** 2-D: centre and zoom (pixels per unit = zoom * min(w, h) / 2) */
  cx: number;
  cy: number;
  zoom: number;
  /** 3-D orbit */
  yaw: number;
  pitch: number;
  distance: number;
}

export function defaultCamera(dims: 2 | 3): CameraState {
  return { dims, cx: 0, cy: 0, zoom: 0.9, yaw: 0.6, pitch: 0.35, distance: 3.6 };
}

/** Clip-space matrix for a viewport of `width` x `height` CSS pixels. */
export function cameraMatrix(c: CameraState, width: number, height: number): Mat4 {
  const w = Math.max(width, 1);
  const h = Math.max(height, 1);
  if (c.dims === 2) {
    const s = Math.min(w, h);
    const sx = (c.zoom * s) / w;
    const sy = (c.zoom * s) / h;
    const out = new Float32Array(16);
    out[0] = sx;
    out[5] = sy;
    out[10] = -0.5; // z in [-1, 1] → keep inside the clip volume
    out[12] = -c.cx * sx;
    out[13] = -c.cy * sy;
    out[15] = 1;
    return out;
  }
  return multiply(perspective(Math.PI / 4, w / h, 0.05, 50), orbitView(c.yaw, c.pitch, c.distance));
}

/** Project one point to CSS pixels (y down) and clip w; null when behind the camera. */
export function projectPoint(m: Mat4, x: number, y: number, z: number, width: number, height: number): [number, number, number] | null {
  const cx = m[0]! * x + m[4]! * y + m[8]! * z + m[12]!;
  const cy = m[1]! * x + m[5]! * y + m[9]! * z + m[13]!;
  const cw = m[3]! * x + m[7]! * y + m[11]! * z + m[15]!;
  if (cw <= 1e-6) return null;
  return [((cx / cw + 1) / 2) * width, ((1 - cy / cw) / 2) * height, cw];
}

/** Pan the 2-D camera by a drag of (dx, dy) CSS pixels. */
export function pan(c: CameraState, dx: number, dy: number, width: number, height: number): CameraState {
  const s = (c.zoom * Math.min(width, height)) / 2;
  return { ...c, cx: c.cx - dx / s, cy: c.cy + dy / s };
}

/** Zoom the 2-D camera by `factor` keeping the data point under (px, py) fixed. */
export function zoomAt(c: CameraState, factor: number, px: number, py: number, width: number, height: number): CameraState {
  const zoom = Math.min(Math.max(c.zoom * factor, 0.05), 5000);
  const s0 = (c.zoom * Math.min(width, height)) / 2;
  const s1 = (zoom * Math.min(width, height)) / 2;
  const ux = (px - width / 2) / s0 + c.cx; // data coords under the cursor
  const uy = -(py - height / 2) / s0 + c.cy;
  return { ...c, zoom, cx: ux - (px - width / 2) / s1, cy: uy + (py - height / 2) / s1 };
}

/** Rotate the 3-D orbit by a drag of (dx, dy) pixels. */
export function orbit(c: CameraState, dx: number, dy: number): CameraState {
  const pitch = Math.min(Math.max(c.pitch + dy * 0.01, -1.5), 1.5);
  return { ...c, yaw: c.yaw - dx * 0.01, pitch };
}

/** Move the 3-D eye closer (factor > 1) or further. */
export function dolly(c: CameraState, factor: number): CameraState {
  return { ...c, distance: Math.min(Math.max(c.distance / factor, 0.3), 30) };
}

/**
 * Positions [n, dims] (row-major) → xyz [n, 3] centred on their mean and scaled
 * so the farthest point (99.9th percentile of |coordinate|, so a few outliers do
 * not shrink the cloud) sits at 1. `use` axes are kept (2 → z = 0).
 */
export function normalise(data: Float32Array, n: number, dims: number, use: number): Float32Array {
  const out = new Float32Array(n * 3);
  const axes = Math.min(use, dims, 3);
  const mean = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let a = 0; a < axes; a++) mean[a]! += data[i * dims + a]!;
  for (let a = 0; a < axes; a++) mean[a]! /= Math.max(n, 1);
  const stride = Math.max(1, Math.floor(n / 20000));
  const sample: number[] = [];
  for (let i = 0; i < n; i += stride) {
    let m = 0;
    for (let a = 0; a < axes; a++) m = Math.max(m, Math.abs(data[i * dims + a]! - mean[a]!));
    sample.push(m);
  }
  sample.sort((p, q) => p - q);
  const scale = sample.length ? sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.999))]! || 1 : 1;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < axes; a++) out[i * 3 + a] = (data[i * dims + a]! - mean[a]!) / scale;
  }
  return out;
}
