"""Telling people what concerns them, by e-mail.

* Every event that may concern someone (`NOTIFIED_KINDS`) opens, for its case, a digest
  window of `ACCORD_NOTICE_DIGEST_MINUTES` (`schedule.note`, called by the timeline
  writer in the event's own transaction) and queues one deferred `fold_notices` task
  for its end. The task reads the case's events since the last fold, asks the case
  policy what each side may be told of each (`derive.py`), and queues one e-mail per
  audience — the complainant, the business, the case's staff — with everything of the
  window in it. Several events close together make one e-mail; a notice waits at most
  the window.
* `mail.py` is the envelope every notice shares: its template rendered once as HTML and
  turned into the text part (`plain.py`), the reader's language, a link to their own
  page (the complainant's signed link, the business's /my/ page, the staff case page:
  absolute, from ACCORD_BASE_URL), and the outbox's threading, Reply-To and
  Auto-Submitted headers.
"""
