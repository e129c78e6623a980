// @ts-check
// The portal's settings as a customer sees them (topics, limits, troubleshooters): read once,
// and again only after a failed read.

import { get } from "../api.js";

/** @type {Promise<PortalConfig> | null} */
let configPromise = null;

/** @returns {Promise<PortalConfig>} */
export function portalConfig() {
  if (!configPromise) configPromise = get("/api/portal/config").catch((error) => {
    configPromise = null;
    throw error;
  });
  return configPromise;
}
