"""The article form's fields and the page header they stand for (docs/content-fields.md).

The form shows the fields newsroom staff write; every other key the header has is kept as it
is, so saving from the editor never drops what Grav or a theme reads.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

#: Form field -> where it lives in the header ("a.b" = nested).
SIMPLE = {
    "title": "title",
    "lead_image_file": "lead_image.file",
    "lead_image_caption": "lead_image.caption",
    "lead_image_credit": "lead_image.credit",
    "dateline_city": "dateline.city",
    "dateline_agency": "dateline.agency",
    "source_agency": "source.agency",
    "source_url": "source.url",
}
LISTS = {"authors": "authors", "tags": "taxonomy.tag", "categories": "taxonomy.category", "related": "related"}
DIVIDER = "==="


def _get(header: dict, dotted: str):
    node = header
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(header: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = header
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            if value in (None, "", []):
                return
            node[part] = {}
        node = node[part]
    if value in (None, "", []):
        node.pop(parts[-1], None)
        if len(parts) > 1 and not node:  # drop an emptied block (lead_image: {})
            parent = header
            for part in parts[:-2]:
                parent = parent[part]
            parent.pop(parts[-2], None)
    else:
        node[parts[-1]] = value


def split_lead(body: str) -> tuple[str, str]:
    """The lead (before Grav's summary divider) and the rest of the body."""
    text = body.replace("\r\n", "\n")
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == DIVIDER:
            return "\n".join(lines[:i]).strip("\n"), "\n".join(lines[i + 1:]).strip("\n")
    return "", text.strip("\n")


def join_lead(lead: str, rest: str) -> str:
    lead, rest = lead.strip("\n"), rest.strip("\n")
    return f"{lead}\n\n{DIVIDER}\n\n{rest}" if lead.strip() else rest


def form_values(header: dict, body: str, tz: ZoneInfo, date: datetime | None) -> dict:
    """What the form shows for a page."""
    values = {name: str(_get(header, key) or "") for name, key in SIMPLE.items()}
    if not values["lead_image_credit"] and header.get("photo_credit"):
        values["lead_image_credit"] = str(header["photo_credit"])
    for name, key in LISTS.items():
        value = _get(header, key)
        if name == "authors" and not value and header.get("author"):
            value = [header["author"]]
        items = value if isinstance(value, list) else ([value] if value else [])
        values[name] = ("\n" if name == "related" else ", ").join(str(v) for v in items)
    if isinstance(header.get("dateline"), str):
        values["dateline_city"] = header["dateline"]
    if isinstance(header.get("source"), str):
        values["source_agency"] = header["source"]
    values["date"] = date.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if date and "date" in header else ""
    values["lead"], values["body"] = split_lead(body)
    values["featured"] = bool(header.get("featured"))
    return values


def _list(text: str, sep: str) -> list[str]:
    items = text.replace("\r", "").replace("\n", sep).split(sep)
    return [i.strip() for i in items if i.strip()]


def apply_form(header: dict, data, tz: ZoneInfo) -> tuple[dict, str, dict[str, str]]:
    """The header and body a submitted form stands for, and a message per wrong field."""
    header = {k: (dict(v) if isinstance(v, dict) else v) for k, v in header.items()}
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "required"
    if isinstance(header.get("dateline"), str):
        header.pop("dateline")
    if isinstance(header.get("source"), str):
        header.pop("source")
    for name, key in SIMPLE.items():
        if name in data:
            _set(header, key, (data.get(name) or "").strip())
    if "lead_image_credit" in data and header.get("photo_credit") and not _get(header, "lead_image.credit"):
        header.pop("photo_credit", None)
    for name, key in LISTS.items():
        if name in data:
            _set(header, key, _list(data.get(name) or "", "\n" if name == "related" else ","))
    if "authors" in data:
        header.pop("author", None)
    raw_date = (data.get("date") or "").strip()
    if raw_date:
        try:
            when = datetime.fromisoformat(raw_date)
            if when.tzinfo is None:
                when = when.replace(tzinfo=tz)
            header["date"] = when.astimezone(tz).strftime("%d-%m-%Y %H:%M")
        except ValueError:
            errors["date"] = "invalid"
    body = join_lead(data.get("lead") or "", data.get("body") or "")
    return header, body, errors
