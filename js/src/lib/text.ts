/** User names (tags, runs) for display: cut to a length, hidden characters made visible. */

// Bidi overrides/isolates/marks and zero-width characters reorder or hide text, so a name
// could display as something it is not ("abc\u202Egnp.exe" shows as "abcexe.png").
// Shown as ⟨U+XXXX⟩, like control characters. Mirrors nbviz._validate.visible_text.
const HIDDEN_CHARS = "\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff\\ud800-\\udfff";
const HIDDEN = new RegExp(`[${HIDDEN_CHARS}]`, "g");
const HAS_HIDDEN = new RegExp(`[${HIDDEN_CHARS}]`);

function mark(ch: string): string {
  return `⟨U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`;
}

/** `text` with hidden characters shown as ⟨U+XXXX⟩ (valid surrogate pairs are kept). */
export function visibleText(text: string): string {
  if (!HAS_HIDDEN.test(text)) return text;
  // A well-formed surrogate pair is one character (e.g. an emoji): keep it.
  return text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g, (ch) =>
    ch.length === 2 ? ch : ch.replace(HIDDEN, mark),
  );
}

/** `text` made visible and cut to `max` characters with "…" (hover shows `hoverText`). */
export function shortText(text: string, max = 120): string {
  if (text.length <= max) return visibleText(text);
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not split a surrogate pair
  const cut = `${text.slice(0, end)}…`;
  return visibleText(cut);
}

/** The full name for a hover title, made visible (capped at 4000 characters). */
export function hoverText(text: string): string {
  return shortText(text, 4000);
}
