// @ts-check
// What every console page shares: the console's settings (topics, teams and their names,
// limits), read once, and the list's filters as the address keeps them.

import { get } from "../api.js";

/** @type {Promise<ConsoleConfig> | null} */
let configPromise = null;

/** A team as the admin named it; its id when it has no record (or the API gave no names).
 * @param {ConsoleConfig} config @param {string} id */
export function teamName(config, id) {
  const names = config.team_names || {};
  return (Object.hasOwn(names, id) && typeof names[id] === "string" && names[id]) || id;
}

/** @returns {Promise<ConsoleConfig>} */
export function consoleConfig() {
  if (!configPromise) configPromise = get("/api/console/config").catch((error) => {
    configPromise = null;
    throw error;
  });
  return configPromise;
}

/** @param {URLSearchParams} query @returns {ConsoleFilters} */
export function readFilters(query) {
  return {
    status: query.get("status") === "closed" ? "closed" : "open",
    mine: query.get("mine") === "1",
    assignee: query.get("assignee") || "",
    team: query.get("team") || "",
    q: query.get("q") || "",
    tag: query.get("tag") || "",
  };
}

export function filterQuery(/** @type {ConsoleFilters} */ filters) {
  const params = new URLSearchParams();
  if (filters.status !== "open") params.set("status", filters.status);
  if (filters.mine) params.set("mine", "1");
  else if (filters.assignee) params.set("assignee", filters.assignee);
  if (filters.team) params.set("team", filters.team);
  if (filters.q) params.set("q", filters.q);
  if (filters.tag) params.set("tag", filters.tag);
  const text = params.toString();
  return text ? `?${text}` : "";
}
