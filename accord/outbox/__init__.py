"""Outbound e-mail: a transactional outbox delivered over SMTP by a worker, with
retries, a stable Message-ID, and delivery or failure recorded on the timeline.

* `queue.queue_email` writes an `OutboundMessage` row in the caller's transaction (a
  rolled-back change sends nothing, a committed one loses nothing). It refuses an empty
  `to`, a newline in a header, and, on a case, one message to both the complainant's and
  the respondent's addresses (sealed threads hold in e-mail). The Message-ID
  (`<uuid@ACCORD_MAIL_DOMAIN>`) is fixed here, once.
* `manage.py deliver_email` (`delivery.py`) claims due rows in batches under a lease,
  sends each over one connection per batch (EMAIL_BACKEND: SMTP in production, console
  in development) with the stored Message-ID, and marks each sent, with an `email_sent`
  event on its case, as soon as the server accepts it. Transient failures back off
  (1 min doubling, capped at 6 h); a 5xx or the 8th failed attempt marks it failed with
  an `email_failed` event.
* Delivery is at-least-once: a worker killed between the server's acceptance and its
  commit leaves the lease to expire and the message is sent again with the same
  Message-ID. Receiving servers and clients drop a repeated Message-ID, so at most one
  copy is delivered per Message-ID (tests/test_outbox_faults.py kills the SMTP server
  and the worker mid-run to show nothing is lost and a resend shares its Message-ID).
"""
