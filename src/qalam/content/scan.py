"""Walk ``user/pages`` into a tree of folder nodes (rule book §1, §2, §6).

Scanning only looks at names and ``stat`` results; parsing files is the index's job
(:mod:`qalam.content.index`), so a re-scan of a large site is cheap.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .safefs import entry_problem, real_root, safe_dir

ORDER_PREFIX = re.compile(r"^(\d+)\.")
MODULE_FOLDER = re.compile(r"^(\d+\.)?_")
# A page file: no dot in the base name, then `.md` or `.<lang>.md` (Pages::recurse).
PAGE_FILE = re.compile(r"^([^.]+)(?:\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?))?\.md$")
MEDIA_EXCLUDED = {"frontmatter.yaml", "media.json"}


@dataclass
class FileStat:
    rel: str  # path relative to the pages folder, POSIX separators
    mtime_ns: int
    size: int


@dataclass
class Node:
    """One folder under ``pages/``; language-independent."""

    rel: str  # "" for the root, else "02.news/01.item"
    name: str
    parent: Node | None
    children: list[Node] = field(default_factory=list)
    #: page files by language code ('' = plain .md): filename, template name
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    media: dict[str, FileStat] = field(default_factory=dict)  # file name -> stat
    frontmatter: FileStat | None = None
    file_stats: dict[str, FileStat] = field(default_factory=dict)  # page file name -> stat

    @property
    def order(self) -> int | None:
        m = ORDER_PREFIX.match(self.name)
        return int(m.group(1)) if m else None

    @property
    def folder_slug(self) -> str:
        """Folder name without its numeric prefix (Grav's slug before lowercasing)."""
        return ORDER_PREFIX.sub("", self.name, count=1)

    @property
    def is_module_folder(self) -> bool:
        return bool(MODULE_FOLDER.match(self.name))

    def file_rel(self, filename: str) -> str:
        return f"{self.rel}/{filename}" if self.rel else filename


@dataclass
class ScanResult:
    root: Node
    nodes: dict[str, Node]
    files: dict[str, FileStat]  # every page file and frontmatter.yaml, by rel path
    #: page, frontmatter and media names refused (rel -> reason): links out of the site, FIFOs,
    #: devices, sockets, link loops. They are neither pages nor media; `qalam check` lists them.
    refused: dict[str, str] = field(default_factory=dict)


def scan_pages(
    pages_dir: str | os.PathLike,
    *,
    languages: list[str],
    media_types: set[str],
    ignore_folders: set[str] = frozenset({".git", ".idea"}),
    ignore_files: set[str] = frozenset({".DS_Store"}),
) -> ScanResult:
    """Scan the pages folder; children are in natural folder order (numeric prefixes as numbers)."""
    langs = {code.lower(): code for code in languages}
    root_node = Node(rel="", name="", parent=None)
    nodes: dict[str, Node] = {"": root_node}
    files: dict[str, FileStat] = {}
    refused: dict[str, str] = {}
    base = os.fspath(pages_dir)
    root = real_root(base)
    seen_dirs = {root}

    def walk(node: Node, path: str) -> None:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name in ignore_files:
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if ":" in name or name in ignore_folders:
                    continue
                if entry.is_symlink() and safe_dir(entry.path, root, seen_dirs) is None:
                    refused[node.file_rel(name)] = "a folder link that leads outside the pages folder or loops"
                    continue
                subdirs.append(entry)
                continue
            rel = node.file_rel(name)
            problem = entry_problem(entry, root)
            if problem is not None:
                # Never a page or a medium: reading a FIFO blocks, a device never ends, a link
                # out of the site would publish whatever it points at (docs/security.md).
                if PAGE_FILE.match(name) or name == "frontmatter.yaml" or "." in name:
                    refused[rel] = problem
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            fstat = FileStat(rel, st.st_mtime_ns, st.st_size)
            m = PAGE_FILE.match(name)
            if m:
                template, code = m.group(1), m.group(2)
                if code is None:
                    lang = ""
                elif code.lower() in langs:
                    lang = langs[code.lower()]
                else:
                    continue  # a language this site does not serve: not a page file
                # Several files for one language: the first in (sorted) order wins.
                if lang not in node.files:
                    node.files[lang] = (name, template)
                    node.file_stats[name] = fstat
                    files[rel] = fstat
                continue
            if name == "frontmatter.yaml":
                node.frontmatter = fstat
                files[rel] = fstat
                continue
            if name in MEDIA_EXCLUDED or name.endswith(".md"):
                continue
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext in media_types:
                node.media[name] = fstat
        for entry in sorted(subdirs, key=lambda e: natural_key(e.name)):
            child = Node(rel=node.file_rel(entry.name), name=entry.name, parent=node)
            node.children.append(child)
            nodes[child.rel] = child
            walk(child, entry.path)

    walk(root_node, base)
    return ScanResult(root=root_node, nodes=nodes, files=files, refused=refused)


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Natural sort: `2.x` before `10.x` (Grav's default order compares prefixes as numbers)."""
    parts = _DIGITS.split(name.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")
