// The shapes the API answers with, as the pages read them: the server's side of each is the
// TypedDict in chalicelib/shapes/ (or what chalicelib/services/ builds, for aggregates not there
// yet). Types only: tsconfig.json reads this file for `tsc --noEmit`; no page downloads it.
// Declared globally, so a module names them in JSDoc (`@type {PortalTicketView}`) without an import.

/** A refusal's body: `{"error": {code, message, details}}`; api.js throws it as an ApiError. */
interface ErrorDetail {
  field?: string;
  code?: string;
  message?: string;
  [name: string]: unknown;
}

type Role = "customer" | "agent" | "admin";

// -- accounts ---------------------------------------------------------------------------------

interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  language: string;
  status: "active" | "disabled" | "unverified";
  org_id: string | null;
  org_view: boolean;
  team_ids: string[];
  must_change_password: boolean;
  /** What the account has set up for two-step verification: "passkey", "totp"; sorted. */
  second_factors: string[];
}

/** POST /api/auth/login */
interface SignedIn {
  user: User;
  csrf_token: string;
  expires_in: number;
}

/** GET and PATCH /api/me */
interface Me {
  user: User;
  mail_suppressed: Suppression | null;
  /** How ticket mail reaches them: each message, a daily digest, or none (the portal only). */
  notifications: "every" | "digest" | "portal";
}

/** One item of GET /api/me/sessions: where the user is signed in. */
interface ActiveSession {
  id: string;
  /** "" when the browser's User-Agent does not say (an API client, an older session). */
  browser: string;
  os: string;
  signed_in_at: string;
  last_seen_at: string;
  /** The session of the request that listed them. */
  current: boolean;
}

/** Why the portal no longer emails an address (services/suppressions.py). */
interface Suppression {
  reason: string;
  detail?: string | null;
  since: string;
}

/** An admin's row of GET /api/admin/suppressions. */
interface SuppressionEntry extends Suppression {
  email: string;
  evidence: Record<string, string>;
}

interface BannerLink {
  label: string;
  url: string;
}

/** GET /api/portal/branding */
interface Branding {
  portal_name: string;
  logo_url: string | null;
  primary_color: string;
  accent_color: string;
  banner_links: BannerLink[];
  announcement: string;
  self_registration: boolean;
  /** The sign-in page offers "Email me a sign-in link" (auth_magic.js). */
  magic_link_sign_in: boolean;
  default_language: string;
}

/** A page of a list; `next_cursor` null on the last one. */
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

// -- tickets: the portal's side ---------------------------------------------------------------

type TicketStatus = "new" | "open" | "pending" | "resolved" | "closed";

interface Topic {
  id: string;
  name: string;
  team_id?: string;
  /** In the admin's settings: the name per language ("fr", "pl"...), where it differs. */
  names?: Record<string, string>;
}

interface TroubleshooterQuestion {
  text: string;
  options: string[];
}

interface Troubleshooter {
  id: string;
  name: string;
  topic: string;
  intro?: string;
  questions: TroubleshooterQuestion[];
  /** In the admin's settings: the form per language; empty parts read as the form's own. */
  translations?: Record<string, TroubleshooterWording>;
}

interface TroubleshooterWording {
  name: string;
  intro: string;
  /** All the form's questions in its order, each with as many choices; or none. */
  questions: TroubleshooterQuestion[];
}

/** The answers a ticket opened from a troubleshooter carries. */
interface TroubleshooterAnswers {
  id?: string;
  name: string;
  answers: { question: string; answer: string }[];
}

/** GET /api/portal/config */
interface PortalConfig {
  topics: Topic[];
  org_view: boolean;
  max_message_length: number;
  troubleshooters?: Troubleshooter[];
  attachments: AttachmentLimits;
}

interface PortalTicket {
  id: string;
  number: number;
  subject: string;
  topic: string;
  topic_name: string;
  channel: string;
  status: TicketStatus;
  created_at: string;
  last_activity_at: string;
  message_count: number;
  unread: boolean;
  messaging_blocked: boolean;
  blocked_reason: string | null;
  rating: number | null;
  rating_comment: string | null;
  troubleshooter: TroubleshooterAnswers | null;
  /** Merged: the portal opens this survivor instead. */
  merged_into?: TicketLink | null;
  requester?: { id: string; name: string };
}

interface PortalMessage {
  id: string;
  seq: number;
  kind: "mine" | "customer" | "team";
  author: string;
  body: string;
  attachment_ids: string[];
  created_at: string;
}

interface ReplyRefusal {
  code: string;
  message: string;
}

/** GET /api/portal/tickets/{id}, and what resolving answers. */
interface PortalTicketView {
  ticket: PortalTicket;
  messages: PortalMessage[];
  earlier_cursor: string | null;
  message_count: number;
  can_reply: boolean;
  reply_refusal: ReplyRefusal | null;
  /** The caller is the requester and the ticket is open ("OK, resolved"). */
  can_resolve: boolean;
  /** The caller is the requester and the ticket is resolved or closed. */
  can_rate: boolean;
}

/** GET .../messages?after= (live.js) and ?before= (earlier pages); the portal's new messages
 * come with the ticket's summary. */
interface MessagesPage<M, T = never> {
  messages: M[];
  last_seq?: number;
  earlier_cursor?: string | null;
  ticket?: T;
}

interface FolderEntry {
  id: string;
  folder: "inbox" | "sent" | "trash";
  /** Where it came from (and goes back to from the trash): my own messages are "sent". */
  origin: "inbox" | "sent";
  ticket_id: string;
  ticket_number: number;
  title: string;
  author: string;
  preview: string;
  read: boolean;
  created_at: string;
}

type FolderUnread = Record<string, number>;

/** GET /api/portal/folders/{folder} */
interface FolderPage extends Page<FolderEntry> {
  unread: FolderUnread;
  /** The trash: days before an entry is deleted for good; null for the other folders. */
  purge_after_days: number | null;
}

interface FeedItem {
  id: string;
  kind: string;
  ticket_id: string;
  link: string;
  ticket_number: number;
  title: string;
  actor: string | null;
  status: string | null;
  read: boolean;
  created_at: string;
}

// -- tickets: the console's side --------------------------------------------------------------

interface Person {
  id: string;
  name: string;
}

interface Requester extends Person {
  email: string;
  org_id?: string | null;
  email_suppressed?: boolean;
  suppression?: Suppression | null;
}

interface ConsoleTicket {
  id: string;
  number: number;
  title: string;
  subject: string;
  topic: string;
  channel: string;
  status: TicketStatus;
  team_id: string;
  requester: Requester;
  assignee: Person | null;
  created_at: string;
  last_activity_at: string;
  message_count: number;
  unread: boolean;
  messaging_blocked: boolean;
  blocked_reason: string | null;
  rating: number | null;
  rating_comment: string | null;
  /** Staff only (services/tickets/tags.py). */
  tags?: string[];
  merged_into?: TicketLink | null;
}

interface ConsoleMessage {
  id: string;
  seq: number;
  kind: string;
  visibility: "public" | "internal";
  internal: boolean;
  author: { id: string | null; name: string | null; role: Role | "system" };
  body: string;
  channel: string;
  details: Record<string, any> | null;
  attachment_ids: string[];
  created_at: string;
}

/** GET /api/console/tickets/{id}, and what each change of a ticket answers. */
interface ConsoleTicketView {
  ticket: ConsoleTicket;
  messages?: ConsoleMessage[];
  earlier_cursor?: string | null;
  message_count?: number;
  troubleshooter?: TroubleshooterAnswers | null;
}

/** GET /api/console/config */
interface ConsoleConfig {
  topics: Topic[];
  teams: string[];
  team_names?: Record<string, string>;
  max_message_length: number;
  attachments: AttachmentLimits;
}

interface Agent extends Person {
  email: string;
}

// -- presence and stale answers (services/presence.py, services/tickets/collisions.py) --------

/** Another agent on the conversation now. */
interface Viewer {
  id: string;
  name: string;
  typing: boolean;
}

/** PUT /api/console/tickets/{id}/presence */
interface PresenceList {
  items: Viewer[];
  heartbeat_seconds: number;
  typing_seconds: number;
}

/** The details of a 409 `conversation_changed`: what moved on since the page's expectation. */
interface ConversationChanged {
  last_seq: number;
  new_messages: number;
  authors: { id: string; name: string; role: Role | "system" }[];
  assignee: Person | null;
  assignee_changed: boolean;
  status: TicketStatus;
}

// -- followers (services/followers.py) -------------------------------------------------------

/** A ticket's follower (GET/POST/DELETE .../tickets/{id}/followers), portal and console. */
interface Follower {
  id: string;
  /** The account's name; "" for an address without an account. */
  name: string;
  email: string;
  /** Without one: mail only. */
  has_account: boolean;
  added_at: string;
  can_remove: boolean;
}

interface FollowerList {
  items: Follower[];
  can_add: boolean;
  limit: number;
}

// -- documents (services/attachments/) --------------------------------------------------------

/** One document of a ticket: `uploaded_by` is a name for a customer, a person for staff. */
interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  status: string;
  created_at: string;
  uploaded_by: string | { id: string; name: string; role: string };
  internal?: boolean;
  message_id?: string | null;
}

/** What the drop zones say and check before an upload (the pages' config answers). */
interface AttachmentLimits {
  max_bytes: number;
  /** The types the portal takes; each type's first extension is the one it is named by. */
  types: { mime: string; extensions: string[] }[];
  per_message: number;
  per_ticket: number;
}

/** POST .../attachments: the pending document, and the form to POST the file to S3 with. */
interface UploadAnswer {
  attachment: Attachment;
  upload: { url: string; fields: Record<string, string>; expires_at: string };
}

/** GET .../attachments/{id}?redirect=false */
interface DownloadLink {
  url: string;
  expires_in: number;
}

// -- administration ---------------------------------------------------------------------------

interface Org {
  id: string;
  name: string;
  require_second_factor: boolean;
}

interface Team {
  id: string;
  name: string;
  email: string | null;
  topics: string[];
}

/** GET /api/admin/settings: every setting, by name (the page shows those it does not know too). */
type Settings = Record<string, any>;

interface AuditEntry {
  at: string;
  action: string;
  outcome: string;
  actor_id: string | null;
  actor_email: string | null;
  target: string | null;
  source_ip: string | null;
  details: Record<string, unknown> | null;
}

interface AuditChange {
  field: string;
  before?: unknown;
  after?: unknown;
  more?: number;
}

interface MailTemplate {
  name: string;
  builtin: Record<string, { subject: string; body: string }>;
  subject_fixed: boolean;
  variables: { name: string; description: string }[];
  required: string[];
}

/** A wording the admin saved for one mail in one language; null parts keep the built-in. */
interface MailWording {
  subject: string | null;
  body: string | null;
}

// -- held inbound mail (services/held_mail.py) ------------------------------------------------

interface InboundItem {
  id: string;
  status: string;
  outcome?: string | null;
  reason?: string | null;
  sender?: string | null;
  subject?: string | null;
  received_at: string;
  stuck?: boolean;
  lease_until?: string | null;
  releasable?: boolean;
  forcible?: boolean;
  answers_ticket_number?: number | null;
  ticket_id?: string | null;
}

/** GET /api/admin/inbound/{id}/message: what a held message says, text only. */
interface HeldMail {
  delivery: InboundItem;
  from: { address: string; name: string };
  envelope_from: string;
  to: string[];
  cc: string[];
  reply_to: string[];
  subject: string;
  date: string | null;
  verdicts: Record<string, string>;
  dmarc_policy: string;
  sender_doubt: string;
  text: string;
  text_truncated: boolean;
  has_html: boolean;
  attachments: { filename: string; content_type: string; size: number; inline: boolean }[];
  warnings: string[];
}

// -- canned responses (chalicelib/shapes/canned.py) ---------------------------------------------

type AnswerAction = "send" | "send_leave_open" | "resolve_silently" | "note";

/** One item of GET /api/console/canned; POST and PATCH answer {response}. */
interface CannedResponse {
  id: string;
  title: string;
  /** As saved, with its placeholders ({{ customer_name }}, ...). */
  body: string;
  language: "en" | "fr" | "pl" | "any";
  /** Typed after ";" in the composer. */
  shortcut: string | null;
  /** The answer action it chooses in the composer. */
  action: AnswerAction | null;
  shared: boolean;
  editable: boolean;
  updated_at: string;
  /** Asked for one ticket: the body filled for its customer and the agent. */
  filled?: string;
}

/** GET /api/console/canned */
interface CannedList {
  items: CannedResponse[];
  placeholders: string[];
  /** Asked for one ticket: its customer's language. */
  customer_language?: string;
}

// -- the desk's tools: tags, bulk actions, merging (services/tickets/tags.py, bulk.py, merge.py)

interface TicketLink {
  id: string;
  number: number;
}

/** POST /api/console/tickets/bulk: per ticket, in the order asked. */
interface BulkResult {
  action: "assign" | "add_tag" | "remove_tag" | "close";
  items: { ticket_id: string; ok: boolean;
    error: { code: string; message: string; details: Record<string, unknown> | null } | null }[];
  done: number;
  refused: number;
}

interface MergeCandidate {
  id: string;
  number: number;
  subject: string;
  title: string;
  status: TicketStatus;
}

/** GET /api/console/tickets/{id}/merge-candidates */
interface MergeCandidates {
  items: MergeCandidate[];
}

/** POST /api/console/tickets/{id}/merge */
interface MergeResult {
  merged: TicketLink;
  survivor: TicketLink;
  messages: number;
  documents: number;
}
