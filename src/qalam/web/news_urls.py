"""URL table of feeds, sitemaps and robots.txt (docs/feeds.md), included before the page catch-all.

The feed patterns are deliberately loose (a language, a section or a tag segment): the views
check what the segments name and hand anything else to the page dispatcher, so only paths that
really are feeds shadow pages.
"""

from django.urls import path, re_path

from .views import feeds, sitemaps

SEG = r"[^/]+"
FMT = r"(?P<fmt>rss|atom|json)"

urlpatterns = [
    path("robots.txt", sitemaps.robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap-index"),
    re_path(r"^sitemap-(?P<name>[^/]+?)(?:-(?P<number>[0-9]+))?\.xml$", sitemaps.sitemap_section, name="sitemap"),
    # /tag/x/feed.rss before the section form, which would read it as language "tag", section "x".
    re_path(rf"^(?:(?P<first>{SEG})/)?tag/(?P<tag>{SEG})/feed\.{FMT}$", feeds.feed_view, name="feed-tag"),
    re_path(rf"^(?:(?P<first>{SEG})/)?(?:(?P<second>{SEG})/)?feed\.{FMT}$", feeds.feed_view, name="feed"),
    re_path(rf"^(?:(?P<first>{SEG})/)?feed-full\.rss$", feeds.full_text_view, name="feed-full"),
]
