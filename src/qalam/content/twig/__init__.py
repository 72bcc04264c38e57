"""Twig-in-content for Grav pages (``process: twig: true``), run in a Jinja2 sandbox.

Grav runs a page body (after Markdown) as a Twig template.  Qalam translates the
Twig source to Jinja2 with a small, tested pre-pass and renders it in
:class:`jinja2.sandbox.ImmutableSandboxedEnvironment`, with Twig-compatible
filters, tests, functions and PHP-like operators.  Content authors cannot reach
Python internals, mutate the objects passed in, read files or include templates.

Public API
----------
``TwigRenderer(*, extra_filters=None, extra_functions=None, logger=None, ...)``
    ``render(source, context, *, name="<page>", lang="en") -> str`` never raises
    for template problems; see :meth:`TwigRenderer.render`.
``TwigDict``
    A ``dict`` with attribute access and dotted ``get('a.b.c')``, for wrapping
    Grav-style configuration before passing it in a context.
``translate(source) -> str``
    The Twig -> Jinja2 pre-pass on its own (for debugging and tests).

Twig support and limits (for the docs)
--------------------------------------
Syntax:

* ``{{ }}``, ``{% %}``, ``{# #}``, whitespace control ``-`` and ``~`` (``~``
  trims spaces and tabs only, as in Twig), the first newline after a tag is
  dropped (Twig behaviour), the final newline is kept.
* ``{% for v in hash %}`` iterates the *values* of a mapping and
  ``{% for k, v in x %}`` its items (index/value pairs for lists), as Twig does;
  ``{% for ... else %}`` works.  ``loop.index`` etc. as in Twig (no
  ``loop.parent``).  Jinja's ``recursive`` loops are refused.
* Variables set inside a ``for`` loop persist after the loop (Twig scoping).
  Implemented by moving such names to a namespace; tuple assignments
  (``{% set a, b = ... %}``) and names also used as loop variables or macro
  parameters keep Jinja's loop-local scoping.
* ``a ? b : c``, ``a ? b``, ``a ?: b``, ``a ?? b`` (right-associative, binds
  tighter than other binary operators as in Twig), ``1..5`` and ``'a'..'e'``
  (inclusive ranges), ``starts with``, ``ends with``, ``<=>``, ``is same as(x)``,
  ``is divisible by(n)``, ``is null``, ``is empty``, ``is iterable``, ``is
  even/odd``, ``is not ...``, ``not/and/or``, ``~``, ``**``, ``//``,
  ``"#{interpolation}"`` in double-quoted strings, hash literals with bare keys
  (``{a: 1}``, ``{a}``), ``x[1:2]`` (Twig's start/length slice), arrow
  functions for ``filter``/``map``/``reduce``/``sort`` (``v => v.x``,
  ``(a, b) => a <=> b``), ``null``/``TRUE``/``FALSE`` constants, named
  arguments ``f(a=1)`` and ``f(a: 1)``.
* Tags: ``if/elseif/else``, ``for``, ``set`` (also block form), ``apply``,
  ``filter``, ``spaceless``, ``markdown`` (Grav), ``verbatim``/``raw``,
  ``autoescape``, ``do``, ``macro`` (``_self.name()`` and ``{% import _self as
  m %}`` work), ``block``, ``switch/case/default`` (Grav), ``flush`` and
  ``deprecated`` (ignored).
* Refused with an error box: ``include``, ``extends``, ``embed``, ``import``
  and ``from`` of anything but ``_self``, ``use``, ``sandbox``, the functions
  ``include()``, ``source()``, ``template_from_string()``, the ``matches``
  operator (no user-supplied regular expressions: ReDoS), ``with`` with
  variables, unknown tags.

Semantics:

* Comparisons (``== != < > <= >= in``) and arithmetic follow PHP 8 loose rules
  (``1 == '1'``, ``null == false``, ``'abc' * 2 == 0``, ``-7 % 3 == -1``,
  ``'a' in {'k': 'a'}`` checks values).  Printing follows PHP: ``null`` and
  ``false`` print nothing, ``true`` prints ``1``, ``2.0`` prints ``2``, arrays
  print ``Array``.
* Known differences: the string ``'0'`` is truthy (PHP: falsy); ``and``/``or``
  return an operand rather than a boolean; chained comparisons use Python
  semantics; ``\\r\\n`` in the template becomes ``\\n``.
* Undefined variables and attributes are empty (``strict_variables`` off); an
  undefined variable equals ``null``.  ``obj.name`` calls a method ``name()``,
  ``getName()``, ``isName()`` or ``hasName()`` when there is no attribute, as
  Twig does; keys of mappings win over mapping methods; ``mapping.get('a.b')``
  does a dotted lookup on any mapping.
* Calling an unknown function renders
  ``<span class="qalam-missing-function" data-function="f">[f()]</span>`` and
  logs one warning per function per render.  Unknown filters pass the value
  through and unknown tests are false (Grav's ``undefined_filters``), each with
  one warning.
* ``autoescape`` is on by default (Grav 1.7 default): use ``|raw`` for HTML.
  ``json_encode`` returns a plain string (escaped on output unless ``|raw``),
  compact, non-ASCII kept as is (Kazakh stays readable), with ``< > & '``
  and U+2028/U+2029 written as ``\\u`` escapes so ``{{ x|json_encode|raw }}`` is
  valid JSON and safe inside ``<script>``.  ``escape`` strategies: ``html``,
  ``html_attr``, ``js``, ``css``, ``url``.
* ``date`` uses :func:`qalam.lang.dates.format_php_date` in the page language;
  ``truncate`` pads with ``…`` (Grav uses ``&hellip;``, which autoescape would
  show literally).  ``t``/``trans`` return the key unless ``extra_filters``
  provides a translator; ``markdown`` escapes unless ``extra_filters`` provides
  one.

Limits (hostile input): source at most ``max_source_chars`` (1 000 000),
output and any intermediate string at most ``max_output_chars`` (2 000 000),
a range at most ``max_range`` items (10 000), lists/hashes built by ``merge``
at most ``max_items`` (100 000), loop iterations plus calls at most
``max_steps`` (200 000) per render, ``time_limit`` seconds (5) of wall time per
render, bracket nesting at most 100, ``json_encode`` at most 100 000 nodes,
``format`` widths at most 1000.  Integer arithmetic that would exceed 4096 bits
becomes floating point (PHP overflows to float too).  Python recursion limits
stop runaway macro recursion.  All of these end in an error box, not an
exception.

Objects in the context: the sandbox blocks ``_private`` attributes, Python
internals and the mutating methods of ``dict``/``list``/``set``; methods of your
own objects are callable unless marked ``alters_data = True`` or with
:func:`jinja2.sandbox.unsafe`, so pass read-only snapshots (as
``qalam.content.render`` does).
"""

from __future__ import annotations

# The package, as a table of contents: limits and errors -> TwigDict -> the Twig->Jinja2 pre-pass
# -> runtime values and state -> the sandboxed environment -> filters and tests -> the renderer.
from .dicts import TwigDict
from .limits import (
    MAX_FORMAT_WIDTH, MAX_INT_BITS, MAX_ITEMS, MAX_JSON_NODES, MAX_NESTING, MAX_OUTPUT_CHARS, MAX_RANGE,
    MAX_SOURCE_CHARS, MAX_STEPS, MAX_WORK_CHARS, MAX_WORK_ITEMS, SAFE_STR_METHODS, TIME_LIMIT, TwigLimitError,
    TwigSyntaxError,
)
from .renderer import LIMIT_RETRY, TwigRenderer
from .translate import translate

__all__ = [
    "TwigRenderer", "TwigDict", "TwigSyntaxError", "TwigLimitError", "translate", "LIMIT_RETRY", "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS", "MAX_ITEMS", "MAX_JSON_NODES", "MAX_NESTING", "MAX_OUTPUT_CHARS", "MAX_RANGE",
    "MAX_SOURCE_CHARS", "MAX_STEPS", "MAX_WORK_CHARS", "MAX_WORK_ITEMS", "SAFE_STR_METHODS", "TIME_LIMIT",
]
