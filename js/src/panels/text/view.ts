/**
 * The Text view: per tag the text at the chosen step, Markdown rendered safely (DOM
 * nodes from ./markdown, never HTML), a raw toggle, and a line diff against another step.
 */
import type { AnyModel } from "@anywidget/types";
import { el, followTheme } from "../../lib/dom";
import { type MediaModel, type MediaState, StepControl, uniqueSorted } from "../../lib/media";
import { diffLines, parseMarkdown, renderBlocks } from "./markdown";

export class TextView {
  private readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly control: StepControl;
  private readonly raw: HTMLInputElement;
  private readonly diff: HTMLSelectElement;
  private readonly unsub: () => void;
  private readonly unTheme: () => void;

  constructor(model: AnyModel<MediaModel>, host: HTMLElement, private readonly state: MediaState) {
    this.root = el("div", "nbviz-root nbviz-media-root nbviz-text");
    const bar = el("div", "nbviz-media-bar");
    this.control = new StepControl(() => this.render(), false);
    this.raw = el("input", "nbviz-text-raw");
    this.raw.type = "checkbox";
    this.diff = el("select", "nbviz-text-diff");
    const rawLabel = el("label", undefined, "raw");
    rawLabel.append(this.raw);
    const diffLabel = el("label", undefined, "diff against step");
    diffLabel.append(this.diff);
    bar.append(el("span", "nbviz-media-title", model.get("title") || "Text"), this.control.root, rawLabel, diffLabel);
    this.body = el("div", "nbviz-text-body");
    this.root.append(bar, this.body);
    host.append(this.root);
    this.raw.addEventListener("change", () => this.render());
    this.diff.addEventListener("change", () => this.render());
    this.unTheme = followTheme(this.root, host);
    this.unsub = state.subscribe((change) => {
      if (change.entries) this.refresh();
    });
    this.refresh();
  }

  private refresh(): void {
    const steps = uniqueSorted(this.state.tags().flatMap((t) => this.state.steps(t)));
    this.control.setSteps(steps);
    const keep = this.diff.value;
    this.diff.replaceChildren(el("option", undefined, "—"), ...steps.map((s) => {
      const o = el("option", undefined, String(s));
      o.value = String(s);
      return o;
    }));
    (this.diff.options[0] as HTMLOptionElement).value = "";
    this.diff.value = steps.map(String).includes(keep) ? keep : "";
    this.render();
  }

  private render(): void {
    const step = this.control.step;
    const tags = this.state.tags();
    this.body.replaceChildren();
    if (!tags.length) {
      this.body.append(el("div", "nbviz-media-empty", "No text logged yet (run.log_text / writer.add_text)."));
      return;
    }
    const against = this.diff.value === "" ? null : Number(this.diff.value);
    for (const tag of tags) {
      this.body.append(el("div", "nbviz-media-tag", tag));
      for (const run of this.state.runs(tag)) {
        for (const entry of this.state.at(tag, run, step)) {
          const card = el("div", "nbviz-text-card");
          card.dataset.tag = tag;
          card.dataset.step = String(entry.step);
          card.append(el("div", "nbviz-text-head", `${run} · step ${entry.step}${entry.meta.truncated ? ` · first ${entry.meta.text.length} of ${entry.meta.truncated} characters` : ""}`));
          const text = String(entry.meta.text ?? "");
          const content = el("div", "nbviz-text-content");
          if (against !== null) {
            const other = this.state.at(tag, run, against)[entry.sample];
            const pre = el("pre", "nbviz-text-diffview");
            for (const line of diffLines(String(other?.meta.text ?? ""), text)) {
              pre.append(el("div", line.op === "+" ? "nbviz-add" : line.op === "-" ? "nbviz-del" : "nbviz-same", `${line.op} ${line.text}`));
            }
            content.append(pre);
          } else if (this.raw.checked) {
            content.append(el("pre", "nbviz-text-rawview", text));
          } else {
            content.classList.add("nbviz-markdown");
            content.append(...renderBlocks(document, parseMarkdown(text)));
          }
          card.append(content);
          this.body.append(card);
        }
      }
    }
  }

  destroy(): void {
    this.unsub();
    this.unTheme();
    this.root.remove();
  }
}
