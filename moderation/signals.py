"""The hook through which content apps learn of moderation decisions.

`content_decided` is sent once per decision, inside the decision's transaction, after the
registry's `remove`/`release` ran and the decision was recorded:

    content_decided.send(sender=Report, report=report, decision=Decision.CONTENT_REMOVED)

`decision` is a `moderation.models.Decision` value. A receiver that writes to the database takes
part in the decision's transaction (it is undone with it); one that mails or calls out should
defer that with `transaction.on_commit`. Receivers connect in their app's `ready()` or in
their `moderated_content.py`, e.g.

    @receiver(content_decided, sender=Report)
    def note_decision(sender, report, decision, **kwargs): ...


`blocked_terms_added` is sent (after commit) when moderators add a blocked term or switch one
on, or ask for a recheck in admin, with `terms` (the words or phrases, as typed). Content apps
that show texts check what they show now for those terms and hold matches for review
(moderation.services.hold_for_review), queued with `transaction.on_commit`.
"""

from django.dispatch import Signal

content_decided = Signal()
blocked_terms_added = Signal()
