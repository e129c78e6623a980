"""Non-HTTP triggers (schedules, streams, queues): each hands off to a service in a line or two."""
