// @ts-check
// Building the page with DOM APIs only. Every string a user or the API supplied becomes a text
// node or an attribute value; nothing is ever parsed as HTML (no innerHTML anywhere), and URLs
// pass through safeHref / safeImageSrc before they reach an attribute.

const BOOLEAN_PROPS = new Set(["checked", "disabled", "hidden", "required", "selected", "multiple",
  "readOnly", "autofocus", "open"]);

/**
 * h("button", {class: "btn", onClick: fn, type: "button"}, "Label", child, [more])
 * Props: class, text, on<Event>, dataset, aria-* / data-* / other attributes, href, src, value.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Record<string, any> | null} props @param {Child[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  /** @type {Record<string, any>} */
  const any = el;
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false && !BOOLEAN_PROPS.has(key)) continue;
      if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      else if (key === "text") el.textContent = String(value);
      else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key === "href") {
        const safe = safeHref(value);
        if (safe) el.setAttribute("href", safe);
      } else if (key === "src") {
        const safe = safeImageSrc(value);
        if (safe) el.setAttribute("src", safe);
      } else if (key === "value") any.value = value;
      else if (BOOLEAN_PROPS.has(key)) any[key] = Boolean(value);
      else if (key === "style") throw new Error("inline styles are not allowed by the CSP");
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** @template {Element} E @param {E} parent @param {Child[]} children @returns {E} */
export function append(parent, ...children) {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, ...child);
    else if (child === null || child === undefined || child === false || child === "") continue;
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** @template {Element} E @param {E} el @returns {E} */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Internal paths ("/tickets/1"), http(s) and mailto links; anything else (javascript:, data:,
 *  protocol-relative //host) is refused. */
export function safeHref(/** @type {unknown} */ value) {
  const text = String(value ?? "").trim();
  if (text.startsWith("/") && !text.startsWith("//") && !text.startsWith("/\\")) return text;
  if (text.startsWith("#")) return text;
  try {
    const url = new URL(text);
    if (["https:", "http:", "mailto:"].includes(url.protocol)) return url.href;
  } catch {
    // not a URL
  }
  return null;
}

export function safeImageSrc(/** @type {unknown} */ value) {
  const text = String(value ?? "").trim();
  if (/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(text)) return text;
  if (text.startsWith("/") && !text.startsWith("//")) return text;
  try {
    const url = new URL(text);
    if (url.protocol === "https:") return url.href;
  } catch {
    // not a URL
  }
  return null;
}

let idCounter = 0;
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form field: label, control, optional hint and error region.
 * @template {Control} C
 * @param {Child} label @param {C} control @param {{hint?: string, optional?: string}} [options]
 * @returns {Field<C>} */
export function field(label, control, { hint, optional } = {}) {
  if (!control.id) control.id = uid("f");
  const hintEl = hint ? h("p", { class: "field__hint", id: `${control.id}-hint`, text: hint }) : null;
  const errorEl = h("p", { class: "field__error", id: `${control.id}-error`, hidden: true });
  const describedBy = [hintEl ? hintEl.id : null, errorEl.id].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", describedBy);
  const wrapper = h("div", { class: "field" },
    h("label", { for: control.id, class: "field__label" }, label,
      optional ? h("span", { class: "field__optional", text: ` ${optional}` }) : null),
    control, hintEl, errorEl);
  return Object.assign(wrapper, {
    control,
    setError(/** @type {string | undefined} */ message) {
      errorEl.textContent = message || "";
      errorEl.hidden = !message;
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    },
  });
}

/** A region that says what just happened, politely, to screen readers too. */
/** @param {"error" | "success" | "info" | "warning"} kind @param {Child} text */
export function notice(kind, text) {
  return h("div", { class: `notice notice--${kind}`, role: kind === "error" ? "alert" : "status" },
    text);
}

export function icon(/** @type {string} */ name) {
  // Tiny inline SVG icons built with DOM APIs (no markup strings).
  const paths = ICONS[name] || ICONS.dot;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `icon icon--${name}`);
  for (const d of paths) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** @type {Record<string, string[]>} */
const ICONS = {
  dot: ["M12 10a2 2 0 1 0 0 4 2 2 0 0 0 0-4z"],
  bell: ["M18 16v-5a6 6 0 1 0-12 0v5l-2 2h16l-2-2z", "M10 20a2 2 0 0 0 4 0"],
  inbox: ["M4 13l2-8h12l2 8v6H4v-6z", "M4 13h5l1 2h4l1-2h5"],
  send: ["M4 12l16-8-6 16-3-7-7-1z"],
  trash: ["M5 7h14", "M10 4h4", "M7 7l1 13h8l1-13"],
  list: ["M8 6h12", "M8 12h12", "M8 18h12", "M4 6h.01", "M4 12h.01", "M4 18h.01"],
  plus: ["M12 5v14", "M5 12h14"],
  paperclip: ["M15 7l-6.5 6.5a2 2 0 0 0 3 3L18 10a4 4 0 0 0-6-6l-6.5 6.5a6 6 0 0 0 8.5 8.5L20 13"],
  download: ["M12 4v11", "M7 10l5 5 5-5", "M5 20h14"],
  lock: ["M7 11V8a5 5 0 0 1 10 0v3", "M5 11h14v9H5z"],
  user: ["M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M4 20a8 8 0 0 1 16 0"],
  check: ["M5 12l5 5 9-10"],
  search: ["M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M20 20l-4-4"],
  settings: ["M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
    "M19 12a7 7 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7 7 0 0 0-2-1.2L14 3h-4l-.5 2.6a7 7 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7 7 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7 7 0 0 0 2 1.2L10 21h4l.5-2.6a7 7 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z"],
  logout: ["M15 4h4v16h-4", "M10 8l-4 4 4 4", "M6 12h10"],
  back: ["M15 5l-7 7 7 7"],
  note: ["M5 4h14v12l-4 4H5z", "M15 20v-4h4"],
  star: ["M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z"],
  upload: ["M12 20V9", "M7 13l5-5 5 5", "M5 4h14"],
  shield: ["M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"],
  tag: ["M3 12V4h8l9 9-8 8-9-9z", "M7.5 7.5h.01"],
  merge: ["M6 4v6a6 6 0 0 0 6 6h6", "M15 13l3 3-3 3", "M6 20v-4"],
  globe: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M3 12h18", "M12 3c3 3 3 15 0 18",
    "M12 3c-3 3-3 15 0 18"],
};

export function formatBytes(/** @type {number} */ bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function initials(/** @type {string | null | undefined} */ name) {
  const parts = String(name || "").trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "?";
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}
