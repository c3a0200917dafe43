"""What payments tells the apps above it (which it may not import): they listen here.

`checkout_started`: a member started a checkout and their order was created, sent with
`order` and the member's `request` (activity.partners asks 24metrics about the purchase when the
member allowed affiliate cookies). Sent after the order exists and Mollie's checkout was
created; receivers must not raise and must not slow the request (queue work on commit).
"""

from django.dispatch import Signal

checkout_started = Signal()
