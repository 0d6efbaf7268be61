"""Waiting for htmx in browser tests.

htmx wires new content (its hx- attributes, and `htmx:load`, which opens dialogs) only when the
content settles, a timer some milliseconds after it appears; a page loaded in full is wired
at DOMContentLoaded. A link clicked before then is a plain link: the browser leaves the page
for the link's no-JavaScript fallback. On a busy machine the timer runs late, while the test's
next click comes as soon as the content is visible.
"""


def settled(page) -> None:
    """Wait until the page is loaded and htmx has no request, swap or settle under way: what is
    on the page now is live."""
    busy = ".htmx-request, .htmx-swapping, .htmx-settling"
    # A function, not an expression: Playwright evaluates the text once and polls the function,
    # where an expression is evaluated again at each poll, an eval the page's
    # Content-Security-Policy refuses.
    page.wait_for_function(
        f"() => document.readyState === 'complete' && !document.querySelector('{busy}')"
    )
