"""The editor's views at /editor/ (docs/editor.md): thin, every rule is in qalam.newsroom.workflow.

Every view needs a newsroom account; the decorator :func:`editor_view` logs the visitor in (or
sends them to the login page), checks the role, switches the interface language (Kazakh by
default; Russian and English selectable) and marks the answer private. CSRF is checked by
Django's middleware for every form and every fetch() the editor's script makes.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path

from django.contrib.auth import authenticate, login, logout
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from qalam.lang.hygiene import check as hygiene_check
from qalam.lang.slug import slugify
from qalam.lang.translit import to_latin
from qalam.newsroom import documents, workflow
from qalam.newsroom.documents import DocumentError
from qalam.newsroom.workflow import Conflict, Forbidden, NotFound

from .. import accounts
from ..models import AuditEntry, Autosave
from . import diff, fields

STATIC = Path(__file__).parent.parent / "static" / "editor"
INTERFACE_LANGUAGES = ("kk", "ru", "en")
#: The editor's own policy: its script and styles only, previews in a sandboxed frame.
EDITOR_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
              "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")


def csrf_failure(request, reason: str = ""):
    """A form sent without its CSRF token (an old tab, or another site's form): say what to do."""
    return HttpResponseForbidden(
        "The form is out of date or did not come from this site (CSRF check failed). "
        "Reload the page and send it again.\n", content_type="text/plain; charset=utf-8")


def interface_language(request: HttpRequest) -> str:
    from django.conf import settings

    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in INTERFACE_LANGUAGES else "kk"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = EDITOR_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "same-origin"
    return response


def editor_view(*, roles=workflow.ROLES, methods=("GET",)):
    """A view for newsroom accounts with one of ``roles``; called as ``view(request, actor, ...)``."""

    def wrap(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                return HttpResponseNotAllowed(methods)
            lang = interface_language(request)
            # Dates on every editor page in the site's time zone (Asia/Almaty by default).
            with translation.override(lang), timezone.override(request.site.tz):
                actor = accounts.actor_for(request.user)
                if actor is None:
                    if request.user.is_authenticated:  # an account without a role, or disabled
                        return _private(render(request, "editor/message.html", {
                            "message": _("This account has no newsroom role. Ask an administrator.")}, status=403))
                    if request.headers.get("Accept", "").startswith("application/json") or request.method != "GET":
                        return _private(JsonResponse({"detail": _("Log in again.")}, status=401))
                    return HttpResponseRedirect(f"{reverse('editor:login')}?next={request.get_full_path()}")
                if actor.role not in roles:
                    return _private(render(request, "editor/message.html", {
                        "message": _("Your role does not allow this."), "actor": actor}, status=403))
                request.actor = actor
                request.ui_lang = lang
                try:
                    response = view(request, actor, *args, **kwargs)
                except NotFound:
                    return _private(render(request, "editor/message.html", {
                        "message": _("There is no such page."), "actor": actor}, status=404))
                except Forbidden as err:
                    return _private(render(request, "editor/message.html", {
                        "message": _("Your role does not allow this.") + f" ({err})", "actor": actor}, status=403))
            return _private(response)

        return wrapper

    return wrap


def _room(request) -> workflow.Newsroom:
    return workflow.for_site(request.site, audit=accounts.newsroom_audit)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


# --- logging in and out ------------------------------------------------------------------------------
@ensure_csrf_cookie
def login_view(request: HttpRequest):
    lang = interface_language(request)
    with translation.override(lang):
        next_url = request.POST.get("next") or request.GET.get("next") or reverse("editor:dashboard")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()) or not next_url.startswith("/editor"):
            next_url = reverse("editor:dashboard")
        error = ""
        status = 200
        if request.method == "POST":
            username = (request.POST.get("username") or "").strip()[:150]
            password = request.POST.get("password") or ""
            ip = _client_ip(request)
            if not accounts.login_allowed(username, ip):
                error = _("Too many failed attempts. Wait 15 minutes and try again.")
                status = 429
            else:
                user = authenticate(request, username=username, password=password)
                if user is None or accounts.role_of(user) is None:
                    accounts.login_failed(username, ip)
                    error = _("Wrong name or password.")
                    status = 401
                else:
                    accounts.login_succeeded(username)
                    login(request, user)
                    return HttpResponseRedirect(next_url)
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        response = render(request, "editor/login.html", {"error": error, "next": next_url,
                                                          "languages": INTERFACE_LANGUAGES, "ui_lang": lang},
                          status=status)
    return _private(response)


def logout_view(request: HttpRequest):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    logout(request)
    return HttpResponseRedirect(reverse("editor:login"))


def set_language(request: HttpRequest):
    """POST lang=kk|ru|en: the interface language, remembered in a cookie for a year."""
    from django.conf import settings

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    lang = request.POST.get("lang", "kk")
    back = request.POST.get("next") or reverse("editor:dashboard")
    if not back.startswith("/editor") or not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("editor:dashboard")
    response = HttpResponseRedirect(back)
    if lang in INTERFACE_LANGUAGES:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 86400, samesite="Lax",
                            secure=request.is_secure(), httponly=True)
    return response


def static(request: HttpRequest, name: str):
    """The editor's own script and styles (no CDN: the editor works offline)."""
    if name not in {p.name for p in STATIC.iterdir()}:
        raise Http404
    response = FileResponse(open(STATIC / name, "rb"))
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- the dashboard ---------------------------------------------------------------------------------
@editor_view()
def dashboard(request: HttpRequest, actor):
    site = request.site
    room = _room(request)
    lang = request.GET.get("lang") or ""
    status = request.GET.get("status") or ""
    section = request.GET.get("section") or ""
    author = request.GET.get("author") or ""
    q = request.GET.get("q") or ""
    try:
        docs = room.pages(lang=lang or None, q=q or None)
    except DocumentError:
        docs, lang = room.pages(q=q or None), ""
    now = site.now()
    rows = []
    for doc in docs:
        if not room.may_read(actor, doc):
            continue
        if section and not doc.route.startswith(f"/{section}/"):
            continue
        if author and doc.header.get("owner") != author:
            continue
        page = site.tree(doc.lang).find(doc.route)
        scheduled = page is not None and doc.status == "published" and not page.published(now) \
            and page.publish_date is not None and page.publish_date > now
        state = "scheduled" if scheduled else doc.status
        if status and state != status:
            continue
        rows.append({"doc": doc, "page": page, "state": state, "title": str(doc.header.get("title") or doc.route),
                     "lang": documents.public_lang(site, doc.lang), "owner": _byline(doc.header),
                     "views": _views(page) if state == "published" else None,
                     "publish_date": page.publish_date if scheduled else None,
                     "edit": _edit_url(site, doc), "mine": doc.header.get("owner") == actor.username})
    groups = [
        ("mine", _("My drafts"), [r for r in rows if r["mine"] and r["state"] in ("draft", "review")]),
        ("review", _("Waiting for review"), [r for r in rows if r["state"] == "review"]),
        ("scheduled", _("Scheduled"), [r for r in rows if r["state"] == "scheduled"]),
        ("published", _("Recently published"), [r for r in rows if r["state"] == "published"][:30]),
    ]
    if status or section or author or q or lang:
        groups = [("found", _("Found"), rows[:200])]
    sections = sorted({d.route.split("/")[1] for d in docs if d.route.count("/") >= 2})
    owners = sorted({d.header.get("owner") for d in docs if d.header.get("owner")})
    return render(request, "editor/dashboard.html", {
        "actor": actor, "groups": groups, "languages": _site_languages(site), "sections": sections,
        "owners": owners, "filters": {"lang": lang, "status": status, "section": section, "author": author, "q": q},
        "statuses": [("draft", _("Draft")), ("review", _("In review")), ("scheduled", _("Scheduled")),
                     ("published", _("Published"))],
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    })


def _byline(header: dict) -> str:
    """The account that wrote it, else the article's first author (pages from before the editor)."""
    if header.get("owner"):
        return str(header["owner"])
    authors = header.get("authors") or header.get("author") or ""
    return str(authors[0] if isinstance(authors, list) and authors else authors or "")


def _views(page) -> int | None:
    if page is None:
        return None
    from qalam.render.context import views_for

    try:
        return views_for(page)
    except Exception:  # the counter never breaks the dashboard
        return None


def _site_languages(site) -> list[str]:
    return [documents.public_lang(site, c) for c in site.language_codes]


def _edit_url(site, doc) -> str:
    return reverse("editor:edit", args=[documents.public_lang(site, doc.lang), doc.route.lstrip("/")])


# --- a new article -----------------------------------------------------------------------------------
@editor_view(methods=("GET", "POST"))
def new(request: HttpRequest, actor):
    """Language, section and headline: the draft is created at once (its slug made from the
    headline by qalam.lang), then written in the full form, where autosave and preview work."""
    site = request.site
    sections = _sections(site)
    errors: dict[str, str] = {}
    values = {"lang": request.GET.get("lang") or documents.public_lang(site, site.language_codes[0]),
              "section": request.GET.get("section") or (sections[0][0] if sections else ""),
              "title": "", "slug": "", "template": "item"}
    translation_of = request.GET.get("route") or request.POST.get("translation_of") or ""
    if request.method == "POST":
        values.update({k: (request.POST.get(k) or "").strip() for k in ("lang", "section", "title", "slug")})
        if not values["title"]:
            errors["title"] = _("Write the headline.")
        else:
            slug = values["slug"] or slugify(values["title"], values["lang"]) or "material"
            base = f"/{values['section']}/{slug}" if values["section"] else f"/{slug}"
            # A headline used before ("Ауа райы") gets -2, -3 ... unless the slug was typed in.
            candidates = [translation_of] if translation_of else \
                [base] if values["slug"] else [base] + [f"{base}-{n}" for n in range(2, 30)]
            for route in candidates:
                if not translation_of and any(site.tree(c).find(route) is not None for c in site.language_codes):
                    # Taken in some language: a new article never becomes another's translation.
                    errors = {"slug": _("This address is taken.")}
                    if values["slug"]:
                        break
                    continue
                try:
                    doc = _room(request).create(actor, values["lang"], route, "item", {"title": values["title"]}, "")
                    return HttpResponseRedirect(_edit_url(site, doc))
                except DocumentError as err:
                    errors = {err.field if err.field in ("lang", "title") else "slug": err.message}
                    if err.field != "route" or "already" not in err.message:
                        break
    return render(request, "editor/new.html", {
        "actor": actor, "values": values, "errors": errors, "sections": sections,
        "languages": _site_languages(site), "translation_of": translation_of,
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    }, status=400 if errors else 200)


def _sections(site) -> list[tuple[str, str]]:
    """Top-level folders that hold articles (or can): (slug, title)."""
    out = []
    tree = site.tree(site.language_codes[0])
    for page in tree.root.children:
        if page.is_module or page.is_home:
            continue
        if page.children or page.template_name in ("blog", "news", "section"):
            out.append((page.route.strip("/"), str(page.title)))
    return out


# --- the article form ----------------------------------------------------------------------------------
@editor_view(methods=("GET", "POST"))
def edit(request: HttpRequest, actor, lang: str, route: str):
    site = request.site
    room = _room(request)
    route = "/" + route.strip("/")
    doc = room.get(lang, route)
    if not room.may_read(actor, doc):
        raise Forbidden("not your draft")
    page = site.tree(doc.lang).find(doc.route)
    errors: dict[str, str] = {}
    notice = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("publish", "schedule", "unpublish", "send_back") and not actor.editor:
            raise Forbidden("only an editor or an admin publishes, schedules, unpublishes or sends back")
        header, body, form_errors = fields.apply_form(doc.header, request.POST, site.tz)
        errors.update({k: _("Required.") if v == "required" else _("Not a date and time.") for k, v in form_errors.items()})
        if action == "schedule":
            try:
                _publish_at(request)
            except ValueError:
                errors["publish_at"] = _("Not a date and time.")
        if actor.editor:
            if request.POST.get("featured"):
                header["featured"] = True
            else:
                header.pop("featured", None)
        if not errors:
            try:
                saved = room.update(actor, lang, route, header, body, request.POST.get("etag"),
                                    message=(request.POST.get("message") or "").strip() or None)
                Autosave.objects.filter(user=request.user, key=_key(doc.lang, doc.route)).delete()
                saved = _after_save(request, actor, room, lang, route, action)
                return HttpResponseRedirect(_edit_url(site, saved) + f"?saved={action}")
            except Conflict as err:
                return _conflict(request, actor, doc, err.current, header, body)
            except workflow.PreconditionRequired:
                errors["etag"] = _("Reload the page: the form was sent without its version.")
            except DocumentError as err:
                errors[err.field.replace("header.", "").replace(".", "_")] = err.message
        values = dict(request.POST.items())
        values["featured"] = bool(request.POST.get("featured"))
        etag = request.POST.get("etag", doc.etag)
    else:
        values = fields.form_values(doc.header, doc.body, site.tz, page.date if page else None)
        etag = doc.etag
        saved = request.GET.get("saved")
        notice = {"save": _("Saved."), "submit": _("Sent for review."), "publish": _("Published."),
                  "schedule": _("Scheduled."), "unpublish": _("Taken off the site."),
                  "send_back": _("Sent back to the author.")}.get(saved or "", "")
    autosave = Autosave.objects.filter(user=request.user, key=_key(doc.lang, doc.route)).first()
    offer = None
    if autosave is not None and request.method == "GET":
        if autosave.data != {k: values.get(k, "") for k in autosave.data}:
            offer = {"when": autosave.updated, "data": autosave.data}
        else:
            autosave.delete()
    media = _media(doc)
    translations = []
    for code in site.language_codes:
        if code == doc.lang:
            continue
        other = documents.read(site, code, doc.route)
        public = documents.public_lang(site, code)
        translations.append({"lang": public, "exists": other is not None,
                             "url": _edit_url(site, other) if other else
                             reverse("editor:new") + f"?lang={public}&route={doc.route}"})
    findings = hygiene_check(values.get("title", ""), doc.lang or "kk") + hygiene_check(
        values.get("lead", ""), doc.lang or "kk") + hygiene_check(values.get("body", ""), doc.lang or "kk")
    return render(request, "editor/edit.html", {
        "actor": actor, "doc": doc, "values": values, "errors": errors, "etag": etag, "notice": notice,
        "lang": documents.public_lang(site, doc.lang), "route": doc.route, "page": page,
        "status": doc.status, "may_edit": room.may_edit(actor, doc), "media": media,
        "translations": translations, "autosave": offer, "findings_count": len(findings),
        "autosave_data": offer["data"] if offer else None, "js_strings": _js_strings(),
        "latin_title": to_latin(values.get("title", "")) if (doc.lang or site.default_lang) == "kk" else "",
        "site_url": documents.site_url(site, doc.lang, doc.route), "tz": str(site.tz),
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    }, status=400 if errors else 200)


def _js_strings() -> dict[str, str]:
    return {
        "mixed": _("Mixed Cyrillic and Latin letters"), "letter": _("A letter from another alphabet"),
        "quotes": _("Straight quotes: use «»"), "dash": _("A hyphen used as a dash: use —"),
        "invisible": _("An invisible character inside a word"), "fix": _("Fix"),
        "saved": _("Draft kept"), "offline": _("Not kept on the server: kept in this browser"),
        "uploading": _("Uploading…"),
    }


def _after_save(request, actor, room, lang, route, action):
    if action == "submit":
        return room.submit(actor, lang, route, note=request.POST.get("note", ""))
    if action == "publish":
        return room.publish(actor, lang, route)
    if action == "schedule":
        return room.publish(actor, lang, route, at=_publish_at(request))
    if action == "unpublish":
        return room.unpublish(actor, lang, route)
    if action == "send_back":
        return room.send_back(actor, lang, route, request.POST.get("note", ""))
    return room.get(lang, route)


def _publish_at(request) -> datetime | None:
    """The form's "publish at" time, in the site's zone (ValueError when it is not a time)."""
    at = (request.POST.get("publish_at") or "").strip()
    if not at:
        return None
    when = datetime.fromisoformat(at)
    return when.replace(tzinfo=request.site.tz) if when.tzinfo is None else when


def _conflict(request, actor, doc, current, header, body):
    """Someone saved first: both versions side by side; nothing is lost (mine is also autosaved)."""
    mine_values = fields.form_values(header, body, request.site.tz, None)
    theirs_values = fields.form_values(current.header, current.body, request.site.tz, None)
    Autosave.objects.update_or_create(user=request.user, key=_key(doc.lang, doc.route),
                                      defaults={"data": {k: request.POST.get(k, "") for k in _FORM_KEYS
                                                         if k in request.POST},
                                                "base_etag": current.etag})
    changed = diff.changed_fields(current.header, header)
    return render(request, "editor/conflict.html", {
        "actor": actor, "doc": doc, "mine": mine_values, "theirs": theirs_values,
        "diff_body": diff.word_diff(theirs_values["body"], mine_values["body"]),
        "diff_lead": diff.word_diff(theirs_values["lead"], mine_values["lead"]),
        "changed": changed, "current_etag": current.etag, "posted": request.POST,
        "lang": documents.public_lang(request.site, doc.lang), "route": doc.route,
        "edit_url": _edit_url(request.site, doc), "last": _last_author(request, doc),
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    }, status=409)


def _last_author(request, doc) -> str:
    versions = _room(request).git.log(doc.path, limit=1)
    return versions[0].author if versions else ""


_FORM_KEYS = ("title", "lead", "body", *fields.SIMPLE, *fields.LISTS, "date", "message")


def _key(lang: str, route: str) -> str:
    return f"{lang or ''}:{route}"


def _media(doc) -> list[str]:
    folder = doc.path.parent
    try:
        return sorted(p.name for p in folder.iterdir()
                      if p.is_file() and not p.is_symlink() and p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".gif"))
    except OSError:
        return []


# --- live help: preview, hygiene, autosave ---------------------------------------------------------------
@editor_view(methods=("POST",))
def preview(request: HttpRequest, actor, lang: str, route: str):
    """The unsaved form rendered by the site's own templates and pipeline (shown in a sandboxed frame)."""
    from qalam.content.pages import Page
    from qalam.content.urlpaths import absolute_for
    from qalam.render.context import page_context
    from qalam.render.theme import page_template

    site = request.site
    room = _room(request)
    doc = room.get(lang, "/" + route.strip("/"))
    if not room.may_read(actor, doc):
        raise Forbidden("not your draft")
    page = site.tree(doc.lang).find(doc.route)
    header, body, _errors = fields.apply_form(doc.header, request.POST, site.tz)
    shown = Page(page.tree, page.node, page.parent, preview=(header, body))
    shown.children = page.children
    try:
        ctx = page_context(site, shown, doc.lang, None, absolute_for(site, request))
        html = page_template(site, shown.template_name).render(ctx)
    except Exception as err:  # a broken draft shows why, never a server error
        message = _("The preview cannot be shown")
        html = f"<!doctype html><meta charset=utf-8><p>{message}: {type(err).__name__}</p>"
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    return response


@editor_view(methods=("POST",))
def check(request: HttpRequest, actor):
    """Kazakh text hygiene for the fields sent (JSON: {"lang", "fields": {name: text}})."""
    try:
        data = json.loads(request.body or b"{}")
        lang = str(data.get("lang") or "kk")
        texts = {str(k): str(v) for k, v in (data.get("fields") or {}).items()}
    except (ValueError, AttributeError):
        return JsonResponse({"detail": "send JSON"}, status=400)
    out = {name: [f.as_dict() for f in hygiene_check(text, lang)] for name, text in texts.items()}
    latin = to_latin(texts.get("title", "")) if lang == "kk" else ""
    return JsonResponse({"findings": out, "latin_title": latin})


@editor_view(methods=("GET", "POST", "DELETE"))
def autosave(request: HttpRequest, actor, lang: str, route: str):
    """The form as typed, kept per account outside git until it is saved (survives a closed tab
    and a server restart)."""
    room = _room(request)
    doc = room.get(lang, "/" + route.strip("/"))
    if not room.may_read(actor, doc):
        raise Forbidden("not your draft")
    key = _key(doc.lang, doc.route)
    if request.method == "DELETE":
        Autosave.objects.filter(user=request.user, key=key).delete()
        return JsonResponse({"deleted": True})
    if request.method == "GET":
        row = Autosave.objects.filter(user=request.user, key=key).first()
        return JsonResponse({"data": row.data if row else None, "updated": row.updated.isoformat() if row else None})
    try:
        data = json.loads(request.body or b"{}")
        values = {k: str(v)[:2_000_000] for k, v in (data.get("data") or {}).items() if k in _FORM_KEYS}
    except (ValueError, AttributeError):
        return JsonResponse({"detail": "send JSON"}, status=400)
    row, _created = Autosave.objects.update_or_create(user=request.user, key=key, defaults={
        "data": values, "base_etag": str(data.get("etag") or "")[:80]})
    return JsonResponse({"saved": row.updated.isoformat()})


# --- history -------------------------------------------------------------------------------------------
@editor_view()
def history(request: HttpRequest, actor, lang: str, route: str):
    room = _room(request)
    doc = room.get(lang, "/" + route.strip("/"))
    if not room.may_read(actor, doc):
        raise Forbidden("not your draft")
    versions = room.history(actor, lang, doc.route)
    return render(request, "editor/history.html", {
        "actor": actor, "doc": doc, "versions": versions, "lang": lang, "route": doc.route,
        "title": str(doc.header.get("title") or doc.route), "edit_url": _edit_url(request.site, doc),
        "tz": request.site.tz, "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    })


@editor_view()
def compare(request: HttpRequest, actor, lang: str, route: str):
    room = _room(request)
    doc = room.get(lang, "/" + route.strip("/"))
    if not room.may_read(actor, doc):
        raise Forbidden("not your draft")
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    old = room.version(lang, doc.route, a)
    new_ = room.version(lang, doc.route, b) if b else doc
    return render(request, "editor/compare.html", {
        "actor": actor, "doc": doc, "lang": lang, "route": doc.route, "a": a, "b": b,
        "title": str(doc.header.get("title") or doc.route),
        "body_diff": diff.word_diff(old.body, new_.body),
        "changed": diff.changed_fields(old.header, new_.header),
        "history_url": reverse("editor:history", args=[lang, doc.route.lstrip("/")]),
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    })


@editor_view(roles=("editor", "admin"), methods=("POST",))
def restore(request: HttpRequest, actor, lang: str, route: str):
    doc = _room(request).restore(actor, lang, "/" + route.strip("/"), request.POST.get("version", ""))
    return HttpResponseRedirect(_edit_url(request.site, doc) + "?saved=save")


# --- the audit log (admin) -------------------------------------------------------------------------------
@editor_view(roles=("admin",))
def audit(request: HttpRequest, actor):
    entries = AuditEntry.objects.all()[:500]
    return render(request, "editor/audit.html", {
        "actor": actor, "entries": entries, "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES})


# --- accounts (admin) -------------------------------------------------------------------------------
@editor_view(roles=("admin",), methods=("GET", "POST"))
def users(request: HttpRequest, actor):
    """Add accounts, change roles, disable accounts (the same as `qalam user …`; audited)."""
    error = notice = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        name = (request.POST.get("username") or "").strip()
        try:
            if action == "add":
                accounts.add_user(name, request.POST.get("role", ""), request.POST.get("password", ""),
                                  email=request.POST.get("email", ""), name=request.POST.get("full_name", ""),
                                  by=actor.username)
                notice = _("Account added.")
            elif action == "set-role":
                if name == actor.username:
                    raise accounts.AccountError(_("You cannot change your own role."))
                accounts.set_role(name, request.POST.get("role", ""), by=actor.username)
                notice = _("Role changed.")
            elif action == "disable":
                if name == actor.username:
                    raise accounts.AccountError(_("You cannot disable your own account."))
                accounts.disable(name, by=actor.username)
                notice = _("Account disabled.")
            else:
                raise accounts.AccountError("unknown action")
        except accounts.AccountError as err:
            error, status = str(err), 400
    return render(request, "editor/users.html", {
        "actor": actor, "users": accounts.users(), "roles": workflow.ROLES, "error": error, "notice": notice,
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    }, status=status)


# --- site settings (admin) ----------------------------------------------------------------------------
@editor_view(roles=("admin",), methods=("GET", "POST"))
def settings_view(request: HttpRequest, actor):
    """The site's name, description and author (config/site.yaml), saved with a commit."""
    site = request.site
    error = notice = ""
    status = 200
    values = workflow.site_settings(site)
    if request.method == "POST":
        values = {key: request.POST.get(key.replace(".", "_"), "") for key in workflow.SITE_SETTINGS}
        try:
            workflow.save_site_settings(_room(request), actor, values)
            notice = _("Settings saved.")
            values = workflow.site_settings(site)
        except DocumentError as err:
            error, status = err.message, 400
    fields_ = [(key.replace(".", "_"), label, values.get(key, "")) for key, label in (
        ("title", _("Site name")), ("metadata.description", _("Description (for search engines and shares)")),
        ("author.name", _("Publisher")), ("author.email", _("Publisher's e-mail")))]
    return render(request, "editor/settings.html", {
        "actor": actor, "fields": fields_, "error": error, "notice": notice,
        "ui_lang": request.ui_lang, "ui_languages": INTERFACE_LANGUAGES,
    }, status=status)
