"""The standard library's HTML parser, without its one way to fail on bad markup.

``html.parser.HTMLParser`` reads any text, except that a malformed ``<!`` declaration
(``<![0``, ``<!x[``) makes it raise ``AssertionError`` ("expected name token") from
``_markupbase``. Qalam parses readers' and archives' HTML (search text, summaries, the Latin
edition), so every parser derives from :class:`SafeHTMLParser`, which reads such a ``<!`` as
two characters of text and goes on.
"""

from __future__ import annotations

import html.parser


class SafeHTMLParser(html.parser.HTMLParser):
    def parse_html_declaration(self, i: int) -> int:
        try:
            return super().parse_html_declaration(i)
        except AssertionError:
            self.handle_data(self.rawdata[i:i + 2])
            return i + 2

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.handle_data(self.rawdata[i:i + 2])
            return i + 2
