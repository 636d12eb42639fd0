"""The review desk: what needs a person, where its card was posted, who handled it.

The core owns it and knows no platform. A *review item* is made when something
waits for a reviewer: a non-reviewer's suggested correction (`suggestion`), an
answer someone rated 👎 (`rejected`), a question the bot could not answer
(`unanswered`). Its card is posted to every desk destination (the Slack review
channel, the Telegram reviewers who opted in) once, whatever the number of
processes: each card is claimed in the database before it is posted. A reviewer
acts on it (`bot.desk.actions`) through the same feedback rules every channel
uses, and the answer is handed back to the customer in their own chat, at most
once per question (`bot.desk.handoff`). Channels implement `bot.desk.ends.DeskEnd`
to post, update and hand off; `bot.desk.desk.Desk` drives them.

This `__init__` stays empty so the tables load without the rest.
"""
