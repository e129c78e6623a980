// @ts-check
// The announcement's markup, read as services/markup.py reads it (the browser tier checks they
// agree), built as DOM nodes: the text is never parsed as HTML.

import { h, safeHref } from "./dom.js";

/** @typedef {{text: string, bold: boolean, italic: boolean}} MarkupSpan */
/** @typedef {{href: string | null, spans: MarkupSpan[]}} MarkupRun */
/** @typedef {string | {size: number, opens: boolean, closes: boolean} | {href: string | null}} Token */

// Explicit sets, not \s: Python's differs.
const SPACE = " \t\n";
const ESCAPABLE = "\\*[]()";
const URL_CHAR = "[^\\x00-\\x20\\x7f()<>\"'`\\\\]";
const LINK = new RegExp(`\\[([^\\[\\]\\n]+)\\]\\((${URL_CHAR}*(?:\\(${URL_CHAR}*\\)${URL_CHAR}*)*)\\)`, "y");
const LINK_START = /\[[^[\]\n]*\]\(/y;
const HREF = /^(?:https:\/\/[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?:[/?#][^\n]*)?|mailto:[^@/?#:\n]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:\?[^\n]*)?)$/;

/** @param {string} text @param {Token[]} out @param {boolean} links */
function tokenize(text, out, links) {
  for (let i = 0; i < text.length;) {
    const char = text[i];
    if (char === "\\" && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      out.push(text[i + 1]);
      i += 2;
    } else if (char === "*") {
      let end = i;
      while (text[end] === "*") end += 1;
      out.push(end - i > 3 ? text.slice(i, end)
        : { size: end - i, opens: !SPACE.includes(text[end] || " "), closes: !SPACE.includes(text[i - 1] || " ") });
      i = end;
    } else {
      LINK_START.lastIndex = LINK.lastIndex = i;
      const found = char === "[" && links && LINK_START.test(text) ? LINK.exec(text) : null;
      if (found && found[1].replace(/^[ \t]+|[ \t]+$/g, "") && HREF.test(found[2])) {
        out.push({ href: found[2] });
        tokenize(found[1], out, false);
        out.push({ href: null });
        i += found[0].length;
      } else {
        out.push(char);
        i += 1;
      }
    }
  }
}

/** Emphasis opens only where a closer follows. @param {Token[]} tokens */
function runs(tokens) {
  /** @type {boolean[][]} */
  const closersAfter = [];
  let boldLater = false;
  let italicLater = false;
  for (let k = tokens.length - 1; k >= 0; k -= 1) {
    closersAfter[k] = [boldLater, italicLater];
    const token = tokens[k];
    if (typeof token === "object" && "size" in token && token.closes) {
      boldLater = boldLater || token.size >= 2;
      italicLater = italicLater || token.size !== 2;
    }
  }
  /** @type {MarkupRun[]} */
  const out = [];
  let bold = false;
  let italic = false;
  /** @type {string | null} */
  let href = null;
  let newRun = true;
  const add = (/** @type {string} */ text) => {
    if (newRun) out.push({ href, spans: [] });
    newRun = false;
    const spans = out[out.length - 1].spans;
    const last = spans[spans.length - 1];
    if (last && last.bold === bold && last.italic === italic) last.text += text;
    else spans.push({ text, bold, italic });
  };
  tokens.forEach((token, k) => {
    if (typeof token === "string") add(token);
    else if ("href" in token) {
      href = token.href;
      newRun = true;
    } else {
      const [boldCloser, italicCloser] = closersAfter[k];
      for (const unit of token.size === 3 ? ["**", "*"] : ["*".repeat(token.size)]) {
        if (unit === "**" && bold && token.closes) bold = false;
        else if (unit === "**" && !bold && token.opens && boldCloser) bold = true;
        else if (unit === "*" && italic && token.closes) italic = false;
        else if (unit === "*" && !italic && token.opens && italicCloser) italic = true;
        else add(unit);
      }
    }
  });
  return out;
}

/** @param {string} text @returns {MarkupRun[][]} paragraphs of runs (a link, or text) */
export function parseMarkup(text) {
  return text.replace(/\r\n?/g, "\n").split(/\n[ \t]*\n/)
    .map((block) => block.replace(/^[ \t\n]+|[ \t\n]+$/g, ""))
    .filter(Boolean)
    .map((block) => {
      /** @type {Token[]} */
      const tokens = [];
      tokenize(block, tokens, true);
      return runs(tokens);
    });
}

/** @param {MarkupSpan} span */
function spanNode({ text, bold, italic }) {
  /** @type {Child} */
  let node = text.split("\n").flatMap((line, k) => (k ? [h("br", {}), line] : [line]));
  if (italic) node = h("em", {}, node);
  if (bold) node = h("strong", {}, node);
  return node;
}

/** One <p> per paragraph; links in the same tab unless `newTab`.
 * @param {string} text @param {boolean} [newTab] */
export function renderMarkup(text, newTab = false) {
  return parseMarkup(text).map((paragraph) => h("p", {}, paragraph.map((run) => {
    const spans = run.spans.map(spanNode);
    const href = run.href && safeHref(run.href);
    return href ? h("a", { href, rel: "noopener noreferrer", target: newTab ? "_blank" : null }, spans) : spans;
  })));
}
