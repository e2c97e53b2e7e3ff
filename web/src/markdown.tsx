import type { ComponentChildren, JSX } from "preact";

/**
 * A small, safe Markdown subset, rendered as Preact elements (never as HTML text, so no markup
 * in the source can reach the page as markup): paragraphs (blank lines between them), `-`/`*`
 * and `1.` lists, **bold**, *italic*, `code` and [links](https://…). A link is a link only
 * when its address is absolute http or https; any other (`javascript:`, `data:`, relative)
 * shows its text only. Anything else is shown as the text it is.
 */
export function Markdown({ text, class: className }: { text: string; class?: string }) {
  return <div class={`markdown${className ? ` ${className}` : ""}`}>{blocks(text)}</div>;
}

type Block = { kind: "p"; lines: string[] } | { kind: "ul" | "ol"; items: string[] };

const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;

function blocks(text: string): JSX.Element[] {
  const out: Block[] = [];
  let current = null as Block | null;
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trimEnd();
    if (line.trim() === "") { current = null; continue; }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const kind = bullet ? "ul" : "ol";
      const item = (bullet ?? numbered)![1]!;
      if (current?.kind === kind) current.items.push(item);
      else { current = { kind, items: [item] }; out.push(current); }
    } else if (current && current.kind !== "p" && /^\s/.test(line)) {
      // an indented line goes on with the list's last item
      current.items[current.items.length - 1] += ` ${line.trim()}`;
    } else if (current?.kind === "p") {
      current.lines.push(line.trim());
    } else {
      current = { kind: "p", lines: [line.trim()] };
      out.push(current);
    }
  }
  return out.map((b, i) => b.kind === "p"
    ? <p key={i}>{inline(b.lines.join("\n"), 0)}</p>
    : b.kind === "ul"
      ? <ul key={i}>{b.items.map((item, j) => <li key={j}>{inline(item, 0)}</li>)}</ul>
      : <ol key={i}>{b.items.map((item, j) => <li key={j}>{inline(item, 0)}</li>)}</ol>);
}

/** http and https addresses only: the one kind of link that cannot run script or leave the page's origin rules */
export function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** emphasis inside emphasis is fine; deeper than this is shown as text */
const MAX_DEPTH = 4;

function inline(text: string, depth: number): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let plain = "";
  const flush = () => { if (plain) { out.push(plain); plain = ""; } };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length && /[\\`*_[\]()]/.test(text[i + 1]!)) {
      plain += text[i + 1]; i += 2; continue;
    }
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) { flush(); out.push(<code key={out.length}>{text.slice(i + 1, end)}</code>); i = end + 1; continue; }
    }
    if (depth < MAX_DEPTH && c === "*" && text[i + 1] === "*") {
      const end = text.indexOf("**", i + 2);
      if (end > i + 2 && !/\s/.test(text[i + 2]!)) {
        flush(); out.push(<strong key={out.length}>{inline(text.slice(i + 2, end), depth + 1)}</strong>); i = end + 2; continue;
      }
    }
    // `_` only around words (snake_case_names stay as they are)
    if (depth < MAX_DEPTH && (c === "*" || (c === "_" && !/\w/.test(text[i - 1] ?? ""))) && text[i + 1] !== c && i + 1 < text.length && !/\s/.test(text[i + 1]!)) {
      const end = closing(text, c, i + 1);
      if (end > 0) { flush(); out.push(<em key={out.length}>{inline(text.slice(i + 1, end), depth + 1)}</em>); i = end + 1; continue; }
    }
    if (c === "[") {
      const link = /^\[([^\]\n]+)\]\(([^()\s]+)\)/.exec(text.slice(i));
      if (link) {
        flush();
        const href = safeHref(link[2]!);
        const label = depth < MAX_DEPTH ? inline(link[1]!, depth + 1) : link[1];
        out.push(href ? <a key={out.length} href={href} target="_blank" rel="noopener noreferrer">{label}</a> : <span key={out.length}>{label}</span>);
        i += link[0].length;
        continue;
      }
    }
    plain += c;
    i++;
  }
  flush();
  return out;
}

/** the single `mark` that closes an emphasis opened before `from` (not a `**`) */
function closing(text: string, mark: string, from: number): number {
  for (let j = from + 1; j < text.length; j++) {
    if (text[j] === "`") { const end = text.indexOf("`", j + 1); if (end > 0) { j = end; continue; } }
    if (text[j] === mark && text[j + 1] !== mark && text[j - 1] !== mark && !/\s/.test(text[j - 1]!) && (mark !== "_" || !/\w/.test(text[j + 1] ?? ""))) return j;
  }
  return -1;
}
