"""The one place that talks to Mollie (the helper building checkout fills this in)."""
