// @ts-check
// Branding: the colours the admin chose, with text colours that keep WCAG AA contrast.

import { state, setTitle } from "./state.js";

/** @typedef {[number, number, number]} Rgb */

/** @param {string | null | undefined} hex @returns {Rgb | null} */
function rgb(hex) {
  const value = /^#([0-9a-f]{6})$/i.exec(hex || "");
  if (!value) return null;
  const n = parseInt(value[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** @param {Rgb} colour */
function luminance([r, g, b]) {
  const channel = (/** @type {number} */ c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** @param {Rgb} a @param {Rgb} b */
function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

/** @param {Rgb} colour */
function hex(colour) {
  return `#${colour.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

/** @param {Rgb} colour @param {(v: number) => number} fn @returns {Rgb} */
function each([r, g, b], fn) {
  return [fn(r), fn(g), fn(b)];
}

/** The colour itself when readable on `background`, else the nearest darker shade that is.
 * @param {Rgb} colour @param {Rgb} background */
function readableOn(colour, background) {
  let c = colour;
  for (let i = 0; i < 40 && contrast(c, background) < 4.5; i += 1) c = each(c, (v) => v * 0.92);
  return c;
}

/** @param {Partial<Branding>} branding */
export function applyBranding(branding) {
  state.branding = { ...state.branding, ...branding };
  const style = document.documentElement.style;
  /** @type {Rgb} */
  const white = [255, 255, 255];
  /** @type {Rgb} */
  const ink = [17, 24, 39];
  for (const [name, value] of [["primary", branding.primary_color], ["accent", branding.accent_color]]) {
    const colour = rgb(value);
    if (!colour) continue;
    const onWhite = contrast(colour, white) >= contrast(colour, ink);
    // Buttons: the brand colour as is, with whichever text colour reads best on it; links and
    // text: the brand colour darkened until it reads on white.
    style.setProperty(`--${name}`, hex(colour));
    style.setProperty(`--${name}-contrast`, onWhite ? "#ffffff" : "#111827");
    style.setProperty(`--${name}-ink`, hex(readableOn(colour, white)));
    style.setProperty(`--${name}-soft`, hex(each(colour, (v) => v + (255 - v) * 0.9)));
  }
  setTitle("");
}
