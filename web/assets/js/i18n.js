// English, French and Polish. The language is the signed-in user's setting, else the one chosen
// on the sign-in page, else the browser's (navigator.languages), else the portal's default.
// Each dictionary is its own module, so a page loads only the language it shows.

export const LANGUAGES = { en: "English", fr: "Français", pl: "Polski" };
const STORED = "parley.lang";

let current = "en";
let dictionary = {};
let plurals = new Intl.PluralRules("en");

export function language() {
  return current;
}

export function storedLanguage() {
  try {
    const value = localStorage.getItem(STORED);
    return value in LANGUAGES ? value : null;
  } catch {
    return null;
  }
}

export function rememberLanguage(code) {
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

export function chooseLanguage({ user, portalDefault } = {}) {
  if (user && user.language in LANGUAGES) return user.language;
  return storedLanguage() || browserLanguage() || (portalDefault in LANGUAGES ? portalDefault : "en");
}

export async function loadLanguage(code) {
  const chosen = code in LANGUAGES ? code : "en";
  const module = await import(`./lang/${chosen}.js`);
  dictionary = module.default;
  current = chosen;
  plurals = new Intl.PluralRules(chosen);
  document.documentElement.lang = chosen;
}

/** t("tickets.count", {count: 3}); a value that is an object holds plural forms. */
export function t(key, vars = {}) {
  let value = dictionary[key];
  if (value && typeof value === "object") {
    value = value[plurals.select(Number(vars.count) || 0)] ?? value.other;
  }
  if (typeof value !== "string") return key;
  return value.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

export function has(key) {
  return key in dictionary;
}

export function formatDate(iso, { withTime = true } = {}) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(current, withTime
    ? { dateStyle: "medium", timeStyle: "short" }
    : { dateStyle: "medium" }).format(date);
}

/** "5 min ago" for recent moments, a date otherwise. */
export function relativeTime(iso) {
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
export function formatSize(bytes) {
  const value = Number(bytes) || 0;
  const [amount, unit] = value >= 1024 * 1024 ? [value / (1024 * 1024), "megabyte"]
    : value >= 1024 ? [value / 1024, "kilobyte"] : [value, "byte"];
  // Bytes in full ("500 bytes", "500 octets"): the short English unit reads "500 byte".
  return new Intl.NumberFormat(current, { style: "unit", unit,
    unitDisplay: unit === "byte" ? "long" : "short",
    maximumFractionDigits: amount < 10 ? 1 : 0 }).format(amount);
}

/** A refusal's numbers as its message shows them: sizes (`…bytes`) in KB/MB, others grouped. */
function errorVars(details) {
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
export function fieldLabel(path) {
  const words = [];
  for (const part of String(path || "").split(".").filter(Boolean)) {
    if (/^\d+$/.test(part) && words.length) words[words.length - 1] += ` ${Number(part) + 1}`;
    else words.push(has(`field.${part}`) ? t(`field.${part}`) : part.replace(/_/g, " "));
  }
  return words.join(" › ");
}

/** One problem of a refused form ({field, code, limit...}): the field in words, then the problem
 * in the page's language; the server's English only for a code this page does not know. */
export function fieldErrorText(detail) {
  if (!detail) return t("error.generic");
  const key = `error.${detail.code}`;
  const message = has(key) ? t(key, errorVars(detail)) : detail.message || t("error.invalid_input");
  const field = fieldLabel(detail.field);
  return field ? t("error.fieldMessage", { field, message }) : message;
}

/** The message to show for an API refusal: ours when we know the code, the server's otherwise.
 * A refused form names its first problem's field; a refusal's numbers fill the message. */
export function errorText(error) {
  if (!error) return t("error.generic");
  if (error.code === "network") return t("error.network");
  const problems = Array.isArray(error.details) ? error.details : [];
  const first = problems.find((detail) => detail && has(`error.${detail.code}`));
  if (first) return fieldErrorText(first);
  const key = `error.${error.code}`;
  if (has(key)) return t(key, errorVars(error.details));
  return error.message || t("error.generic");
}
