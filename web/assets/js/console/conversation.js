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
import { customerContext, adminClose } from "./context.js";
import { watchPresence, changedNotice } from "./presence.js";
import { tagEditor } from "./tags.js";
import { mergeControl } from "./merge.js";

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
    closer.render(current);
    desk.tags.render(current);
    desk.merge.render(current);
    showMore();
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
  // What the agent's answer is written on (services/tickets/collisions.py): the thread's last
  // message and the assignee when they began it. Someone else's message or another assignee
  // since is refused, and the composer says what changed and offers Send anyway.
  const seenNow = () => ({ expected_last_seq: thread.lastSeq(),
    expected_assignee_id: current.assignee ? current.assignee.id : null });
  let seen = seenNow();
  const answer = composer({ base, ticketId: id, maxLength: config.max_message_length, limits: config.attachments,
    onSent: async (message, withFiles) => {
      if (withFiles) docs.refresh();
      thread.add([message], false);
      await refresh();
      pane.reload();
    },
    expectations: () => seen,
    onConflict: (error, sendAnyway) => {
      if (!(error instanceof ApiError) || error.code !== "conversation_changed") return null;
      /** @type {ConversationChanged} */
      const changed = /** @type {any} */ (error.details);
      // Sending anyway answers what the refusal named; the thread and header show it at once.
      seen = { expected_last_seq: changed.last_seq,
        expected_assignee_id: changed.assignee ? changed.assignee.id : null };
      refresh();
      return changedNotice(changed, sendAnyway);
    } });
  const answerBox = answer.querySelector("textarea");
  let blank = !answerBox || !answerBox.value.trim();
  if (answerBox) {
    answerBox.addEventListener("input", () => {
      // A new answer begins on what the page shows now (a restored draft: on what it loaded).
      if (blank && answerBox.value.trim()) seen = seenNow();
      blank = !answerBox.value.trim();
    });
  }
  // Who else has the conversation open or is typing (presence.js), under the header.
  const presence = watchPresence({ base, answerBox });
  onCleanup(() => presence.stop());
  header.render(current);
  // The requester's context beside the thread, and an admin's Close of someone else's (context.js)
  const customer = customerContext({ base });
  const closer = adminClose({ base, failed, done: (fresh, message) => {
    applyView(fresh);
    status.replaceChildren(notice("success", message));
    pane.reload();
  } });
  closer.render(current);
  // The team's tags, and "Merge into…" another ticket of the customer (tags.js, merge.js)
  const desk = {
    tags: tagEditor({ base, failed, saved: (fresh, message) => {
      applyView(fresh);
      status.replaceChildren(notice("success", message));
      pane.reload();
    } }),
    merge: mergeControl({ base, filters, failed }),
  };
  desk.tags.render(current);
  desk.merge.render(current);
  // The rarer actions (merging; an admin's close of someone else's) wait behind "More", so the
  // everyday ones keep to one row at a desktop width whatever the font; choosing one closes it.
  const more = h("details", { class: "convo-more" },
    h("summary", { class: "btn btn--ghost btn--small" }, h("span", { text: t("console.moreActions") })),
    h("div", { class: "convo-more__menu" }, closer.button, desk.merge.button));
  more.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest(".convo-more__menu button")) more.open = false;
  });
  function showMore() {
    more.hidden = closer.button.hidden && desk.merge.button.hidden;
  }
  showMore();

  const detail = h("section", { class: "pane pane--detail", "aria-labelledby": "detail-title" },
    h("span", { id: "detail-title", class: "sr-only", text: t("console.detail") }),
    h("a", { class: "back-link back-link--console", href: `/console${filterQuery(filters)}` }, icon("back"),
      t("console.back")),
    h("div", { class: "convo-header" },
      h("p", { class: "ticket__meta muted" }, `#${current.number}`, " · ", t(`channel.${current.channel}`)),
      title.element,
      h("div", { class: "convo-header__row" }, header.statusHolder, header.requesterLine),
      desk.tags.element,
      h("div", { class: "convo-header__actions" }, picker, header.actions, more),
      presence.element),
    status, header.blockHolder, closer.holder, desk.merge.holder, header.blockedBanner,
    h("div", { class: "convo-layout" },
      h("div", { class: "convo-main" },
        h("h2", { class: "section-title" }, h("span", { text: t("thread.title") }), thread.countBadge),
        thread.announcer, thread.earlier, thread.list, answer),
      h("aside", { class: "convo-side", "aria-label": t("ticket.aside") },
        customer.element,
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
        // Whatever came (a teammate's answer takes the conversation and may resolve it), the
        // header shows the ticket as it now is: never a stale assignee or status.
        refresh(true);
        docs.refresh(true);
      }
    },
  });
  onCleanup(stop);
}
