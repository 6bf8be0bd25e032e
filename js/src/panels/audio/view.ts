/**
 * The Audio view: per tag a waveform and a spectrogram of the selected clip, an audio
 * player, and A/B: two slots (run + step each) and a switch that keeps the play position.
 */
import type { AnyModel } from "@anywidget/types";
import { el, fillSelect, followTheme } from "../../lib/dom";
import { readTheme } from "../../lib/theme";
import { type MediaEntry, type MediaModel, type MediaState, StepControl, uniqueSorted } from "../../lib/media";
import { heat, parseWav, spectrogram, waveformColumns } from "./signal";

const WIDTH = 520;
const WAVE_H = 80;
const SPEC_H = 96;

interface Slot {
  run: HTMLSelectElement;
  step: number | null;
}

export class AudioView {
  private readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly tagSelect: HTMLSelectElement;
  private readonly sampleSelect: HTMLSelectElement;
  private readonly control: StepControl;
  private readonly slots: [Slot, Slot];
  private readonly abButton: HTMLButtonElement;
  private readonly player: HTMLAudioElement;
  private readonly wave: HTMLCanvasElement;
  private readonly spec: HTMLCanvasElement;
  private readonly caption: HTMLElement;
  private active: 0 | 1 = 0;
  private shownId = -1;
  /** theme and state subscriptions, released on destroy */
  private readonly offs: (() => void)[];

  constructor(model: AnyModel<MediaModel>, host: HTMLElement, private readonly state: MediaState) {
    this.root = el("div", "nbviz-root nbviz-media-root nbviz-audio");
    const bar = el("div", "nbviz-media-bar");
    this.tagSelect = el("select", "nbviz-audio-tag");
    this.sampleSelect = el("select", "nbviz-audio-sample");
    this.control = new StepControl((step) => {
      this.slots[this.active].step = step;
      this.show();
    }, false);
    const slot = (): Slot => ({ run: el("select", "nbviz-audio-run"), step: null });
    this.slots = [slot(), slot()];
    this.abButton = el("button", "nbviz-audio-ab", "A");
    this.abButton.title = "switch between A and B (keeps the play position)";
    const labelled = (text: string, input: HTMLElement) => {
      const l = el("label", undefined, text);
      l.append(input);
      return l;
    };
    bar.append(el("span", "nbviz-media-title", model.get("title") || "Audio"), labelled("tag", this.tagSelect),
      labelled("clip", this.sampleSelect), labelled("A", this.slots[0].run), labelled("B", this.slots[1].run),
      this.abButton, this.control.root);
    this.body = el("div", "nbviz-audio-body");
    this.caption = el("div", "nbviz-audio-caption");
    this.wave = el("canvas", "nbviz-audio-wave");
    this.spec = el("canvas", "nbviz-audio-spec");
    this.player = el("audio", "nbviz-audio-player");
    this.player.controls = true;
    this.body.append(this.caption, this.wave, this.spec, this.player);
    this.root.append(bar, this.body);
    host.append(this.root);
    this.tagSelect.addEventListener("change", () => this.refresh());
    this.sampleSelect.addEventListener("change", () => this.show());
    for (const s of this.slots) s.run.addEventListener("change", () => this.refresh());
    this.abButton.addEventListener("click", () => {
      this.active = this.active === 0 ? 1 : 0;
      this.abButton.textContent = this.active === 0 ? "A" : "B";
      this.refresh();
    });
    this.offs = [followTheme(this.root, host), state.subscribe((change) => {
      if (change.entries) this.refresh();
      else if (change.blobs.length) this.show();
    })];
    this.refresh();
  }

  private refresh(): void {
    const tags = this.state.tags();
    fillSelect(this.tagSelect, tags);
    const tag = this.tagSelect.value;
    const runs = this.state.runs(tag);
    fillSelect(this.slots[0].run, runs);
    const before = this.slots[1].run.value;
    fillSelect(this.slots[1].run, runs);
    if (!before && runs.length > 1) this.slots[1].run.value = runs[1]!;
    const slot = this.slots[this.active];
    const steps = this.state.steps(tag, slot.run.value);
    this.control.setSteps(steps);
    let samples = 0;
    for (const s of steps) samples = Math.max(samples, this.state.at(tag, slot.run.value, s).length);
    fillSelect(this.sampleSelect, Array.from({ length: samples }, (_, i) => String(i)));
    this.show();
  }

  private entry(): MediaEntry | undefined {
    const slot = this.slots[this.active];
    const step = slot.step ?? this.control.step;
    return this.state.at(this.tagSelect.value, slot.run.value, step)[Number(this.sampleSelect.value) || 0];
  }

  private show(): void {
    const entry = this.entry();
    if (!entry) {
      this.caption.textContent = this.state.tags().length ? "no clip at this step" : "No audio logged yet (run.log_audio / writer.add_audio).";
      return;
    }
    const steps = uniqueSorted(this.slots.map((s) => s.step ?? this.control.step));
    this.caption.textContent = `${this.active === 0 ? "A" : "B"}: ${entry.run} · ${entry.tag} · step ${entry.step} · clip ${entry.sample} · ${(entry.meta.samples / entry.meta.sample_rate).toFixed(2)} s at ${entry.meta.sample_rate} Hz`;
    this.root.dataset.steps = steps.join(",");
    const url = this.state.url(entry.id);
    if (!url) {
      this.state.want([entry.id]);
      return;
    }
    if (this.shownId === entry.id) return;
    this.shownId = entry.id;
    const position = this.player.currentTime || 0;
    const playing = !this.player.paused;
    this.player.src = url;
    this.player.dataset.id = String(entry.id);
    this.player.addEventListener("loadedmetadata", () => {
      this.player.currentTime = Math.min(position, this.player.duration || 0);
      if (playing) void this.player.play().catch(() => undefined);
    }, { once: true });
    const blob = this.state.blobs.get(entry.id);
    const pcm = blob ? parseWav(blob.bytes) : null;
    if (pcm) this.draw(pcm.samples);
  }

  private draw(samples: Float32Array): void {
    const theme = readTheme(this.root);
    this.wave.width = WIDTH;
    this.wave.height = WAVE_H;
    const ctx = this.wave.getContext("2d");
    if (ctx) {
      ctx.fillStyle = theme.surface;
      ctx.fillRect(0, 0, WIDTH, WAVE_H);
      const { min, max } = waveformColumns(samples, WIDTH);
      ctx.fillStyle = "#0091ea";
      for (let x = 0; x < WIDTH; x++) {
        const y0 = ((1 - max[x]!) / 2) * WAVE_H;
        const y1 = ((1 - min[x]!) / 2) * WAVE_H;
        ctx.fillRect(x, y0, 1, Math.max(1, y1 - y0));
      }
    }
    const bins = 128;
    const spec = spectrogram(samples, WIDTH, bins * 2);
    this.spec.width = WIDTH;
    this.spec.height = SPEC_H;
    const sctx = this.spec.getContext("2d");
    if (!sctx) return;
    let hi = -Infinity;
    for (const v of spec) if (v > hi) hi = v;
    const lo = hi - 80;
    const image = sctx.createImageData(WIDTH, SPEC_H);
    for (let x = 0; x < WIDTH; x++) {
      for (let y = 0; y < SPEC_H; y++) {
        const k = Math.floor(((SPEC_H - 1 - y) / SPEC_H) * bins);
        const t = Math.min(1, Math.max(0, (spec[x * bins + k]! - lo) / (hi - lo)));
        const [r, g, b] = heat(t);
        const at = (y * WIDTH + x) * 4;
        image.data[at] = r;
        image.data[at + 1] = g;
        image.data[at + 2] = b;
        image.data[at + 3] = 255;
      }
    }
    sctx.putImageData(image, 0, 0);
  }

  destroy(): void {
    this.player.pause();
    for (const off of this.offs) off();
    this.root.remove();
  }
}
