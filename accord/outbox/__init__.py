"""Outbound e-mail: a transactional outbox delivered over SMTP by a worker, with
retries, a stable Message-ID, and delivery or failure recorded on the timeline."""
