// @ts-check
// A ticket's documents: the list, drag-and-drop (or chosen) uploads through the presigned POST
// the API hands out, and downloads through a short-lived link. Shared by portal and console.
//
// Upload: POST {base}/attachments {filename, content_type, size} → {attachment, upload: {url,
// fields}}; the browser POSTs the form straight to S3; POST {base}/attachments/{id}/confirm
// makes the server verify the object (size, type, checksum) before anyone sees it.
// The list: GET {base}/attachments → {items}; a download: GET .../{id}?redirect=false → {url}.

import { h, icon, formatBytes, clear, notice, uid } from "./dom.js";
import { get, post, ApiError } from "./api.js";
import { t, errorText, relativeTime } from "./i18n.js";

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

/** A drop zone that also works with the keyboard (a real file input behind a button).
 * @param {{onFiles: (files: File[]) => void, multiple?: boolean, compact?: boolean}} options */
export function dropZone({ onFiles, multiple = true, compact = false }) {
  const inputId = uid("files");
  const fileInput = h("input", { id: inputId, type: "file", class: "sr-only", multiple, tabindex: "-1",
    "aria-hidden": "true" });
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
    choose, fileInput);
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

/** Names of the documents seen so far, by id: messages show their attachments by name.
 * @type {Map<string, string>} */
export const documentNames = new Map();

/** A customer reads a name (or nothing: the portal may not name agents); staff a person. */
function uploaderName(/** @type {Attachment} */ item) {
  if (!item.uploaded_by) return "";
  return typeof item.uploaded_by === "string" ? item.uploaded_by : item.uploaded_by.name || "";
}

/** The documents card of a ticket. `base` is /api/portal/tickets/<id> or the console's;
 *  `uploadExtra` goes with each upload request (the console shares its uploads).
 * @param {{base: string, canUpload?: boolean, onUploaded?: (file: File) => void,
 *   uploadExtra?: Record<string, string>, onList?: (items: Attachment[]) => void, hint?: string}} options */
export function documentsArea({ base, canUpload = true, onUploaded, uploadExtra = {}, onList, hint }) {
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
      documentNames.set(id, name);
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
            [item.size ? formatBytes(item.size) : null, uploaderName(item) || null,
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

  const upload = async (/** @type {File[]} */ files) => {
    for (const file of files) {
      const line = h("p", { class: "documents__progress" }, t("documents.uploading", { name: file.name }));
      status.replaceChildren(line);
      try {
        await uploadFile(base, file, uploadExtra);
        status.replaceChildren(notice("success", t("documents.uploaded", { name: file.name })));
        if (onUploaded) onUploaded(file);
      } catch (error) {
        status.replaceChildren(notice("error", `${file.name}: ${errorText(error)}`));
      }
    }
    await refresh();
  };

  section.append(heading, list, status);
  if (canUpload) section.append(dropZone({ onFiles: upload, compact: true }));
  if (canUpload && hint) section.append(h("p", { class: "field__hint documents__hint", text: hint }));
  show([]);
  refresh();
  return Object.assign(section, { refresh });
}

/** Files picked for a message not sent yet (compose, reply): a list with remove buttons. */
export function pendingFiles() {
  /** @type {File[]} */
  const files = [];
  const list = h("ul", { class: "pending-files" });
  const render = () => {
    clear(list);
    files.forEach((file, index) => {
      const remove = h("button", { type: "button", class: "btn btn--ghost btn--small" },
        h("span", { "aria-hidden": "true", text: "×" }),
        h("span", { class: "sr-only", text: t("documents.remove", { name: file.name }) }));
      remove.addEventListener("click", () => {
        files.splice(index, 1);
        render();
      });
      list.append(h("li", { class: "pending-files__item" }, icon("paperclip"),
        h("span", { class: "pending-files__name", text: file.name }),
        h("span", { class: "muted", text: formatBytes(file.size) }), remove));
    });
  };
  const zone = dropZone({
    onFiles: (picked) => {
      files.push(...picked);
      render();
    },
    compact: true,
  });
  const element = h("div", { class: "attachments-field" }, zone, list);
  return {
    element,
    files,
    clear: () => {
      files.splice(0);
      render();
    },
  };
}

/** A message's attachments: buttons that download them, named once the documents are listed.
 * @param {string} base @param {string[]} ids */
export function attachmentChips(base, ids) {
  if (!ids || !ids.length) return null;
  return h("ul", { class: "message__attachments", "aria-label": t("documents.attachments") },
    ids.map((id) => {
      const button = h("button", { type: "button", class: "chip chip--file", dataset: { attachmentChip: id } },
        icon("paperclip"), h("span", { class: "chip__name", text: documentNames.get(id) || t("documents.file") }));
      button.addEventListener("click", () => downloadAttachment(base, id).catch(() => {}));
      return h("li", {}, button);
    }));
}

export function nameChips(/** @type {Element} */ root) {
  for (const chip of root.querySelectorAll("[data-attachment-chip]")) {
    const name = chip instanceof HTMLElement && documentNames.get(chip.dataset.attachmentChip || "");
    const label = chip.querySelector(".chip__name");
    if (name && label) label.textContent = name;
  }
}
