/**
 * A small Markdown parser that builds DOM nodes, never HTML: user text can neither run
 * script nor inject markup (raw HTML stays visible text; links only http(s)/mailto;
 * images are not loaded, their alt text is shown). Blocks: headings, paragraphs, fenced
 * code, lists, block quotes, tables (GitHub style), rules. Inline: **bold**, *italic*,
 * `code`, [links](https://…), ~~strike~~.
 */

export type Inline =
  | { t: "text"; v: string }
  | { t: "b" | "i" | "s"; c: Inline[] }
  | { t: "code"; v: string }
  | { t: "a"; href: string; c: Inline[] };

export type Block =
  | { type: "h"; level: number; c: Inline[] }
  | { type: "p"; c: Inline[] }
  | { type: "code"; v: string }
  | { type: "ul" | "ol"; items: Inline[][] }
  | { type: "quote"; blocks: Block[] }
  | { type: "table"; header: Inline[][]; rows: Inline[][][] }
  | { type: "hr" };

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Inline Markdown of one line/paragraph. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let buf = "";
  const flush = () => {
    if (buf) out.push({ t: "text", v: buf });
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length && /[\\`*_{}[\]()#+\-.!|~>]/.test(text[i + 1]!)) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i) {
        flush();
        out.push({ t: "code", v: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    const pair = text.startsWith("**", i) ? "**" : text.startsWith("__", i) ? "__" : text.startsWith("~~", i) ? "~~" : null;
    if (pair) {
      const end = text.indexOf(pair, i + 2);
      if (end > i + 2) {
        flush();
        out.push({ t: pair === "~~" ? "s" : "b", c: parseInline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if ((ch === "*" || ch === "_") && text[i + 1] !== " ") {
      const end = text.indexOf(ch, i + 1);
      if (end > i + 1 && text[end - 1] !== " ") {
        flush();
        out.push({ t: "i", c: parseInline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (ch === "!" && text[i + 1] === "[") {
      const m = /^!\[([^\]]*)\]\(([^)\s]*)\)/.exec(text.slice(i));
      if (m) {
        buf += m[1] ? `[image: ${m[1]}]` : "[image]";
        i += m[0].length;
        continue;
      }
    }
    if (ch === "[") {
      const m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(text.slice(i));
      if (m) {
        flush();
        const href = m[2]!;
        if (SAFE_URL.test(href)) out.push({ t: "a", href, c: parseInline(m[1]!) });
        else out.push({ t: "text", v: m[0] });
        i += m[0].length;
        continue;
      }
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|")) s = s.slice(0, -1);
  return s.split("|").map((c) => c.trim());
}

const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/** Block Markdown of a whole text. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  let para: string[] = [];
  const endPara = () => {
    if (para.length) blocks.push({ type: "p", c: parseInline(para.join(" ")) });
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) {
      endPara();
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i]!)) body.push(lines[i++]!);
      i++;
      blocks.push({ type: "code", v: body.join("\n") });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      endPara();
      blocks.push({ type: "h", level: heading[1]!.length, c: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      endPara();
      blocks.push({ type: "hr" });
      i++;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]!)) {
      endPara();
      const header = splitRow(line).map(parseInline);
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && lines[i]!.includes("|") && lines[i]!.trim()) rows.push(splitRow(lines[i++]!).map(parseInline));
      blocks.push({ type: "table", header, rows });
      continue;
    }
    if (/^\s*>/.test(line)) {
      endPara();
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s*>\s?/, ""));
      blocks.push({ type: "quote", blocks: parseMarkdown(body.join("\n")) });
      continue;
    }
    const bullet = /^\s*([-*+]|\d+[.)])\s+/;
    if (bullet.test(line)) {
      endPara();
      const ordered = /^\s*\d/.test(line);
      const items: Inline[][] = [];
      while (i < lines.length && bullet.test(lines[i]!)) items.push(parseInline(lines[i++]!.replace(bullet, "")));
      blocks.push({ type: ordered ? "ol" : "ul", items });
      continue;
    }
    if (!line.trim()) {
      endPara();
      i++;
      continue;
    }
    para.push(line.trim());
    i++;
  }
  endPara();
  return blocks;
}

function inlineNodes(doc: Document, items: Inline[]): Node[] {
  return items.map((item) => {
    if (item.t === "text") return doc.createTextNode(item.v);
    if (item.t === "code") {
      const c = doc.createElement("code");
      c.textContent = item.v;
      return c;
    }
    const tag = item.t === "b" ? "strong" : item.t === "i" ? "em" : item.t === "s" ? "del" : "a";
    const e = doc.createElement(tag);
    if (item.t === "a") {
      (e as HTMLAnchorElement).href = item.href;
      (e as HTMLAnchorElement).target = "_blank";
      (e as HTMLAnchorElement).rel = "noopener noreferrer nofollow";
    }
    e.append(...inlineNodes(doc, item.c));
    return e;
  });
}

/** A `<tag>` element holding `children`. */
function holding(doc: Document, tag: string, children: readonly Node[]): HTMLElement {
  const e = doc.createElement(tag);
  e.append(...children);
  return e;
}

/** DOM nodes of parsed blocks (text always via text nodes / textContent). */
export function renderBlocks(doc: Document, blocks: Block[]): Node[] {
  const cells = (row: Inline[][], tag: "th" | "td") =>
    holding(doc, "tr", row.map((cell) => holding(doc, tag, inlineNodes(doc, cell))));
  return blocks.map((b) => {
    switch (b.type) {
      case "h":
        return holding(doc, `h${Math.min(6, b.level + 2)}`, inlineNodes(doc, b.c));
      case "p":
        return holding(doc, "p", inlineNodes(doc, b.c));
      case "code": {
        const code = doc.createElement("code");
        code.textContent = b.v;
        return holding(doc, "pre", [code]);
      }
      case "ul":
      case "ol":
        return holding(doc, b.type, b.items.map((item) => holding(doc, "li", inlineNodes(doc, item))));
      case "quote":
        return holding(doc, "blockquote", renderBlocks(doc, b.blocks));
      case "table":
        return holding(doc, "table", [cells(b.header, "th"), ...b.rows.map((row) => cells(row, "td"))]);
      default:
        return doc.createElement("hr");
    }
  });
}

export type DiffLine = { op: " " | "+" | "-"; text: string };

/** Line diff of a → b (longest common subsequence; beyond 4M cells: all removed, all added). */
export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.split("\n");
  const y = b.split("\n");
  if (x.length * y.length > 4_000_000) {
    return [...x.map((text) => ({ op: "-" as const, text })), ...y.map((text) => ({ op: "+" as const, text }))];
  }
  const n = x.length;
  const m = y.length;
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = x[i] === y[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
        : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: " ", text: x[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!) out.push({ op: "-", text: x[i++]! });
    else out.push({ op: "+", text: y[j++]! });
  }
  while (i < n) out.push({ op: "-", text: x[i++]! });
  while (j < m) out.push({ op: "+", text: y[j++]! });
  return out;
}
