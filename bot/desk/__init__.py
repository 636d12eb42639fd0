"""The review desk: what needs a person, where its card was posted, who handled it.

The core owns it and knows no platform. A *review item* is made when something
waits for a reviewer: a non-reviewer's suggested correction (`suggestion`), an
answer someone rated 👎 (`rejected`), a question the bot could not answer
(`unanswered`: `reply.outcome` abstained or error). Its card is posted to every desk
destination (the Slack review channel, the Telegram reviewers who opted in) once,
whatever the number of processes: each card is claimed in the database before it is
posted. A reviewer acts on it (`bot.desk.actions`) through the same feedback rules
every channel uses, and the answer is handed back to the customer in their own chat,
at most once per question (the `handoff` table, unique per reply). Channels implement
`bot.desk.ends.DeskEnd` to post, update and hand off; `bot.desk.desk.Desk` drives them.

What any front end (Slack, Telegram, the web console, the CLI) calls:

- `walk.open_cards(core, kinds=..., channels=...)`: the open items, as `views.ItemCard`;
- `actions.can_act(core, item_id=, user=)`: may this person act on it now (before a form);
- `actions.act(core, item_id=, user=, action=ItemAction.approved | edited | rejected |
  answered | corrected | dismissed, text=...)`: do it; `Acted(card, message)`, or
  `NotReviewer` / `AlreadyHandled` (its `card` says who handled it) / `BadInput`;
- `ItemCard.handled_by`, `.handled_at`, `.action`, `.done_line()`: who handled it, how;
- `home.overview(core)`: open items, unanswered this week, model, scores, next retrain;
- `reports.report_for(session, run_id=)`, `runs.roll_back` / `runs.promote_anyway`.

This `__init__` imports nothing, so the tables load without the rest.
"""
