"""The notifier's rules as pure functions and plain data: who hears of an alert, when, and how
(routing, grouping, silences, inhibition, quiet hours, escalation, retry backoff). No I/O."""
