// @ts-check
// The portal's settings as a customer sees them (topics, limits, troubleshooters): read once
// per language (the server names topics and troubleshooters in the customer's), and again
// only after a failed read.

import { get } from "../api.js";
import { language } from "../i18n.js";

/** @type {Promise<PortalConfig> | null} */
let configPromise = null;
let configLanguage = "";

/** @returns {Promise<PortalConfig>} */
export function portalConfig() {
  if (!configPromise || configLanguage !== language()) {
    configLanguage = language();
    configPromise = get("/api/portal/config").catch((error) => {
      configPromise = null;
      throw error;
    });
  }
  return configPromise;
}
