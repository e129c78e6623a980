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

/** The message to show for an API refusal: ours when we know the code, the server's otherwise. */
export function errorText(error) {
  if (!error) return t("error.generic");
  if (error.code === "network") return t("error.network");
  const key = `error.${error.code}`;
  if (has(key)) return t(key);
  return error.message || t("error.generic");
}
