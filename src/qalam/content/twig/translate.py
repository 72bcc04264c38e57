"""The pre-pass: Twig source -> Jinja2 source (lexing Twig's extra syntax, rewriting it)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .limits import MAX_NESTING, TwigSyntaxError


@dataclass
class _Tok:
    kind: str  # name | num | str | op
    text: str
    ws: str = ""
    line: int = 1
    role: str = ""  # "kw": keyword-argument / filter name / parameter, never rewritten


@dataclass
class _Group:
    open: _Tok
    items: list
    close: _Tok
    slice: tuple | None = None  # (start_nodes, length_nodes) for x[a:b]

    @property
    def ws(self) -> str:
        return self.open.ws

    @ws.setter
    def ws(self, value: str) -> None:
        self.open.ws = value

    @property
    def line(self) -> int:
        return self.open.line


_CLOSERS = {"(": ")", "[": "]", "{": "}"}


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
   |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
   |(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
   |(?P<name>[^\W\d]\w*)
   |(?P<op><=>|\.\.\.|\?\?|\?:|\.\.|\*\*|//|==|!=|<=|>=|=>|[-+*/%~|.,:?()\[\]{}<>=])
    """,
    re.X | re.S,
)


_KEYWORDS = {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "null", "recursive"}


_CONSTANTS = {"null": "none", "none": "none", "true": "true", "false": "false"}


_LOW_NAMES = {"or", "and", "not", "in", "matches", "is"}


_CMP_OPS = {"==", "!=", "<", ">", "<=", ">=", "<=>", "starts with", "ends with"}


_ALLOWED_TAGS = {
    "if", "elseif", "elif", "else", "endif", "for", "endfor", "set", "endset",
    "block", "endblock", "macro", "endmacro", "filter", "endfilter", "apply",
    "endapply", "spaceless", "endspaceless", "markdown", "endmarkdown",
    "autoescape", "endautoescape", "do", "with", "endwith", "switch", "case",
    "default", "endswitch", "import", "from", "flush", "deprecated",
}  # fmt: skip


_FORBIDDEN_TAGS = {"include", "extends", "embed", "use", "sandbox", "import", "from"}


def _is_op(node: Any, *texts: str) -> bool:
    return isinstance(node, _Tok) and node.kind == "op" and node.text in texts


def _is_name(node: Any, *texts: str) -> bool:
    return isinstance(node, _Tok) and node.kind == "name" and (not texts or node.text in texts)


def _operand_end(node: Any) -> bool:
    """Can ``node`` end an operand (so a following ``(``/``[`` is a call/subscript)?"""
    if isinstance(node, _Group):
        return node.open.text in "([" or node.open.text == "{"
    if isinstance(node, _Tok):
        if node.kind in ("str", "num"):
            return True
        if node.kind == "name":
            return node.text.lower() not in _KEYWORDS or node.role == "kw" or node.text in ("true", "false", "none")
    return False


def _emit(nodes: Iterable) -> str:
    out: list[str] = []
    for n in nodes:
        if isinstance(n, _Group):
            out.append(n.open.ws + n.open.text)
            out.append(_emit(n.items))
            out.append(n.close.ws + n.close.text)
        else:
            out.append(n.ws + n.text)
    return "".join(out)


def _split(nodes: list, sep: str = ",") -> list[list]:
    parts: list[list] = [[]]
    for n in nodes:
        if _is_op(n, sep):
            parts.append([])
        else:
            parts[-1].append(n)
    return parts


def _join(parts: list[list], sep: str = ",") -> list:
    out: list = []
    for i, p in enumerate(parts):
        if i:
            out.append(_Tok("op", sep))
        out.extend(p)
    return out


def _paren(nodes: list, ws: str = "") -> _Group:
    if nodes and nodes[0].ws:
        nodes = list(nodes)
    return _Group(_Tok("op", "(", ws), list(nodes), _Tok("op", ")"))


def _call(fname: str, args: list[list], ws: str = "") -> list:
    return [_Tok("name", fname, ws, role="kw"), _Group(_Tok("op", "("), _join(args), _Tok("op", ")"))]


def _jinja_str(text: str) -> str:
    body = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return "'" + body + "'"


def _lineno(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


class _Part:
    __slots__ = ("kind", "text", "nodes", "lmod", "rmod", "line", "tag", "orig_newlines")

    def __init__(self, kind: str, text: str = "", nodes: list | None = None, lmod: str = "", rmod: str = "",
                 line: int = 1, tag: str = "", orig_newlines: int = 0) -> None:  # fmt: skip
        self.kind, self.text, self.nodes, self.lmod, self.rmod = kind, text, nodes or [], lmod, rmod
        self.line, self.tag, self.orig_newlines = line, tag, orig_newlines


@dataclass
class Translation:
    source: str
    rename: frozenset = frozenset()
    arrows: list = field(default_factory=list)  # (body, line)


class _Translator:
    def __init__(self, source: str) -> None:
        self.src = source
        self.arrows: list[tuple[str, int]] = []
        self.self_aliases: set[str] = {"_self"}
        self.rename: set[str] = set()

    # ---- pass 1: lexing ---------------------------------------------------
    def _tokenize(self, pos: int, end: str, line: int) -> tuple[list, int, str]:
        """Tokenize an expression from ``pos`` until ``end`` (``}}``, ``%}`` or
        ``}`` for string interpolation) at bracket depth 0.  Returns nodes,
        the position after the closing delimiter and the right modifier."""
        src = self.src
        stack: list[tuple[_Tok, list]] = []
        items: list = []
        ws = ""
        n = len(src)
        while True:
            if pos >= n:
                raise TwigSyntaxError(f"unclosed tag (expected {end!r})", line)
            if not stack:
                for mod in ("-", "~", ""):
                    if end != "}" and src.startswith(mod + end, pos):
                        return items, pos + len(mod) + len(end), mod
                if end == "}" and src.startswith("}", pos):
                    return items, pos + 1, ""
            m = _TOKEN_RE.match(src, pos)
            if not m:
                raise TwigSyntaxError(f"unexpected character {src[pos]!r}", line)
            kind = m.lastgroup
            text = m.group()
            pos = m.end()
            if kind == "ws":
                ws += text
                line += text.count("\n")
                continue
            tok = _Tok(kind, text, ws, line)
            ws = ""
            if kind == "str":
                line += text.count("\n")
            if kind == "op" and text in _CLOSERS:
                if len(stack) >= MAX_NESTING:
                    raise TwigSyntaxError("expression nested too deeply", line)
                stack.append((tok, items))
                items = []
                continue
            if kind == "op" and text in (")", "]", "}"):
                if not stack:
                    if text == "}" and end != "}":
                        raise TwigSyntaxError("unexpected '}'", line)
                    raise TwigSyntaxError(f"unexpected {text!r}", line)
                open_tok, outer = stack.pop()
                if _CLOSERS[open_tok.text] != text:
                    raise TwigSyntaxError(f"unclosed {open_tok.text!r} (found {text!r})", line)
                group = _Group(open_tok, items, tok)
                items = outer
                items.append(group)
                continue
            items.append(tok)

    def _scan(self) -> list[_Part]:
        src = self.src
        parts: list[_Part] = []
        pos = 0
        n = len(src)
        opener = re.compile(r"\{[{%#]")
        while pos < n:
            m = opener.search(src, pos)
            if not m:
                parts.append(_Part("text", src[pos:]))
                break
            if m.start() > pos:
                parts.append(_Part("text", src[pos : m.start()]))
            start = m.start()
            line = _lineno(src, start)
            kind = m.group()[1]
            p = m.end()
            lmod = ""
            if p < n and src[p] in "-~":
                lmod = src[p]
                p += 1
            if kind == "#":
                close = src.find("#}", p)
                if close < 0:
                    raise TwigSyntaxError("unclosed comment", line)
                rmod = src[close - 1] if close > p and src[close - 1] in "-~" else ""
                raw = src[start : close + 2]
                parts.append(_Part("comment", raw, lmod=lmod, rmod=rmod, line=line))
                pos = close + 2
                continue
            end = "}}" if kind == "{" else "%}"
            nodes, after, rmod = self._tokenize(p, end, line)
            orig = src[start:after]
            part = _Part("var" if kind == "{" else "tag", "", nodes, lmod, rmod, line, orig_newlines=orig.count("\n"))
            pos = after
            if kind == "%":
                if not nodes or not _is_name(nodes[0]):
                    raise TwigSyntaxError("expected a tag name", line)
                part.tag = nodes[0].text
                if part.tag in ("verbatim", "raw"):
                    endre = re.compile(r"\{%([-~]?)\s*end" + part.tag + r"\s*([-~]?)%\}")
                    em = endre.search(src, pos)
                    if not em:
                        raise TwigSyntaxError(f"unclosed {part.tag!r} block", line)
                    parts.append(_Part("raw", src[pos : em.start()], lmod=lmod, rmod=rmod, line=line))
                    parts.append(_Part("endraw", "", lmod=em.group(1), rmod=em.group(2), line=_lineno(src, em.start())))
                    pos = em.end()
                    continue
            parts.append(part)
        return parts

    # ---- analysis --------------------------------------------------------
    def _analyse(self, parts: list[_Part]) -> None:
        for_depth = macro_depth = 0
        in_loop: set[str] = set()
        excluded: set[str] = {"loop", "_self", "_twig_vars", "_context"}
        for part in parts:
            if part.kind != "tag":
                continue
            tag, rest = part.tag, part.nodes[1:]
            if tag == "for":
                for_depth += 1
                for n in rest:
                    if _is_name(n, "in"):
                        break
                    if _is_name(n):
                        excluded.add(n.text)
            elif tag == "endfor":
                for_depth = max(0, for_depth - 1)
            elif tag == "macro":
                macro_depth += 1
                for n in rest:
                    if isinstance(n, _Group):
                        for p in _split(n.items):
                            if p and _is_name(p[0]):
                                excluded.add(p[0].text)
            elif tag == "endmacro":
                macro_depth = max(0, macro_depth - 1)
            elif tag == "import":
                # {% import _self as m %}
                if len(rest) >= 3 and _is_name(rest[0], "_self") and _is_name(rest[1], "as"):
                    self.self_aliases.add(rest[2].text)
            elif tag == "set":
                targets = []
                for n in rest:
                    if _is_op(n, "="):
                        break
                    targets.append(n)
                names = [t for t in targets if _is_name(t)]
                if len(targets) != 1:
                    excluded.update(t.text for t in names)
                elif names and for_depth > 0 and macro_depth == 0:
                    in_loop.add(names[0].text)
        self.rename = in_loop - excluded

    # ---- pass 2: expressions -------------------------------------------------
    def _seg(self, nodes: list, ctx: dict) -> list:
        """Rewrite one comma-free expression."""
        if not nodes:
            return nodes
        arrow = self._arrow(nodes, ctx)
        if arrow is not None:
            return arrow
        nodes = self._groups(nodes, ctx)
        nodes = self._merge_words(nodes)
        nodes = self._slices(nodes)
        return self._ternary(nodes, ctx)

    def _expr_list(self, nodes: list, ctx: dict) -> list:
        return _join([self._seg(p, ctx) if p else p for p in _split(nodes)])

    def _groups(self, nodes: list, ctx: dict) -> list:
        out: list = []
        for i, n in enumerate(nodes):
            prev = out[-1] if out else None
            if isinstance(n, _Tok) and n.kind == "str" and n.text.startswith('"') and "#{" in n.text:
                out.append(self._interpolate(n, ctx))
                continue
            if not isinstance(n, _Group):
                out.append(n)
                continue
            op = n.open.text
            if op == "(":
                if prev is not None and _operand_end(prev) and not _is_op(prev, "|") and not (
                    isinstance(prev, _Tok) and prev.kind in ("num",)
                ):
                    n.items = self._call_args(n.items, ctx)
                else:
                    n.items = self._expr_list(n.items, ctx)
            elif op == "[":
                if prev is not None and _operand_end(prev):
                    colon = [j for j, x in enumerate(n.items) if _is_op(x, ":")]
                    has_q = any(_is_op(x, "?", "?:") for x in n.items)
                    if colon and not has_q:
                        c = colon[0]
                        start = self._seg(n.items[:c], ctx) or [_Tok("num", "0")]
                        length = self._seg(n.items[c + 1 :], ctx) or [_Tok("name", "none")]
                        n.slice = (start, length)
                    else:
                        n.items = self._seg(n.items, ctx)
                else:
                    n.items = self._expr_list(n.items, ctx)
            else:  # hash literal
                n.items = self._hash(n.items, ctx)
            out.append(n)
        return out

    def _call_args(self, items: list, ctx: dict) -> list:
        parts = []
        for p in _split(items):
            if len(p) >= 2 and _is_name(p[0]) and _is_op(p[1], "=", ":"):
                p[0].role = "kw"
                p[1] = _Tok("op", "=", p[1].ws, p[1].line)
                parts.append(p[:2] + self._seg(p[2:], ctx))
            else:
                parts.append(self._seg(p, ctx))
        return _join(parts)

    def _hash(self, items: list, ctx: dict) -> list:
        parts = []
        for p in _split(items):
            if not p:
                parts.append(p)
                continue
            colon = None
            for j, x in enumerate(p):
                if _is_op(x, "?", "?:", "??"):
                    break
                if _is_op(x, ":"):
                    colon = j
                    break
            if colon is None:
                if len(p) == 1 and _is_name(p[0]):  # {a} == {a: a}
                    key = _Tok("str", _jinja_str(p[0].text), p[0].ws, p[0].line)
                    value = self._seg([_Tok("name", p[0].text, " ", p[0].line)], ctx)
                    parts.append([key, _Tok("op", ":")] + value)
                    continue
                raise TwigSyntaxError("a hash key must be followed by ':'", p[0].line)
            key = p[:colon]
            if len(key) == 1 and isinstance(key[0], _Tok) and key[0].kind == "name":
                key = [_Tok("str", _jinja_str(key[0].text), key[0].ws, key[0].line)]
            else:
                key = self._seg(key, ctx)
            parts.append(key + [p[colon]] + self._seg(p[colon + 1 :], ctx))
        return _join(parts)

    def _interpolate(self, tok: _Tok, ctx: dict) -> _Group:
        body = tok.text[1:-1]
        pieces: list = []
        lit = []
        i = 0
        while i < len(body):
            if body.startswith("\\#{", i):
                lit.append("#{")
                i += 3
                continue
            if body[i] == "\\" and i + 1 < len(body):
                lit.append(body[i : i + 2])
                i += 2
                continue
            if body.startswith("#{", i):
                if lit:
                    pieces.append(_Tok("str", '"' + "".join(lit) + '"'))
                    lit = []
                sub = _Translator(body)
                inner, after, _ = sub._tokenize(i + 2, "}", tok.line)
                if not inner:
                    raise TwigSyntaxError("empty string interpolation", tok.line)
                sub.rename, sub.self_aliases = self.rename, self.self_aliases
                expr = sub._seg(inner, ctx)
                self.arrows.extend(sub.arrows)
                pieces.append(_paren(expr))
                i = after
                continue
            lit.append(body[i])
            i += 1
        if lit:
            pieces.append(_Tok("str", '"' + "".join(lit) + '"'))
        joined: list = []
        for k, p in enumerate(pieces):
            if k:
                joined.append(_Tok("op", "~", " "))
            if isinstance(p, _Tok):
                p.ws = " " if k else ""
            joined.append(p)
        if not joined:
            joined = [_Tok("str", '""')]
        return _Group(_Tok("op", "(", tok.ws, tok.line), joined, _Tok("op", ")"))

    def _merge_words(self, nodes: list) -> list:
        out: list = []
        i = 0
        while i < len(nodes):
            n = nodes[i]
            nxt = nodes[i + 1] if i + 1 < len(nodes) else None
            prev = out[-1] if out else None
            after_is = _is_name(prev, "is") or (
                _is_name(prev, "not") and len(out) >= 2 and _is_name(out[-2], "is")
            )
            if after_is and _is_name(n, "same") and _is_name(nxt, "as"):
                out.append(_Tok("name", "sameas", n.ws, n.line, "kw"))
                i += 2
                continue
            if after_is and _is_name(n, "divisible") and _is_name(nxt, "by"):
                out.append(_Tok("name", "divisibleby", n.ws, n.line, "kw"))
                i += 2
                continue
            if after_is and _is_name(n) and not _is_name(n, "not"):
                n.role = "kw"  # a test name, never a variable
            if _is_name(n, "starts", "ends") and _is_name(nxt, "with") and prev is not None and _operand_end(prev):
                out.append(_Tok("op", n.text + " with", n.ws, n.line))
                i += 2
                continue
            if (
                _is_name(n, "matches")
                and prev is not None
                and _operand_end(prev)
                and not _is_op(prev, ".", "|")
                and not (_is_name(prev) and prev.text.lower() in _KEYWORDS)
            ):
                raise TwigSyntaxError("the 'matches' operator is not supported", n.line)
            if _is_name(n) and n.text in self.self_aliases and _is_op(nxt, ".") and not _is_op(prev, ".", "|"):
                i += 2  # _self.macro() -> macro()
                if i < len(nodes) and isinstance(nodes[i], _Tok):
                    nodes[i].ws = n.ws
                continue
            if _is_name(n) and (n.text == "b" and _is_op(nxt, "-")):
                raise TwigSyntaxError("bitwise operators (b-and, b-or, b-xor) are not supported", n.line)
            out.append(n)
            i += 1
        return out

    def _slices(self, nodes: list) -> list:
        i = 0
        while i < len(nodes):
            n = nodes[i]
            if isinstance(n, _Group) and n.slice is not None:
                start = _chain_start(nodes, i)
                if start == i:
                    raise TwigSyntaxError("slice without a value", n.line)
                chain = nodes[start:i]
                ws = chain[0].ws
                chain[0].ws = ""
                repl = _call("_twig_slice", [chain, n.slice[0], n.slice[1]], ws)
                nodes = nodes[:start] + repl + nodes[i + 1 :]
                i = start + len(repl)
                continue
            i += 1
        return nodes

    def _ternary(self, nodes: list, ctx: dict) -> list:
        for i, n in enumerate(nodes):
            if _is_op(n, "?:"):
                left, right = nodes[:i], nodes[i + 1 :]
                if not left or not right:
                    raise TwigSyntaxError("incomplete '?:' expression", n.line)
                return [_paren(self._rest(left, ctx), left[0].ws), _Tok("name", "or", " "),
                        _paren(self._ternary(right, ctx), " ")]  # fmt: skip
            if _is_op(n, "?"):
                cond = nodes[:i]
                depth = 0
                colon = None
                for j in range(i + 1, len(nodes)):
                    if _is_op(nodes[j], "?"):
                        depth += 1
                    elif _is_op(nodes[j], ":"):
                        if depth == 0:
                            colon = j
                            break
                        depth -= 1
                then = nodes[i + 1 : colon] if colon is not None else nodes[i + 1 :]
                other = nodes[colon + 1 :] if colon is not None else [_Tok("str", "''")]
                if not cond or not then or not other:
                    raise TwigSyntaxError("incomplete '?' expression", n.line)
                ws = cond[0].ws
                return [_Group(_Tok("op", "(", ws), [
                    _paren(self._ternary(then, ctx)), _Tok("name", "if", " "),
                    _paren(self._rest(cond, ctx), " "), _Tok("name", "else", " "),
                    _paren(self._ternary(other, ctx), " "),
                ], _Tok("op", ")"))]  # fmt: skip
            if _is_op(n, ":"):
                raise TwigSyntaxError("unexpected ':'", n.line)
        return self._rest(nodes, ctx)

    def _rest(self, nodes: list, ctx: dict) -> list:
        if nodes and isinstance(nodes[0], _Tok):
            nodes[0].ws = nodes[0].ws or ""
        nodes = self._coalesce(nodes)
        nodes = self._binop(nodes, {".."}, _LOW_NAMES | {"is"} - {"is"}, _CMP_OPS | {".."}, "_twig_range")
        for op, fname in (("starts with", "_twig_starts_with"), ("ends with", "_twig_ends_with"), ("<=>", "_twig_cmp")):
            nodes = self._binop(nodes, {op}, _LOW_NAMES - {"is"}, _CMP_OPS, fname)
        return self._names(nodes, ctx)

    def _coalesce(self, nodes: list) -> list:
        while True:
            idx = None
            for i in range(len(nodes) - 1, -1, -1):
                if _is_op(nodes[i], "??"):
                    idx = i
                    break
            if idx is None:
                return nodes
            start = _chain_start(nodes, idx)
            end = _chain_end(nodes, idx + 1)
            if end is None:
                end = len(nodes)
            left, right = nodes[start:idx], nodes[idx + 1 : end]
            if not left or not right:
                raise TwigSyntaxError("incomplete '??' expression", nodes[idx].line)
            ws = left[0].ws
            left[0].ws = ""
            right[0].ws = " "
            nodes = nodes[:start] + _call("_twig_coalesce", [left, right], ws) + nodes[end:]

    def _binop(self, nodes: list, ops: set, stop_names: set, stop_ops: set, fname: str) -> list:
        def boundary(x: Any) -> bool:
            if isinstance(x, _Tok) and x.kind == "op" and x.text in stop_ops:
                return True
            return isinstance(x, _Tok) and x.kind == "name" and x.role != "kw" and x.text.lower() in stop_names

        while True:
            idx = next((i for i, x in enumerate(nodes) if isinstance(x, _Tok) and x.kind == "op" and x.text in ops), None)
            if idx is None:
                return nodes
            start = idx
            while start > 0 and not boundary(nodes[start - 1]):
                start -= 1
            end = idx + 1
            while end < len(nodes) and not boundary(nodes[end]):
                end += 1
            left, right = nodes[start:idx], nodes[idx + 1 : end]
            if not left or not right:
                raise TwigSyntaxError(f"incomplete {nodes[idx].text!r} expression", nodes[idx].line)
            ws = left[0].ws
            left[0].ws = ""
            right[0].ws = " "
            nodes = nodes[:start] + _call(fname, [left, right], ws) + nodes[end:]

    def _names(self, nodes: list, ctx: dict) -> list:
        out: list = []
        rename = ctx.get("rename", ())
        free = ctx.get("free")
        for i, n in enumerate(nodes):
            if not (isinstance(n, _Tok) and n.kind == "name") or n.role == "kw":
                out.append(n)
                continue
            prev = nodes[i - 1] if i else None
            if _is_op(prev, ".", "|"):
                out.append(n)
                continue
            low = n.text.lower()
            if low in _CONSTANTS and n.text in (low, low.upper(), low.capitalize()):
                out.append(_Tok("name", _CONSTANTS[low], n.ws, n.line, "kw"))
                continue
            if low in _KEYWORDS or n.text.startswith("_twig_"):
                out.append(n)
                continue
            if free is not None:
                free.add(n.text)
            if n.text in rename:
                out.extend([_Tok("name", "_twig_vars", n.ws, n.line, "kw"), _Tok("op", "."),
                            _Tok("name", n.text, "", n.line, "kw")])  # fmt: skip
                continue
            out.append(n)
        return out

    def _arrow(self, nodes: list, ctx: dict) -> list | None:
        if len(nodes) >= 3 and _is_name(nodes[0]) and _is_op(nodes[1], "=>"):
            params = [nodes[0].text]
            body = nodes[2:]
        elif len(nodes) >= 3 and isinstance(nodes[0], _Group) and nodes[0].open.text == "(" and _is_op(nodes[1], "=>"):
            params = []
            for p in _split(nodes[0].items):
                if len(p) != 1 or not _is_name(p[0]):
                    raise TwigSyntaxError("arrow function parameters must be names", nodes[0].line)
                params.append(p[0].text)
            body = nodes[2:]
        else:
            return None
        free: set[str] = set()
        sub_ctx = {"rename": (), "free": free}
        translated = _emit(self._seg(body, sub_ctx)).strip()
        line = nodes[0].line
        self.arrows.append((translated, line))
        captured = sorted(free - set(params) - {"loop"})
        args: list[list] = [[_Tok("str", _jinja_str(",".join(params)))], [_Tok("str", _jinja_str(translated), " ")]]
        for name in captured:
            value = self._names([_Tok("name", name, "", line)], ctx)
            args.append([_Tok("name", name, " ", line, "kw"), _Tok("op", "=")] + value)
        return _call("_twig_arrow", args, nodes[0].ws)

    # ---- pass 2: tags ---------------------------------------------------------
    def _tag(self, part: _Part, state: dict) -> str:
        tag = part.tag
        rest = part.nodes[1:]
        line = part.line
        ctx = {"rename": self.rename if state["macro"] == 0 else ()}
        lm = "-" if part.lmod == "-" else ""
        rm = "-" if part.rmod == "-" else ""

        def wrap(body: str) -> str:
            return "{%" + lm + " " + body + " " + rm + "%}"

        if tag not in _ALLOWED_TAGS:
            if tag in _FORBIDDEN_TAGS:
                raise TwigSyntaxError(f"the {tag!r} tag is not allowed in page content", line)
            raise TwigSyntaxError(f"unknown tag {tag!r}", line)
        if tag in ("import", "from"):
            if rest and _is_name(rest[0], "_self"):
                return "{#" + "\n" * part.orig_newlines + "#}"
            raise TwigSyntaxError(f"the {tag!r} tag is not allowed in page content", line)
        if tag in ("flush", "deprecated"):
            return "{#" + "\n" * part.orig_newlines + "#}"
        if tag in ("if", "elseif", "elif"):
            if not rest:
                raise TwigSyntaxError(f"{tag!r} needs a condition", line)
            return wrap(("if " if tag == "if" else "elif ") + _emit(self._expr_list(rest, ctx)).strip())
        if tag == "for":
            state["for"] += 1
            return wrap(self._for(rest, ctx, line))
        if tag == "endfor":
            state["for"] = max(0, state["for"] - 1)
            return wrap("endfor")
        if tag == "set":
            return wrap(self._set(rest, ctx, line))
        if tag == "macro":
            state["macro"] += 1
            return wrap("macro " + _emit(self._macro_head(rest, line)).strip())
        if tag == "endmacro":
            state["macro"] = max(0, state["macro"] - 1)
            return wrap("endmacro")
        if tag in ("apply", "filter"):
            if not rest or not _is_name(rest[0]):
                raise TwigSyntaxError(f"{tag!r} needs a filter", line)
            rest[0].role = "kw"
            return wrap("filter " + _emit(self._seg(rest, ctx)).strip())
        if tag in ("spaceless", "markdown"):
            return wrap("filter " + tag)
        if tag in ("endapply", "endspaceless", "endmarkdown", "endfilter"):
            return wrap("endfilter")
        if tag == "autoescape":
            value = "false" if rest and _is_name(rest[0]) and rest[0].text.lower() == "false" else "true"
            return wrap("autoescape " + value)
        if tag == "do":
            return wrap("do " + _emit(self._expr_list(rest, ctx)).strip())
        if tag == "with":
            if rest:
                raise TwigSyntaxError("'with' with variables is not supported", line)
            return wrap("with")
        if tag == "switch":
            state["switch"].append(True)
            return wrap("with _twig_switch = " + _emit(self._seg(rest, ctx)).strip()) + wrap("if false")
        if tag == "case":
            values = [self._seg(p, ctx) for p in _split(rest)]
            if not values or not values[0]:
                raise TwigSyntaxError("'case' needs a value", line)
            if len(values) == 1:
                cond = "_twig_switch == (" + _emit(values[0]).strip() + ")"
            else:
                cond = "_twig_switch in [" + _emit(_join(values)).strip() + "]"
            return wrap("elif " + cond)
        if tag == "default":
            return wrap("else")
        if tag == "endswitch":
            if state["switch"]:
                state["switch"].pop()
            return wrap("endif") + wrap("endwith")
        if rest and tag not in ("block",):
            return wrap(tag + " " + _emit(self._expr_list(rest, ctx)).strip())
        return wrap(tag + ("" if not rest else " " + _emit(rest).strip()))

    def _for(self, rest: list, ctx: dict, line: int) -> str:
        idx = next((i for i, x in enumerate(rest) if _is_name(x, "in") and x.role != "kw"), None)
        if idx is None or idx == 0:
            raise TwigSyntaxError("expected 'for <name> in <expression>'", line)
        targets = rest[:idx]
        names = [t for t in targets if _is_name(t)]
        if not names or any(not (_is_name(t) or _is_op(t, ",")) for t in targets):
            raise TwigSyntaxError("invalid loop variables", line)
        expr = rest[idx + 1 :]
        cond = None
        for j, x in enumerate(expr):
            if _is_name(x, "recursive"):
                raise TwigSyntaxError("recursive loops are not supported", line)
            if _is_name(x, "if"):
                expr, cond = expr[:j], expr[j + 1 :]
                break
        if not expr:
            raise TwigSyntaxError("missing loop sequence", line)
        helper = "_twig_items" if len(names) == 2 else "_twig_iter"
        body = "for " + ", ".join(t.text for t in names) + " in " + helper + "(" + _emit(self._seg(expr, ctx)).strip() + ")"
        if cond:
            body += " if " + _emit(self._seg(cond, ctx)).strip()
        return body

    def _set(self, rest: list, ctx: dict, line: int) -> str:
        eq = next((i for i, x in enumerate(rest) if _is_op(x, "=")), None)
        targets = rest if eq is None else rest[:eq]
        if not targets or any(not (_is_name(t) or _is_op(t, ",")) for t in targets):
            raise TwigSyntaxError("invalid 'set' target", line)
        names = [t.text for t in targets if _is_name(t)]
        rename = ctx.get("rename", ())
        if len(names) == 1 and names[0] in rename:
            target = "_twig_vars." + names[0]
        else:
            target = ", ".join(names)
        if eq is None:
            return "set " + target
        values = rest[eq + 1 :]
        if not values:
            raise TwigSyntaxError("missing value in 'set'", line)
        return "set " + target + " = " + _emit(self._expr_list(values, ctx)).strip()

    def _macro_head(self, rest: list, line: int) -> list:
        if len(rest) != 2 or not _is_name(rest[0]) or not isinstance(rest[1], _Group) or rest[1].open.text != "(":
            raise TwigSyntaxError("expected 'macro name(arguments)'", line)
        group = rest[1]
        parts = []
        for p in _split(group.items):
            if not p:
                continue
            if not _is_name(p[0]):
                raise TwigSyntaxError("invalid macro argument", line)
            p[0].role = "kw"
            if len(p) > 1:
                if not _is_op(p[1], "=", ":"):
                    raise TwigSyntaxError("invalid macro argument", line)
                p = [p[0], _Tok("op", "=")] + self._seg(p[2:], {"rename": ()})
            parts.append(p)
        group.items = _join(parts)
        rest[0].role = "kw"
        return rest

    # ---- driver -----------------------------------------------------------------
    def translate(self) -> Translation:
        parts = self._scan()
        self._analyse(parts)
        out: list[str] = []
        state = {"for": 0, "macro": 0, "switch": []}
        # Twig's "~" modifier trims spaces and tabs (not newlines) next to the tag.
        for i, part in enumerate(parts):
            if part.kind == "text":
                text = part.text
                if i + 1 < len(parts) and parts[i + 1].lmod == "~":
                    text = text.rstrip(" \t\0\x0b")
                if i > 0 and parts[i - 1].rmod == "~":
                    text = text.lstrip(" \t\0\x0b")
                out.append(text)
                continue
            lm = "-" if part.lmod == "-" else ""
            rm = "-" if part.rmod == "-" else ""
            if part.kind == "comment":
                out.append("{#" + lm + "\n" * part.text.count("\n") + rm + "#}")
                continue
            if part.kind == "raw":
                out.append("{%" + lm + " raw " + rm + "%}" + part.text)
                continue
            if part.kind == "endraw":
                out.append("{%" + lm + " endraw " + rm + "%}")
                continue
            if part.kind == "var":
                if not part.nodes:
                    raise TwigSyntaxError("empty expression", part.line)
                ctx = {"rename": self.rename if state["macro"] == 0 else ()}
                text = "{{" + lm + " " + _emit(self._expr_list(part.nodes, ctx)).strip() + " " + rm + "}}"
            else:
                text = self._tag(part, state)
            missing_nl = part.orig_newlines - text.count("\n")
            if missing_nl > 0:  # keep line numbers: pad inside the last tag
                close = len(text) - 2 - (1 if text[-3] == "-" else 0)
                text = text[:close] + "\n" * missing_nl + text[close:]
            out.append(text)
        return Translation("".join(out), frozenset(self.rename), list(self.arrows))


def _chain_start(nodes: list, end: int) -> int:
    """Index where the postfix chain (``a.b[c](d)|f(e)``) ending before ``end`` starts."""
    j = end - 1
    while j >= 0:
        n = nodes[j]
        if isinstance(n, _Group):
            if n.open.text in "([" and j > 0 and _operand_end(nodes[j - 1]) and not _is_op(nodes[j - 1], "|"):
                j -= 1
                continue
            return j
        if isinstance(n, _Tok) and n.kind in ("name", "str", "num") and (
            n.kind != "name" or n.role == "kw" or n.text.lower() not in _KEYWORDS - {"true", "false", "none", "null"}
        ):
            if j >= 2 and _is_op(nodes[j - 1], ".", "|"):
                j -= 2
                continue
            return j
        return j + 1
    return 0


def _chain_end(nodes: list, start: int) -> int | None:
    j = start
    n = len(nodes)
    while j < n and _is_op(nodes[j], "-", "+"):
        j += 1
    if j >= n:
        return None
    first = nodes[j]
    if isinstance(first, _Tok) and first.kind == "name" and first.role != "kw" and first.text.lower() in (
        _KEYWORDS - {"true", "false", "none", "null"}
    ):
        return None
    if not (isinstance(first, _Group) or (isinstance(first, _Tok) and first.kind in ("name", "str", "num"))):
        return None
    j += 1
    while j < n:
        x = nodes[j]
        if isinstance(x, _Group) and x.open.text in "([":
            j += 1
        elif _is_op(x, ".", "|") and j + 1 < n and isinstance(nodes[j + 1], _Tok) and nodes[j + 1].kind in ("name", "num"):
            j += 2
        else:
            break
    return j


def translate(source: str) -> str:
    """Translate Twig ``source`` to Jinja2 source (raises :class:`TwigSyntaxError`)."""
    return _Translator(source).translate().source
