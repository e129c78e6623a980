// @ts-check
// One conversation, beside the list: the header (title, status, requester, assignee, actions),
// the thread (oldest first) which follows new messages live, the composer, and on the side
// the troubleshooter's answers, the documents and the details. Each part is its own module;
// this one wires them: every change the server takes comes back as the ticket's view, which
// `applyView` hands to every part.

import { h, append, icon, notice } from "../dom.js";
import { get, post, ApiError } from "../api.js";
import { t, errorText } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { onCleanup } from "../shell/navigation.js";
import { follow } from "../live.js";
import { documentsArea, nameChips } from "../documents.js";
import { troubleshooterCard } from "../ui.js";
import { followersCard } from "../followers.js";
import { consoleConfig, filterQuery, readFilters } from "./config.js";
import { listPane } from "./conversations.js";
import { consoleThread } from "./messages.js";
import { assigneePicker } from "./assignee.js";
import { titleEditor } from "./title.js";
import { conversationHeader } from "./header.js";
import { composer } from "./composer.js";

/** @type {PageFn} */
export async function conversation({ main, params, query }) {
  const id = params.id;
  const base = `/api/console/tickets/${encodeURIComponent(id)}`;
  const filters = readFilters(query);
  /** @type {[ConsoleTicketView, ConsoleConfig]} */
  const [view, config] = await Promise.all([get(base), consoleConfig()]);
  let current = view.ticket;
  setTitle(current.title);

  const pane = listPane({ filters, selectedId: id, headingLevel: "h2" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const failed = (/** @type {unknown} */ error) => status.replaceChildren(notice("error", errorText(error)));
  const thread = consoleThread(base, view, failed);

  /** The ticket as the server now says it, to every part that shows it. */
  function applyView(/** @type {ConsoleTicketView} */ fresh) {
    current = fresh.ticket;
    thread.add(fresh.messages || [], false);
    picker.update(current);
    header.render(current);
    title.update(current);
    setTitle(current.title);
  }

  async function refresh(background = false) {
    try {
      applyView(await get(base, background ? { refresh: 1 } : null));
    } catch {
      // the next poll tries again
    }
  }

  const title = titleEditor({ base, ticket: current, onError: failed, onSaved: (fresh) => {
    applyView(fresh);
    pane.reload();
  } });
  const header = conversationHeader({ base, config, failed, done: (fresh, message, listChanged) => {
    applyView(fresh);
    status.replaceChildren(notice("success", message));
    if (listChanged) pane.reload();
  } });
  const picker = assigneePicker({
    ticket: current,
    onAssign: async (assigneeId) => {
      try {
        /** @type {ConsoleTicketView} */
        const fresh = await post(`${base}/assign`, {
          assignee_id: assigneeId,
          expected_assignee_id: current.assignee ? current.assignee.id : null,
        });
        applyView(fresh);
        status.replaceChildren(notice("success", assigneeId
          ? t("console.assigned", { name: fresh.ticket.assignee ? fresh.ticket.assignee.name : "" })
          : t("console.nowUnassigned")));
        pane.reload();
      } catch (error) {
        failed(error);
        if (error instanceof ApiError && error.code === "assignee_changed") refresh();
      }
    },
  });
  const docs = documentsArea({ base, uploadExtra: { visibility: "public" }, onList: () => nameChips(thread.list),
    hint: t("documents.sharedHint"), limits: config.attachments });
  const answer = composer({ base, ticketId: id, maxLength: config.max_message_length, limits: config.attachments,
    onSent: async (message, withFiles) => {
      if (withFiles) docs.refresh();
      thread.add([message], false);
      await refresh();
      pane.reload();
    } });
  header.render(current);

  const detail = h("section", { class: "pane pane--detail", "aria-labelledby": "detail-title" },
    h("span", { id: "detail-title", class: "sr-only", text: t("console.detail") }),
    h("a", { class: "back-link back-link--console", href: `/console${filterQuery(filters)}` }, icon("back"),
      t("console.back")),
    h("div", { class: "convo-header" },
      h("p", { class: "ticket__meta muted" }, `#${current.number}`, " · ", t(`channel.${current.channel}`)),
      title.element,
      h("div", { class: "convo-header__row" }, header.statusHolder, header.requesterLine),
      h("div", { class: "convo-header__actions" }, picker, header.actions)),
    status, header.blockHolder, header.blockedBanner,
    h("div", { class: "convo-layout" },
      h("div", { class: "convo-main" },
        h("h2", { class: "section-title" }, h("span", { text: t("thread.title") }), thread.countBadge),
        thread.announcer, thread.earlier, thread.list, answer),
      h("aside", { class: "convo-side", "aria-label": t("ticket.aside") },
        view.troubleshooter ? troubleshooterCard(view.troubleshooter) : null,
        docs,
        followersCard({ base }),
        h("section", { class: "card", "aria-labelledby": "c-details" },
          h("h2", { class: "card__title", id: "c-details", text: t("ticket.details") }), header.details))));
  append(main, h("div", { class: "split split--detail" }, pane.element, detail));

  const stop = follow({
    ticketId: id,
    lastSeq: thread.lastSeq(),
    poll: (after) => get(`${base}/messages`, { after }, { quiet: true }),
    onUpdate: (/** @type {MessagesPage<ConsoleMessage>} */ update) => {
      if (thread.add(update.messages, true)) {
        if (update.messages.some((m) => m.kind === "system_event" || m.author.role === "customer")) refresh(true);
        docs.refresh(true);
      }
    },
  });
  onCleanup(stop);
}
