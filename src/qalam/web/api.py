"""The content API at ``/api/v1/`` (docs/api.md): what newsroom tools and apps use.

Built on django-ninja: the endpoints are typed Python functions, so the request checks and the
OpenAPI schema (``/api/v1/openapi.json``, browsable at ``/api/v1/docs``) come from the same code
and cannot drift apart; it runs inside Django, so the API shares the editor's accounts, sessions,
CSRF protection and database. Django REST framework would do too, at several times the code.

Every change goes through :mod:`qalam.newsroom.workflow`, the same rules as the editor.
The paths are a contract (tools outside the test suite use them): keep them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyHeader, SessionAuth

from qalam.newsroom import workflow
from qalam.newsroom.documents import DocumentError, PageDoc, public_lang, site_url
from qalam.newsroom.media import UploadError
from qalam.newsroom.workflow import Conflict, Forbidden, NotFound, PreconditionRequired

from .accounts import actor_for, newsroom_audit, user_for_token


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <token>`` (tokens from ``qalam user token NAME``)."""

    param_name = "Authorization"
    openapi_description = "Authorization: Token <token> — a token printed by `qalam user token NAME`."

    def authenticate(self, request: HttpRequest, key: str | None):
        scheme, _, token = (key or "").strip().partition(" ")
        if scheme.lower() != "token" or not token.strip():
            return None
        user = user_for_token(token.strip())
        if user is not None:
            request.user = user
        return user


class EditorSession(SessionAuth):
    """The editor's login session; unsafe methods need the CSRF token (``X-CSRFToken``)."""

    openapi_description = "The editor's session cookie; POST, PUT and DELETE also send X-CSRFToken."


class Utf8Renderer(JSONRenderer):
    """Kazakh and Russian text as UTF-8 characters, not as escaped code points."""

    json_dumps_params = {"ensure_ascii": False}


# No /docs page: ninja's Swagger UI loads scripts from a CDN, which the site's policy (and an
# offline newsroom) would not allow. The schema itself is at /api/v1/openapi.json.
api = NinjaAPI(title="Qalam content API", version="1", urls_namespace="api-v1",
               description="Pages and media of a Qalam site. See docs/api.md.",
               auth=[TokenAuth(), EditorSession()], renderer=Utf8Renderer(), docs_url=None)


# --- schemas ---------------------------------------------------------------------------------------
class PageIn(Schema):
    route: str
    lang: str
    template: str = "item"
    header: dict[str, Any] = {}
    body: str = ""


class PageChange(Schema):
    header: dict[str, Any]
    body: str
    message: str | None = None


class PageOut(Schema):
    route: str
    lang: str
    template: str
    header: dict[str, Any]
    body: str
    status: str
    url: str


class PageItem(Schema):
    route: str
    lang: str
    template: str
    title: str
    status: str
    owner: str | None = None
    date: str | None = None
    url: str


class PageList(Schema):
    items: list[PageItem]
    count: int
    page: int
    pages: int


class PublishIn(Schema):
    at: datetime | None = None


class NoteIn(Schema):
    note: str = ""


class RestoreIn(Schema):
    version: str


class VersionOut(Schema):
    id: str
    author: str
    date: datetime
    message: str


class MediaOut(Schema):
    name: str
    url: str
    width: int
    height: int
    format: str
    markdown: str
    gps_removed: bool


class Error(Schema):
    detail: str
    errors: dict[str, str] = {}


# --- helpers ---------------------------------------------------------------------------------------
def _room(request: HttpRequest) -> workflow.Newsroom:
    return workflow.for_site(request.site, audit=newsroom_audit)


def _actor(request: HttpRequest) -> workflow.Actor:
    actor = actor_for(request.auth)
    if actor is None:
        raise Forbidden("this account has no newsroom role")
    return actor


def _url(request: HttpRequest, doc: PageDoc) -> str:
    return site_url(request.site, doc.lang, doc.route)


def _out(request: HttpRequest, doc: PageDoc) -> dict:
    header = {k: v for k, v in doc.header.items() if not str(k).startswith("_")}
    return {"route": doc.route, "lang": public_lang(request.site, doc.lang), "template": doc.template,
            "header": _jsonable(header), "body": doc.body, "status": doc.status, "url": _url(request, doc)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _with_etag(response: HttpResponse, doc: PageDoc) -> None:
    response["ETag"] = doc.etag
    response["Cache-Control"] = "private, no-store"


def _optional_body(schema: type[Schema]) -> dict:
    return {"requestBody": {"required": False,
                            "content": {"application/json": {"schema": schema.model_json_schema()}}}}


def _optional(request: HttpRequest, schema: type[Schema]):
    """An optional JSON body: none (or ``{}``) gives the defaults; a wrong one is a 400 per field."""
    import json

    import pydantic

    try:
        if request.content_type != "application/json":  # a form post, or none
            return schema.model_validate({k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"})
        raw = request.body.strip()
        return schema.model_validate(json.loads(raw)) if raw else schema()
    except (ValueError, pydantic.ValidationError) as err:
        errors = err.errors() if isinstance(err, pydantic.ValidationError) else \
            [{"loc": ("body",), "msg": f"not JSON: {err}"}]
        raise ValidationError([dict(e) for e in errors]) from None


# --- errors: one JSON shape, the status a client can act on -------------------------------------------
@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors: dict[str, str] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "data", "payload", "query", "path", "form")]
        errors[".".join(loc) or "body"] = err.get("msg", "invalid")
    return api.create_response(request, {"detail": "the request has invalid fields", "errors": errors}, status=400)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400 and "parse" in str(exc.message):
        return api.create_response(request, {"detail": "the body is not valid JSON",
                                             "errors": {"body": "send a JSON object (Content-Type: application/json)"}},
                                   status=400)
    return api.create_response(request, {"detail": str(exc.message)}, status=exc.status_code)


@api.exception_handler(DocumentError)
def _bad_document(request, exc: DocumentError):
    return api.create_response(request, {"detail": str(exc), "errors": {exc.field: exc.message}}, status=400)


@api.exception_handler(UploadError)
def _bad_upload(request, exc: UploadError):
    return api.create_response(request, {"detail": str(exc), "errors": {"file": str(exc)}}, status=400)


@api.exception_handler(AuthenticationError)
def _anonymous(request, exc):
    return api.create_response(request, {"detail": "log in, or send Authorization: Token <token>"}, status=401)


@api.exception_handler(Forbidden)
def _forbidden(request, exc: Forbidden):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(NotFound)
def _not_found(request, exc: NotFound):
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(PreconditionRequired)
def _precondition_required(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=428)


@api.exception_handler(Conflict)
def _conflict(request, exc: Conflict):
    response = api.create_response(request, {"detail": str(exc), "current": _out(request, exc.current)},
                                   status=412)
    _with_etag(response, exc.current)
    return response


# --- the CSRF token, for browser clients using the session ---------------------------------------------
@api.get("/csrf", auth=None, tags=["session"])
def csrf(request):
    """Sets the CSRF cookie and returns its token: send it as ``X-CSRFToken`` with session requests."""
    from django.middleware.csrf import get_token

    return {"csrf": get_token(request)}


# --- pages -----------------------------------------------------------------------------------------
# The action paths (…/publish, …/history) come before the page path, whose route takes every
# remaining segment: a page whose own last segment is an action name is reached through the list.
@api.post("/pages/{lang}/{path:route}/publish", response=PageOut, tags=["workflow"],
          openapi_extra=_optional_body(PublishIn))
def publish(request, lang: str, route: str, response: HttpResponse):
    """Publish now, or schedule with ``{"at": "2026-12-08T09:00:00+05:00"}`` (editor, admin)."""
    data = _optional(request, PublishIn)
    doc = _room(request).publish(_actor(request), lang, route, at=data.at)
    _with_etag(response, doc)
    return _out(request, doc)


@api.post("/pages/{lang}/{path:route}/unpublish", response=PageOut, tags=["workflow"])
def unpublish(request, lang: str, route: str, response: HttpResponse):
    """Take the page off the site (editor, admin); it becomes a draft."""
    doc = _room(request).unpublish(_actor(request), lang, route)
    _with_etag(response, doc)
    return _out(request, doc)


@api.post("/pages/{lang}/{path:route}/submit", response=PageOut, tags=["workflow"],
          openapi_extra=_optional_body(NoteIn))
def submit(request, lang: str, route: str, response: HttpResponse):
    """Send a draft to the editors for review (its author, or an editor); an optional note."""
    doc = _room(request).submit(_actor(request), lang, route, note=_optional(request, NoteIn).note)
    _with_etag(response, doc)
    return _out(request, doc)


@api.post("/pages/{lang}/{path:route}/send-back", response=PageOut, tags=["workflow"],
          openapi_extra=_optional_body(NoteIn))
def send_back(request, lang: str, route: str, response: HttpResponse):
    """Return a page in review to its author with a note (editor, admin)."""
    doc = _room(request).send_back(_actor(request), lang, route, note=_optional(request, NoteIn).note)
    _with_etag(response, doc)
    return _out(request, doc)


@api.get("/pages/{lang}/{path:route}/history", response=list[VersionOut], tags=["history"])
def history(request, lang: str, route: str):
    """Every version of the page, newest first: commit id, author, date, message."""
    actor = _actor(request)
    room = _room(request)
    doc = room.get(lang, route)
    if not room.may_read(actor, doc):
        raise Forbidden("you may read only your own drafts")
    return [{"id": v.id, "author": v.author, "date": v.date, "message": v.message}
            for v in room.history(actor, lang, route)]


@api.post("/pages/{lang}/{path:route}/restore", response=PageOut, tags=["history"])
def restore(request, lang: str, route: str, data: RestoreIn, response: HttpResponse):
    """Bring back an earlier version as a new version (editor, admin)."""
    doc = _room(request).restore(_actor(request), lang, route, data.version)
    _with_etag(response, doc)
    return _out(request, doc)


@api.get("/pages/{lang}/{path:route}", response=PageOut, tags=["pages"])
def get_page(request, lang: str, route: str, response: HttpResponse):
    """One page as its file holds it, with its version in the ``ETag`` header."""
    actor = _actor(request)
    room = _room(request)
    doc = room.get(lang, route)
    if not room.may_read(actor, doc):
        raise Forbidden("you may read only your own drafts")
    _with_etag(response, doc)
    return _out(request, doc)


@api.put("/pages/{lang}/{path:route}", response=PageOut, tags=["pages"])
def put_page(request, lang: str, route: str, data: PageChange, response: HttpResponse):
    """Replace the header and body. Send ``If-Match`` with the ETag you read: 412 if the page
    changed since (the answer holds the current version), 428 without it."""
    doc = _room(request).update(_actor(request), lang, route, data.header, data.body,
                                request.headers.get("If-Match"), message=data.message)
    _with_etag(response, doc)
    return _out(request, doc)


@api.post("/pages", response={201: PageOut}, tags=["pages"])
def create_page(request, data: PageIn, response: HttpResponse):
    """Create a page (a draft unless an editor sets ``header.status``)."""
    doc = _room(request).create(_actor(request), data.lang, data.route, data.template, data.header, data.body)
    _with_etag(response, doc)
    return _out(request, doc)


@api.get("/pages", response=PageList, tags=["pages"])
def list_pages(request, lang: str | None = None, status: str | None = None, q: str | None = None,
               page: int = 1, per_page: int = 50):
    """Pages newest first, filtered by language, status (draft, review, published) and title words.
    An author sees published pages and their own drafts."""
    actor = _actor(request)
    room = _room(request)
    per_page = max(1, min(per_page, 200))
    docs = [d for d in room.pages(lang=lang or None, status=status or None, q=q) if room.may_read(actor, d)]
    pages = max(1, -(-len(docs) // per_page))
    page = max(1, page)
    chosen = docs[(page - 1) * per_page: page * per_page]
    items = [{"route": d.route, "lang": public_lang(request.site, d.lang), "template": d.template,
              "title": str(d.header.get("title") or d.route), "status": d.status,
              "owner": d.header.get("owner"), "date": d.header.get("_sort") or None, "url": _url(request, d)}
             for d in chosen]
    return {"items": items, "count": len(docs), "page": page, "pages": pages}


# --- media -----------------------------------------------------------------------------------------
@api.post("/media", response={201: MediaOut}, tags=["media"])
def upload_media(request, lang: str = Form(...), route: str = Form(...), file: UploadedFile = File(...)):
    """An image for a page (multipart: ``file``, ``lang``, ``route``), stored beside the page.
    Checked with Pillow (JPEG, PNG, WebP, GIF; size and pixel limits); location data removed."""
    from qalam.newsroom.media import MAX_UPLOAD_BYTES

    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise UploadError(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    stored = _room(request).upload(_actor(request), lang, route, file.name or "image", file.read(MAX_UPLOAD_BYTES + 1))
    return {"name": stored.name, "url": stored.url, "width": stored.width, "height": stored.height,
                 "format": stored.format, "markdown": f"![]({stored.name})", "gps_removed": stored.gps_removed}
