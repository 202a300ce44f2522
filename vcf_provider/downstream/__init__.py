"""Code users call later or for hours: SddcManagerAuth, its requests session, renewal, wait_for_task."""
