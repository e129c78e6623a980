// @ts-check
// Passkeys in the browser (services/passkeys.py). The server's WebAuthn options arrive as JSON
// (bytes in base64url) and the authenticator's answer goes back the same way. Here: the sign-in
// page's "Sign in with a passkey" (no password: any passkey of this portal, the browser lets the
// person choose), the passkey button of the second step after a password (registered with
// auth_second_factor.js), and the two WebAuthn calls the profile's Security section uses too
// (security_passkeys.js).
//
// WebAuthn binds a passkey to the portal's host name (the RP ID the server sends). A page opened
// under another name of the same server (http://127.0.0.1:8000 for a local run whose passkeys
// belong to "localhost") cannot use them: it says where they work instead of failing obscurely.

import { h, notice } from "./dom.js";
import { post, ApiError } from "./api.js";
import { t, errorText } from "./i18n.js";
import { afterFirstFactor, passkeyStep } from "./auth_second_factor.js";

/**
 * @typedef {{ id: string, type: string, transports?: string[] }} CredentialDescriptorJSON
 * @typedef {{ rp: { id: string, name: string }, user: { id: string, name: string, displayName: string },
 *   challenge: string, pubKeyCredParams: { type: string, alg: number }[], timeout: number,
 *   excludeCredentials: CredentialDescriptorJSON[], authenticatorSelection: Record<string, unknown>,
 *   attestation: string }} CreationOptionsJSON
 * @typedef {{ challenge: string, timeout: number, rpId: string,
 *   allowCredentials: CredentialDescriptorJSON[], userVerification: string }} RequestOptionsJSON
 */

/** Whether this browser can use passkeys at all. */
export function passkeysSupported() {
  return typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

/** Where this page's passkeys work: its own origin; for a page opened by a loopback address
 * (WebAuthn takes no IP address as RP ID) the same server as localhost, where the server's
 * RP ID puts them; null when nowhere (no WebAuthn here, or another IP address). */
export function passkeyOrigin() {
  if (!passkeysSupported()) return null;
  const host = location.hostname;
  if (!/^(\d+\.\d+\.\d+\.\d+|\[.*\])$/.test(host)) return location.origin;
  if (!host.startsWith("127.") && host !== "[::1]") return null;
  return `${location.protocol}//localhost${location.port ? `:${location.port}` : ""}`;
}

/** What a page says where passkeys work when it is not here: the address, as a link to `path`
 * there. @param {string} origin @param {string} path @returns {Child[]} */
export function passkeysElsewhere(origin, path) {
  return [t("passkey.elsewhere"), " ", h("a", { href: `${origin}${path}`, text: origin.replace(/^https?:\/\//, "") })];
}

/** @param {string} text @returns {Uint8Array<ArrayBuffer>} */
function bytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** @param {ArrayBuffer | null | undefined} buffer */
function base64url(buffer) {
  if (!buffer) return undefined;
  let raw = "";
  for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {CredentialDescriptorJSON[]} list @returns {PublicKeyCredentialDescriptor[]} */
function descriptors(list) {
  return list.map((c) => ({ type: "public-key", id: bytes(c.id),
    transports: /** @type {AuthenticatorTransport[] | undefined} */ (c.transports) }));
}

/** The passkeys of `rpId` work on that host and its subdomains only: elsewhere, say where. */
function checkHost(/** @type {string} */ rpId) {
  const host = location.hostname;
  if (host === rpId || host.endsWith(`.${rpId}`)) return;
  const url = `${location.protocol}//${rpId}${location.port ? `:${location.port}` : ""}${location.pathname}`;
  throw { code: "passkey_wrong_address", details: { url } };
}

/** A WebAuthn call, its DOMException turned into something the page can say.
 * @param {() => Promise<Credential | null>} call @returns {Promise<PublicKeyCredential>} */
async function ceremony(call) {
  let credential;
  try {
    credential = await call();
  } catch (error) {
    const name = error instanceof DOMException ? error.name : "";
    if (name === "NotAllowedError" || name === "AbortError") throw { code: "passkey_cancelled" };
    if (name === "InvalidStateError") throw { code: "passkey_already_here" };
    if (name === "SecurityError") throw { code: "passkey_unavailable" };
    throw { code: "passkey_unavailable" };
  }
  if (!credential) throw { code: "passkey_cancelled" };
  return /** @type {PublicKeyCredential} */ (credential);
}

/** navigator.credentials.create() for the server's options: the new passkey, as the server
 * takes it. @param {CreationOptionsJSON} options */
export async function createPasskey(options) {
  checkHost(options.rp.id);
  /** @type {PublicKeyCredentialCreationOptions} */
  const publicKey = {
    rp: options.rp,
    user: { ...options.user, id: bytes(options.user.id) },
    challenge: bytes(options.challenge),
    pubKeyCredParams: options.pubKeyCredParams.map((p) => ({ type: "public-key", alg: p.alg })),
    timeout: options.timeout,
    excludeCredentials: descriptors(options.excludeCredentials),
    authenticatorSelection: /** @type {AuthenticatorSelectionCriteria} */ (options.authenticatorSelection),
    attestation: /** @type {AttestationConveyancePreference} */ (options.attestation),
  };
  const credential = await ceremony(() => navigator.credentials.create({ publicKey }));
  const response = /** @type {AuthenticatorAttestationResponse} */ (credential.response);
  return {
    id: credential.id, rawId: base64url(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: base64url(response.clientDataJSON),
      attestationObject: base64url(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : undefined,
    },
  };
}

/** navigator.credentials.get() for the server's options: the signed answer, as the server takes
 * it. @param {RequestOptionsJSON} options */
export async function usePasskey(options) {
  checkHost(options.rpId);
  /** @type {PublicKeyCredentialRequestOptions} */
  const publicKey = {
    challenge: bytes(options.challenge),
    rpId: options.rpId,
    timeout: options.timeout,
    allowCredentials: descriptors(options.allowCredentials),
    userVerification: /** @type {UserVerificationRequirement} */ (options.userVerification),
  };
  const credential = await ceremony(() => navigator.credentials.get({ publicKey, mediation: "optional" }));
  const response = /** @type {AuthenticatorAssertionResponse} */ (credential.response);
  return {
    id: credential.id, rawId: base64url(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: base64url(response.clientDataJSON),
      authenticatorData: base64url(response.authenticatorData),
      signature: base64url(response.signature),
      userHandle: base64url(response.userHandle),
    },
  };
}

/** A button that runs `action` busy, saying a refusal in `status`.
 * @param {string} label @param {string} kind @param {HTMLElement} status @param {() => Promise<void>} action */
function passkeyButton(label, kind, status, action) {
  const button = h("button", { class: `btn ${kind} btn--block`, type: "button", text: label });
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren();
    try {
      await action();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  return button;
}

/** The sign-in page's part: "Sign in with a passkey" below the password form.
 * @param {HTMLElement} main @param {string | null} next */
export function passkeySignIn(main, next) {
  const form = main.querySelector(".auth__card form");
  const origin = passkeyOrigin();
  if (!form || !origin) return;
  if (origin !== location.origin) {
    form.after(h("p", { class: "auth__alt", "data-passkey": "elsewhere" }, passkeysElsewhere(origin, "/login")));
    return;
  }
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const button = passkeyButton(t("passkey.signIn"), "btn--secondary", status, async () => {
    /** @type {RequestOptionsJSON} */
    const options = await post("/api/auth/passkey/options", {}, { quiet: true });
    const credential = await usePasskey(options);
    // A complete sign-in by itself: no second step follows
    await afterFirstFactor(main, await post("/api/auth/passkey", { credential }, { quiet: true }), next);
  });
  form.after(h("div", { class: "auth__passkey", "data-passkey": "sign-in" },
    h("p", { class: "auth__or", text: t("passkey.or") }), button, status));
}

// The second step after a password: one of the account's passkeys instead of a code.
if (passkeysSupported()) {
  passkeyStep.answer = (finish) => {
    const status = h("div", { class: "form-status", "aria-live": "polite" });
    const button = passkeyButton(t("passkey.useForStep"), "btn--primary", status, async () => {
      try {
        /** @type {RequestOptionsJSON} */
        const options = await post("/api/auth/passkey/second-factor/options", {}, { quiet: true });
        const credential = await usePasskey(options);
        await finish(await post("/api/auth/passkey/second-factor", { credential }, { quiet: true }));
      } catch (error) {
        if (error instanceof ApiError && error.code === "second_factor_expired") {
          button.replaceWith(h("a", { class: "btn btn--primary btn--block", href: "/login",
            text: t("auth.signInAgain") }));
        }
        throw error;
      }
    });
    return h("div", { class: "auth__passkey", "data-passkey": "second-factor" }, button, status);
  };
}
