// @ts-check
// The settings page's logo: a link, or an image uploaded into the settings as a data: URL (small
// on purpose: it is sent with every page's branding), with a preview.

import { h, clear, icon, field, uid, safeImageSrc } from "../dom.js";
import { t } from "../i18n.js";

const LOGO_MAX_BYTES = 40 * 1024;

/** @param {Registry} registry @param {Settings} settings @param {() => void} onChange */
export function logoControl(registry, settings, onChange) {
  let value = settings.logo_url || "";
  const preview = h("span", { class: "logo-preview" });
  const text = h("input", { class: "input", type: "url", placeholder: "https://…", maxlength: 60000 });
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp,image/svg+xml",
    class: "sr-only", id: uid("logo"), tabindex: "-1", "aria-hidden": "true" });
  const upload = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("upload"),
    h("span", { text: t("admin.logoUpload") }));
  const remove = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("admin.logoRemove") });
  const wrapper = field(t("admin.logo"), text, { hint: t("admin.logoHint") });
  const show = () => {
    clear(preview);
    const src = safeImageSrc(value);
    preview.append(src ? h("img", { src, alt: t("admin.logoPreview") }) : h("span", { class: "muted", text: t("admin.noLogo") }));
    text.value = value.startsWith("data:") ? "" : value;
    text.placeholder = value.startsWith("data:") ? t("admin.logoUploaded") : "https://…";
    onChange();
  };
  text.addEventListener("change", () => {
    value = text.value.trim();
    show();
  });
  upload.addEventListener("click", () => file.click());
  remove.addEventListener("click", () => {
    value = "";
    show();
  });
  file.addEventListener("change", () => {
    const chosen = file.files && file.files[0];
    file.value = "";
    if (!chosen) return;
    if (chosen.size > LOGO_MAX_BYTES) {
      wrapper.setError(t("admin.logoTooBig", { size: Math.round(LOGO_MAX_BYTES / 1024) }));
      return;
    }
    wrapper.setError("");
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      value = String(reader.result);
      show();
      wrapper.dispatchEvent(new Event("change", { bubbles: true }));
    });
    reader.readAsDataURL(chosen);
  });
  wrapper.append(h("div", { class: "logo-row" }, preview, h("div", { class: "logo-row__actions" }, upload, remove), file));
  show();
  registry.add("logo_url", () => value, wrapper);
  return wrapper;
}
