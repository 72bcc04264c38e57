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
settings differ.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .files import atomic_write_bytes
from .scan import FileStat, Node, ScanResult

log = logging.getLogger("qalam.snapshot")

FORMAT = 1
NAME = "scan.json"


def write(path: Path, scan: ScanResult, *, generation: str, settings: list) -> None:
    nodes = []
    for rel, node in scan.nodes.items():  # walk order: a parent before its children, in order
        nodes.append([
            rel, node.name,
            [[lang, name, template, *_stat(node.file_stats.get(name))] for lang, (name, template) in node.files.items()],
            [[name, st.mtime_ns, st.size] for name, st in node.media.items()],
            _stat(node.frontmatter) if node.frontmatter else None,
        ])
    data = {"format": FORMAT, "generation": generation, "settings": settings, "nodes": nodes,
            "refused": scan.refused}
    try:
        atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
                           durable=False)
    except OSError as err:  # a read-only state folder: the next start walks
        log.warning("could not keep the folder walk in %s: %s", path, err)


def _stat(st: FileStat | None) -> list:
    return [st.mtime_ns, st.size] if st is not None else [0, 0]


def read(path: Path, *, generation: str, settings: list) -> ScanResult | None:
    """The kept walk, or None when there is none or it may not match the files any more."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("generation") != generation \
            or data.get("settings") != settings:
        return None
    try:
        return _scan(data)
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
