"""The editor's views."""

from __future__ import annotations

from django.http import HttpResponseForbidden


def csrf_failure(request, reason: str = ""):
    """A form sent without its CSRF token (an old tab, or another site's form): say what to do."""
    return HttpResponseForbidden(
        "The form is out of date or did not come from this site (CSRF check failed). "
        "Reload the page and send it again.\n", content_type="text/plain; charset=utf-8")
