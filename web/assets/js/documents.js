// @ts-check
// A ticket's documents: the list, drag-and-drop (or chosen) uploads through the presigned POST
// the API hands out, and downloads through a short-lived link. Shared by portal and console.
//
// Upload: POST {base}/attachments {filename, content_type, size} → {attachment, upload: {url,
// fields}}; the browser POSTs the form straight to S3; POST {base}/attachments/{id}/confirm
// makes the server verify the object (size, type, checksum) before anyone sees it.
// The list: GET {base}/attachments → {items}; a download: GET .../{id}?redirect=false → {url}.
//
// Several files at once: each gets its own line (name, size, then uploaded or why not). What the
// server would refuse before an upload (too large, empty, one file too many for a message) is
// said at once from the limits the pages' config carries (`AttachmentLimits`); the rest is the
// server's refusal, in the reader's language. A message's files keep their accepted ids until it
// is sent, so sending again after a failure never uploads a file twice.

import { h, icon, clear, notice, uid, safeHref } from "./dom.js";
import { get, post, ApiError } from "./api.js";
import { t, errorText, relativeTime, formatSize } from "./i18n.js";

/** Images the thread shows as thumbnails (the types the server proves from their content). */
const THUMBNAIL_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const LINK_REUSE_MS = 4 * 60 * 1000; // a download link works five minutes

/** @typedef {"waiting" | "uploading" | "accepted" | "refused"} FileState */
/** `early`: refused without asking the server (judged again as files come and go).
 * @typedef {{file: File, id: string | null, state: FileState, reason: string, early: boolean}} FileEntry */

/** Uploads one file to a ticket; resolves to the confirmed attachment's id.
 * @param {string} base @param {File} file @param {Record<string, string>} [extra] */
export async function uploadFile(base, file, extra = {}) {
  /** @type {UploadAnswer} */
  const answer = await post(`${base}/attachments`, {
    filename: file.name, content_type: file.type || "", size: file.size, ...extra,
  });
  const id = answer.attachment.id;
  const target = answer.upload;
  const form = new FormData();
  for (const [key, value] of Object.entries(target.fields)) form.append(key, value);
  form.append("file", file);
  // "no-cors": the storage answers without CORS headers; whether the object arrived intact is
  // what the confirm call below checks on the server.
  try {
    await fetch(target.url, { method: "POST", body: form, mode: "no-cors", credentials: "omit" });
  } catch {
    throw new ApiError(0, "upload_failed", "");
  }
  await post(`${base}/attachments/${encodeURIComponent(id)}/confirm`, {});
  return id;
}

/** @param {string} base @param {string} id */
export async function downloadAttachment(base, id) {
  /** @type {DownloadLink} */
  const answer = await get(`${base}/attachments/${encodeURIComponent(id)}`, { redirect: "false" });
  // The link carries Content-Disposition: attachment, so following it saves the file and the
  // page stays where it is.
  const link = h("a", { href: answer.url, rel: "noopener noreferrer", class: "sr-only" });
  link.setAttribute("download", "");
  document.body.append(link);
  link.click();
  link.remove();
}

/** "Accepted: PDF, PNG, JPG. Up to 25 MB per file.": what a drop zone takes (the server's limits;
 * a type is named by the extension its files usually end with). */
function limitsText(/** @type {AttachmentLimits} */ limits) {
  const types = limits.types.map((type) => (type.extensions[0] || type.mime).replace(/^\./, "").toUpperCase());
  return t("documents.limits", { types: types.join(", "), size: formatSize(limits.max_bytes) });
}

/** A drop zone that also works with the keyboard (a real file input behind a button); with
 * `limits`, it says what it takes and the file picker offers only those types.
 * @param {{onFiles: (files: File[]) => void, multiple?: boolean, compact?: boolean,
 *   limits?: AttachmentLimits}} options */
export function dropZone({ onFiles, multiple = true, compact = false, limits }) {
  const inputId = uid("files");
  const accept = limits
    ? limits.types.flatMap((type) => [type.mime, ...type.extensions]).join(",") : null;
  const fileInput = h("input", { id: inputId, type: "file", class: "sr-only", multiple, tabindex: "-1",
    "aria-hidden": "true", accept });
  const choose = h("button", { type: "button", class: "btn btn--secondary btn--small" },
    icon("paperclip"), h("span", { text: t("documents.choose") }));
  choose.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    if (fileInput.files && fileInput.files.length) onFiles([...fileInput.files]);
    fileInput.value = "";
  });
  const zone = h("div", { class: ["dropzone", compact && "dropzone--compact"] },
    icon("upload"),
    h("p", { class: "dropzone__text", text: t("documents.drop") }),
    choose,
    limits ? h("p", { class: "dropzone__limits", text: limitsText(limits) }) : null,
    fileInput);
  let depth = 0;
  zone.addEventListener("dragenter", (event) => {
    event.preventDefault();
    depth += 1;
    zone.classList.add("dropzone--over");
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove("dropzone--over");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove("dropzone--over");
    const files = event.dataTransfer ? [...event.dataTransfer.files] : [];
    if (files.length) onFiles(files);
  });
  return zone;
}

/** The documents the lists showed so far, by id: a message names its attachments, and shows
 * an image as a thumbnail, only once the reader's own list (checked by the server) has it.
 * @type {Map<string, Attachment>} */
const documentsSeen = new Map();

/** The refusal the server would answer before an upload, said at once (null: none). `position`:
 * the file's place among a message's files (none for the documents area, which sends no message).
 * @param {File} file @param {AttachmentLimits | undefined} limits @param {number} [position] */
function refusalBefore(file, limits, position) {
  if (file.size === 0) return new ApiError(400, "file_empty");
  if (!limits) return null;
  if (file.size > limits.max_bytes) return new ApiError(413, "file_too_large", "", { max_bytes: limits.max_bytes });
  if (position !== undefined && position >= limits.per_message) return new ApiError(400, "too_many_attachments");
  return null;
}

/** One file's line: its name, its size, and what became of it (`reason`: why it was refused).
 * @param {File} file @param {FileState} state @param {string} reason @param {Child} [action] */
function fileLine(file, state, reason, action) {
  const outcome = state === "uploading" ? t("documents.lineUploading")
    : state === "accepted" ? t("documents.lineAccepted")
      : state === "refused" ? t("documents.lineRefused", { reason }) : "";
  const said = outcome ? h("span", { class: "file-line__outcome", text: outcome }) : null;
  // A refusal takes a row of its own, under the name (and the remove button)
  return h("li", { class: ["pending-files__item", "file-line", `file-line--${state}`], dataset: { state } },
    icon(state === "accepted" ? "check" : "paperclip"),
    h("span", { class: "pending-files__name", text: file.name }),
    h("span", { class: state === "waiting" ? "muted" : null, text: formatSize(file.size) }),
    state === "refused" ? [action, said] : [said, action]);
}

/** A customer reads a name (or nothing: the portal may not name agents); staff a person. */
function uploaderName(/** @type {Attachment} */ item) {
  if (!item.uploaded_by) return "";
  return typeof item.uploaded_by === "string" ? item.uploaded_by : item.uploaded_by.name || "";
}

/** The documents card of a ticket. `base` is /api/portal/tickets/<id> or the console's;
 *  `uploadExtra` goes with each upload request (the console shares its uploads); `limits`, from
 *  the page's config, are said by the drop zone.
 * @param {{base: string, canUpload?: boolean, onUploaded?: (file: File) => void,
 *   uploadExtra?: Record<string, string>, onList?: (items: Attachment[]) => void, hint?: string,
 *   limits?: AttachmentLimits}} options */
export function documentsArea({ base, canUpload = true, onUploaded, uploadExtra = {}, onList, hint, limits }) {
  const list = h("ul", { class: "documents__list", "aria-live": "polite" });
  const status = h("div", { class: "documents__status", "aria-live": "polite" });
  const count = h("span", { class: "badge", text: "0" });
  const section = h("section", { class: "card documents", "aria-labelledby": uid("docs") });
  const heading = h("h2", { class: "card__title", id: section.getAttribute("aria-labelledby") },
    icon("paperclip"), h("span", { text: t("documents.title") }), count);

  const show = (/** @type {Attachment[]} */ items) => {
    clear(list);
    count.textContent = String(items.length);
    if (!items.length) {
      list.append(h("li", { class: "documents__empty muted", text: t("documents.none") }));
      return;
    }
    for (const item of items) {
      const id = item.id;
      const name = item.filename || id;
      documentsSeen.set(id, item);
      const button = h("button", { type: "button", class: "btn btn--ghost btn--small documents__download" },
        icon("download"), h("span", { class: "sr-only", text: t("documents.download", { name }) }));
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await downloadAttachment(base, id);
        } catch (error) {
          status.replaceChildren(notice("error", errorText(error)));
        } finally {
          button.disabled = false;
        }
      });
      list.append(h("li", { class: "documents__item", dataset: { attachmentId: id } },
        h("span", { class: "documents__icon", "aria-hidden": "true" }, icon("paperclip")),
        h("span", { class: "documents__meta" },
          h("span", { class: "documents__name", text: name }),
          h("span", { class: "documents__sub muted" },
            item.internal ? h("span", { class: "tag tag--internal" }, icon("lock"), t("documents.internal")) : null,
            [item.size ? formatSize(item.size) : null, uploaderName(item) || null,
              item.created_at ? relativeTime(item.created_at) : null].filter(Boolean).join(" · "))),
        button));
    }
  };

  // `background`: a live update asked, not the person (the read then does not keep the session
  // alive: see the authorizer's BACKGROUND_ROUTES).
  const refresh = async (background = false) => {
    try {
      /** @type {{items: Attachment[]}} */
      const answer = await get(`${base}/attachments`, background ? { refresh: 1 } : null, { quiet: true });
      const items = answer.items;
      show(items);
      if (onList) onList(items);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return false; // the page's own requests report it
      status.replaceChildren(notice("error", errorText(error)));
      return false;
    }
  };

  // Each file of a drop gets its line, which says in turn uploading, then added or why not; the
  // lines stay until the next drop.
  const upload = async (/** @type {File[]} */ files) => {
    const lines = h("ul", { class: "pending-files" });
    status.replaceChildren(lines);
    const shown = files.map((file) => lines.appendChild(fileLine(file, "waiting", "")));
    for (const [index, file] of files.entries()) {
      const early = refusalBefore(file, limits);
      if (early) {
        shown[index].replaceWith(fileLine(file, "refused", errorText(early)));
        continue;
      }
      const uploading = fileLine(file, "uploading", "");
      shown[index].replaceWith(uploading);
      try {
        await uploadFile(base, file, uploadExtra);
        uploading.replaceWith(fileLine(file, "accepted", ""));
        if (onUploaded) onUploaded(file);
      } catch (error) {
        uploading.replaceWith(fileLine(file, "refused", errorText(error)));
      }
    }
    await refresh();
  };

  section.append(heading, list, status);
  if (canUpload) section.append(dropZone({ onFiles: upload, compact: true, limits }));
  if (canUpload && hint) section.append(h("p", { class: "field__hint documents__hint", text: hint }));
  show([]);
  refresh();
  return Object.assign(section, { refresh });
}

/** Files picked for a message not sent yet (compose, reply, the console's answer): a line each,
 * with its size, what became of it, and a remove button. `upload` sends those not accepted yet
 * and keeps each accepted id with its file, so a message sent again after a failure carries the
 * same uploads instead of new copies.
 * @param {AttachmentLimits} [limits] */
export function pendingFiles(limits) {
  /** @type {FileEntry[]} */
  const entries = [];
  const list = h("ul", { class: "pending-files" });
  let busy = false;
  /** The refusals known without asking the server, judged again as files come and go (the
   * eleventh file is no longer one too many once another is removed). */
  const judge = () => entries.forEach((entry, index) => {
    if (entry.id) return;
    const early = refusalBefore(entry.file, limits, index);
    if (early) Object.assign(entry, { state: "refused", reason: errorText(early), early: true });
    else if (entry.early) Object.assign(entry, { state: "waiting", reason: "", early: false });
  });
  const render = () => {
    clear(list);
    entries.forEach((entry, index) => {
      const remove = h("button", { type: "button", class: "btn btn--ghost btn--small", disabled: busy },
        h("span", { "aria-hidden": "true", text: "×" }),
        h("span", { class: "sr-only", text: t("documents.remove", { name: entry.file.name }) }));
      remove.addEventListener("click", () => {
        entries.splice(index, 1);
        judge();
        render();
      });
      list.append(fileLine(entry.file, entry.state, entry.reason, remove));
    });
  };
  const set = (/** @type {FileEntry} */ entry, /** @type {FileState} */ state, reason = "") => {
    entry.state = state;
    entry.reason = reason;
    render();
  };
  const zone = dropZone({
    onFiles: (picked) => {
      for (const file of picked) entries.push({ file, id: null, state: "waiting", reason: "", early: false });
      judge();
      render();
    },
    compact: true,
    limits,
  });
  const element = h("div", { class: "attachments-field" }, zone, list);
  return {
    element,
    count: () => entries.length,
    /** How many files are refused now (before any upload: too large, empty, one too many). */
    refusedNow() {
      judge();
      render();
      return entries.filter((entry) => entry.state === "refused").length;
    },
    /** Uploads each file not accepted yet, one after the other; resolves to every file's id, or
     * to null when any was refused (its line says why, and nothing should be sent).
     * @param {string} base @param {Record<string, string>} [extra] */
    async upload(base, extra = {}) {
      busy = true;
      try {
        judge();
        for (const entry of entries) {
          if (entry.id || entry.early) continue;
          set(entry, "uploading");
          try {
            entry.id = await uploadFile(base, entry.file, extra);
            set(entry, "accepted");
          } catch (error) {
            set(entry, "refused", errorText(error));
          }
        }
      } finally {
        busy = false;
        render();
      }
      const ids = entries.map((entry) => entry.id);
      return ids.every((id) => id !== null) ? /** @type {string[]} */ (ids) : null;
    },
    /** The files refused, as their lines say: name, size, why. */
    refusals: () => entries.filter((entry) => entry.state === "refused")
      .map((entry) => ({ name: entry.file.name, size: entry.file.size, reason: entry.reason })),
    clear: () => {
      entries.splice(0);
      render();
    },
  };
}

/** What a new ticket's files met, kept for the ticket's page the compose page goes to.
 * @type {Map<string, {name: string, size: number, reason: string}[]>} */
const refusedForTicket = new Map();

/** @param {string} ticketId @param {{name: string, size: number, reason: string}[]} refusals */
export function keepRefusals(ticketId, refusals) {
  refusedForTicket.set(ticketId, refusals);
}

/** The notice of a new ticket whose files were not all added: each file and why (once; after a
 * reload only that some were not).
 * @param {string} ticketId */
export function refusedUploads(ticketId) {
  const refusals = refusedForTicket.get(ticketId) || [];
  refusedForTicket.delete(ticketId);
  return notice("error", h("div", {},
    h("p", { text: t("documents.someFailed") }),
    refusals.length ? h("ul", { class: "pending-files" }, refusals.map((refusal) =>
      h("li", { class: "pending-files__item file-line file-line--refused" },
        h("span", { class: "pending-files__name", text: refusal.name }),
        h("span", { text: formatSize(refusal.size) }),
        h("span", { class: "file-line__outcome", text: t("documents.lineRefused", { reason: refusal.reason }) })))) : null));
}

/** Download links asked for thumbnails, by id, reused while they still work.
 * @type {Map<string, {at: number, url: Promise<string>}>} */
const thumbnailLinks = new Map();

/** The same access-checked link a download uses: an image shows only to whom may download it. */
function thumbnailLink(/** @type {string} */ base, /** @type {string} */ id) {
  const kept = thumbnailLinks.get(id);
  if (kept && Date.now() - kept.at < LINK_REUSE_MS) return kept.url;
  /** @type {Promise<string>} */
  const url = get(`${base}/attachments/${encodeURIComponent(id)}`, { redirect: "false" }, { quiet: true })
    .then((/** @type {DownloadLink} */ answer) => answer.url);
  url.catch(() => thumbnailLinks.delete(id));
  thumbnailLinks.set(id, { at: Date.now(), url });
  return url;
}

/** Each chip's ticket path, for the thumbnails it asks for once its document is known.
 * @type {WeakMap<Element, string>} */
const chipBases = new WeakMap();

/** Names a chip, and shows an image's chip with its thumbnail, once the reader's documents list
 * has its document (a file the reader may not see is never in it). */
function describeChip(/** @type {HTMLElement} */ chip) {
  const item = documentsSeen.get(chip.dataset.attachmentChip || "");
  const label = chip.querySelector(".chip__name");
  if (!item) return;
  if (label) label.textContent = item.filename || t("documents.file");
  const base = chipBases.get(chip);
  if (!base || !THUMBNAIL_TYPES.has(item.content_type) || chip.querySelector(".chip__thumb")) return;
  // Shown once it has loaded: a link that failed leaves the plain chip.
  const image = h("img", { class: "chip__thumb", alt: "", hidden: true, decoding: "async" });
  image.addEventListener("load", () => {
    image.hidden = false;
    chip.classList.add("chip--image");
  });
  image.addEventListener("error", () => image.remove());
  chip.prepend(image);
  thumbnailLink(base, item.id).then((url) => {
    // The API's own presigned link: https on AWS, the emulator's plain http locally; the page's
    // policy (img-src) names the documents bucket's origin, and nothing else is needed.
    const src = safeHref(url);
    if (src && /^https?:/.test(src)) image.setAttribute("src", src);
    else image.remove();
  }, () => image.remove());
}

/** A message's attachments: buttons that download them, named (and images shown) once the
 * documents are listed.
 * @param {string} base @param {string[]} ids */
export function attachmentChips(base, ids) {
  if (!ids || !ids.length) return null;
  return h("ul", { class: "message__attachments", "aria-label": t("documents.attachments") },
    ids.map((id) => {
      const button = h("button", { type: "button", class: "chip chip--file", dataset: { attachmentChip: id } },
        icon("paperclip"), h("span", { class: "chip__name", text: t("documents.file") }));
      chipBases.set(button, base);
      describeChip(button);
      button.addEventListener("click", () => downloadAttachment(base, id).catch(() => {}));
      return h("li", {}, button);
    }));
}

export function nameChips(/** @type {Element} */ root) {
  for (const chip of root.querySelectorAll("[data-attachment-chip]")) {
    if (chip instanceof HTMLElement) describeChip(chip);
  }
}
