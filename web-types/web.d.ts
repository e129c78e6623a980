// Types the web client's own modules share (the API's shapes are in api.d.ts). Types only:
// tsconfig.json reads this file; no page downloads it. Global, so JSDoc names them as they are.

type ApiError = import("../web/assets/js/api.js").ApiError;
type SessionModule = typeof import("../web/assets/js/session.js");

/** A refused form's problems (a list), or facts about a refusal (why a session ended, a limit). */
type ApiErrorDetails = ErrorDetail[] | Record<string, any>;

type QueryParams = Record<string, string | number | boolean | null | undefined>;

interface RequestOptions {
  params?: QueryParams | null;
  signal?: AbortSignal;
  /** A 401 or a required password change is only thrown, not handled for the page. */
  quiet?: boolean;
}

// -- the shell --------------------------------------------------------------------------------

type Area = "public" | "portal" | "console" | "inbound" | "admin";

interface Route {
  area: Area;
  page: string;
  params: Record<string, string>;
}

interface ShellState {
  user: User | null;
  branding: Branding;
  counts: Record<string, number>;
  /** Why the portal no longer emails the signed-in user: null when it does, undefined until asked. */
  mailSuppressed: Suppression | null | undefined;
}

/** What a page is given: the frame's `main` to fill, the path's parameters, the query string. */
interface PageContext {
  main: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
}

type PageFn = (context: PageContext) => Promise<void>;

// -- building blocks (dom.js, ui.js) ----------------------------------------------------------

/** What h() and append() take as children: nodes, text, and lists of them; nothing for null. */
type Child = Node | string | number | null | undefined | false | Child[];

/** A control a field wraps. */
type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A field's wrapper, or a group of controls: it shows a refusal beside itself. */
interface ErrorShowing {
  setError(message?: string, detail?: ErrorDetail): void;
}

/** dom.js's field(): the label, the control, its hint and error. */
type Field<C extends Control = Control> = HTMLDivElement & ErrorShowing & { control: C };

/** The console list's filters, as its address keeps them (console/config.js). */
interface ConsoleFilters {
  status: string;
  mine: boolean;
  assignee: string;
  team: string;
  q: string;
  /** Only tickets with this tag ("" for any). */
  tag: string;
}

// -- the settings page (admin/controls.js) ----------------------------------------------------

/** A control's element: it shows a refusal beside itself (`detail` names the part refused). */
type ControlElement = HTMLElement & ErrorShowing;

/** The settings page's controls, each under its top-level key with a way to read its value. */
interface Registry {
  add<E extends ControlElement>(key: string, read: () => unknown, wrapper: E): E;
  values(): Record<string, unknown>;
  fieldOf(key: string): ControlElement | undefined;
  clearErrors(): void;
}

/** [value, text] of a choice. */
type Choice = [string, string];
