// @ts-check
// English, French and Polish. The language is the signed-in user's setting, else the one chosen
// on the sign-in page, else the browser's (navigator.languages), else the portal's default.
// Each language is two modules: lang/<code>/shell.js, what the shell and the signed-out pages
// say (and every error), and lang/<code>/pages.js, the rest, loaded once a page past sign-in
// is shown. So the sign-in page loads one language, and only the strings it says.

/** @type {Record<string, string>} */
export const LANGUAGES = { en: "English", fr: "Français", pl: "Polski" };
const STORED = "parley.lang";

/** @typedef {Record<string, string | Record<string, string>>} Strings */

let current = "en";
/** @type {Strings} */
let dictionary = {};
let plurals = new Intl.PluralRules("en");
/** The parts wanted ("shell", and "pages" from the first page past sign-in), in any language. */
const wanted = new Set(["shell"]);
/** Each part loaded so far, by "<code>/<part>". @type {Map<string, Strings>} */
const loaded = new Map();

export function language() {
  return current;
}

export function storedLanguage() {
  try {
    const value = localStorage.getItem(STORED);
    return value && value in LANGUAGES ? value : null;
  } catch {
    return null;
  }
}

export function rememberLanguage(/** @type {string} */ code) {
  try {
    localStorage.setItem(STORED, code);
  } catch {
    // not remembered: fine
  }
}

export function browserLanguage() {
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in LANGUAGES) return base;
  }
  return null;
}

/** @param {{user?: User | null, portalDefault?: string}} [given] */
export function chooseLanguage({ user, portalDefault = "" } = {}) {
  if (user && user.language in LANGUAGES) return user.language;
  return storedLanguage() || browserLanguage() || (portalDefault in LANGUAGES ? portalDefault : "en");
}

/** Loads every part wanted so far in `code`, parts wanted meanwhile included. */
async function fill(/** @type {string} */ code) {
  for (;;) {
    const missing = [...wanted].filter((part) => !loaded.has(`${code}/${part}`));
    if (!missing.length) return;
    const modules = await Promise.all(missing.map((part) => import(`./lang/${code}/${part}.js`)));
    missing.forEach((part, i) => loaded.set(`${code}/${part}`, modules[i].default));
  }
}

function merged(/** @type {string} */ code) {
  return Object.assign({}, ...[...wanted].map((part) => loaded.get(`${code}/${part}`)));
}

export async function loadLanguage(/** @type {string} */ code) {
  const chosen = code in LANGUAGES ? code : "en";
  await fill(chosen);
  dictionary = merged(chosen);
  current = chosen;
  plurals = new Intl.PluralRules(chosen);
  document.documentElement.lang = chosen;
}

/** Adds a part ("pages") to the language shown, and to any chosen later. */
export async function loadStrings(/** @type {string} */ part) {
  wanted.add(part);
  const code = current;
  await fill(code);
  if (code === current) dictionary = merged(code);
}

/** t("tickets.count", {count: 3}); a value that is an object holds plural forms.
 * @param {string} key @param {Record<string, string | number>} [vars] */
export function t(key, vars = {}) {
  const entry = dictionary[key];
  const value = entry && typeof entry === "object"
    ? entry[plurals.select(Number(vars.count) || 0)] ?? entry.other : entry;
  if (typeof value !== "string") return key;
  return value.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

export function has(/** @type {string} */ key) {
  return key in dictionary;
}

/** @param {string | null | undefined} iso @param {{withTime?: boolean}} [options] */
export function formatDate(iso, { withTime = true } = {}) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(current, withTime
    ? { dateStyle: "medium", timeStyle: "short" }
    : { dateStyle: "medium" }).format(date);
}

/** "5 min ago" for recent moments, a date otherwise. */
export function relativeTime(/** @type {string | null | undefined} */ iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const seconds = (date.getTime() - Date.now()) / 1000;
  const format = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(Math.round(seconds), "second");
  if (abs < 3600) return format.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return format.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return format.format(Math.round(seconds / 86400), "day");
  return formatDate(iso, { withTime: false });
}

/** "12 KB", "2.5 MB" in the page's language (1 KB = 1,024 bytes). */
export function formatSize(/** @type {number} */ bytes) {
  const value = Number(bytes) || 0;
  /** @type {[number, string]} */
  const [amount, unit] = value >= 1024 * 1024 ? [value / (1024 * 1024), "megabyte"]
    : value >= 1024 ? [value / 1024, "kilobyte"] : [value, "byte"];
  // Bytes in full ("500 bytes", "500 octets"): the short English unit reads "500 byte".
  return new Intl.NumberFormat(current, { style: "unit", unit,
    unitDisplay: unit === "byte" ? "long" : "short",
    maximumFractionDigits: amount < 10 ? 1 : 0 }).format(amount);
}

/** A refusal's numbers as its message shows them: sizes (`…bytes`) in KB/MB, others grouped. */
function errorVars(/** @type {unknown} */ details) {
  /** @type {Record<string, string>} */
  const vars = {};
  if (!details || typeof details !== "object" || Array.isArray(details)) return vars;
  for (const [name, value] of Object.entries(details)) {
    if (typeof value === "number") {
      vars[name] = /bytes$/.test(name) ? formatSize(value) : new Intl.NumberFormat(current).format(value);
    } else if (typeof value === "string") {
      vars[name] = value;
    }
  }
  return vars;
}

/** A field's path as a person reads it: "support_alert_recipients.cc.0" is
 * "Extra recipients of support alerts › Cc 1" (labels are the dictionaries' `field.*`). */
export function fieldLabel(/** @type {string | undefined} */ path) {
  /** @type {string[]} */
  const words = [];
  for (const part of String(path || "").split(".").filter(Boolean)) {
    if (/^\d+$/.test(part) && words.length) words[words.length - 1] += ` ${Number(part) + 1}`;
    else words.push(has(`field.${part}`) ? t(`field.${part}`) : part.replace(/_/g, " "));
  }
  return words.join(" › ");
}

/** One problem of a refused form ({field, code, limit...}): the field in words, then the problem
 * in the page's language; the server's English only for a code this page does not know. */
export function fieldErrorText(/** @type {ErrorDetail | null | undefined} */ detail) {
  if (!detail) return t("error.generic");
  const key = `error.${detail.code}`;
  const message = has(key) ? t(key, errorVars(detail)) : detail.message || t("error.invalid_input");
  const field = fieldLabel(detail.field);
  return field ? t("error.fieldMessage", { field, message }) : message;
}

/** The message to show for an API refusal: ours when we know the code, the server's otherwise.
 * A refused form names its first problem's field; a refusal's numbers fill the message. */
export function errorText(/** @type {unknown} */ error) {
  if (!error || typeof error !== "object") return t("error.generic");
  /** @type {{code?: string, message?: string, details?: unknown}} */
  const refusal = error;
  if (refusal.code === "network") return t("error.network");
  /** @type {ErrorDetail[]} */
  const problems = Array.isArray(refusal.details) ? refusal.details : [];
  const first = problems.find((detail) => detail && has(`error.${detail.code}`));
  if (first) return fieldErrorText(first);
  const key = `error.${refusal.code}`;
  if (has(key)) return t(key, errorVars(refusal.details));
  return refusal.message || t("error.generic");
}
