"""The last folder walk, kept in the state folder so that a server starts without walking.

Walking ``user/pages`` is a ``stat`` of every file and a listing of every folder: about a
second on 50,000 pages, the largest part of a cold start (docs/benchmarks.md). After every
walk that brought the page index in step with the files, :func:`write` keeps the result in
``.qalam/scan.json`` with the index's *generation* (its identity and a number every change to
the index raises, content/index.py). A server starts from it when nothing has changed the index since
(:func:`read` returns None otherwise) and walks the folders in the background right after
(serve/serving.py), so a file changed while no server ran shows within seconds of the start.

The file is derived state like the index: JSON (never pickle: the state folder is read by the
server), written atomically, ignored when its version, the index generation or the walk's
settings differ. Its first line says what it belongs to, so a process that only needs to know
whether the index is in step (``qalam serve``'s supervisor) reads that line and not the folders,
and a server reads the folders when its first page needs them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .files import atomic_write_bytes
from .scan import FileStat, Node, ScanResult

log = logging.getLogger("qalam.snapshot")

FORMAT = 3  # 2: a first line with what the walk belongs to; 3: with the structure digest
NAME = "scan.json"


def write(path: Path, scan: ScanResult, *, generation: str, settings: list, structure: str = "") -> None:
    """Keep ``scan``: a first line saying what it belongs to (read alone by :func:`peek`), then
    the folders."""
    nodes = []
    for rel, node in scan.nodes.items():  # walk order: a parent before its children, in order
        nodes.append([
            rel, node.name,
            [[lang, name, template, *_stat(node.file_stats.get(name))] for lang, (name, template) in node.files.items()],
            [[name, st.mtime_ns, st.size] for name, st in node.media.items()],
            _stat(node.frontmatter) if node.frontmatter else None,
        ])
    head = {"format": FORMAT, "generation": generation, "settings": settings, "files": len(scan.files),
            "structure": structure}
    body = {"nodes": nodes, "refused": scan.refused}
    dump = lambda data: json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    try:
        atomic_write_bytes(path, f"{dump(head)}\n{dump(body)}".encode(), durable=False)
    except OSError as err:  # a read-only state folder: the next start walks
        log.warning("could not keep the folder walk in %s: %s", path, err)


def _stat(st: FileStat | None) -> list:
    return [st.mtime_ns, st.size] if st is not None else [0, 0]


def peek(path: Path, *, generation: str, settings: list) -> dict | None:
    """The kept walk's first line (``files``: how many page files, ``structure``: the digest of
    its folders and media, content/site.py) when it belongs to this index ``generation`` and
    these walk ``settings``; None when it may not match."""
    try:
        with open(path, "rb") as fh:
            head = json.loads(fh.readline())
    except (OSError, ValueError):
        return None
    if not isinstance(head, dict) or head.get("format") != FORMAT or head.get("generation") != generation \
            or head.get("settings") != settings or not isinstance(head.get("files"), int) \
            or not isinstance(head.get("structure"), str):
        return None
    return head


def read(path: Path, *, generation: str, settings: list) -> ScanResult | None:
    """The kept walk, or None when there is none or it may not match the files any more."""
    try:
        with open(path, "rb") as fh:
            head, body = json.loads(fh.readline()), json.loads(fh.read())
    except (OSError, ValueError):
        return None
    if not isinstance(head, dict) or head.get("format") != FORMAT or head.get("generation") != generation \
            or head.get("settings") != settings or not isinstance(body, dict):
        return None
    try:
        return _scan(body)
    except (KeyError, TypeError, ValueError, IndexError):
        log.warning("%s: not a folder walk Qalam wrote; walking the folders", path)
        return None


def _scan(data: dict) -> ScanResult:
    root = Node(rel="", name="", parent=None)
    nodes: dict[str, Node] = {}
    files: dict[str, FileStat] = {}
    for rel, name, page_files, media, frontmatter in data["nodes"]:
        if rel == "":
            node = root
        else:
            parent = nodes[rel.rpartition("/")[0]]
            node = Node(rel=rel, name=name, parent=parent)
            parent.children.append(node)
        nodes[rel] = node
        for lang, filename, template, mtime_ns, size in page_files:
            node.files[lang] = (filename, template)
            st = node.file_stats[filename] = FileStat(node.file_rel(filename), mtime_ns, size)
            files[st.rel] = st
        for medium, mtime_ns, size in media:
            node.media[medium] = FileStat(node.file_rel(medium), mtime_ns, size)
        if frontmatter is not None:
            st = node.frontmatter = FileStat(node.file_rel("frontmatter.yaml"), *frontmatter)
            files[st.rel] = st
    refused = {str(k): str(v) for k, v in data.get("refused", {}).items()}
    return ScanResult(root=root, nodes=nodes, files=files, refused=refused)
