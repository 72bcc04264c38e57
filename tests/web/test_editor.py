"""The web editor at /editor/: every view × role × anonymous, CSRF, login throttling, conflicts,
autosave, the interface languages."""

from __future__ import annotations

import re
from html import unescape

import pytest

from qalam.newsroom.workflow import Actor, for_site

from .newsroom_fixtures import PASSWORDS, open_newsroom

AUTHOR = Actor("aigul", "aigul", "aigul@example.kz", "author")
EDITOR = Actor("erlan", "erlan", "erlan@example.kz", "editor")
WHO = ["anon", "aigul", "marat", "erlan", "admin"]


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    nr = open_newsroom(tmp_path_factory.mktemp("editor"))
    yield nr
    nr.site.close()


def client_as(room, who, *, csrf=False):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from qalam.web.app import set_site

    set_site(room.site)
    client = Client(SERVER_NAME="localhost", enforce_csrf_checks=csrf)
    if who != "anon":
        client.force_login(get_user_model().objects.get(username=who))
    return client


def draft(room, body="Алғашқы мәтін") -> str:
    route = room.route()
    for_site(room.site).create(AUTHOR, "kk", route, "item", {"title": "Сынақ"}, body)
    return route


def etag_of(response) -> str:
    return unescape(re.search(r'name="etag" value="([^"]+)"', response.content.decode()).group(1))


def kept_data(html: str):
    import json

    return json.loads(re.search(r'<script id="autosave-data" type="application/json">(.*?)</script>', html, re.S).group(1))


def form(title="Сынақ", body="Жаңа мәтін", **extra):
    return {"title": title, "lead": "", "body": body, **extra}


def call(room, who, view):
    """One request to one editor view; returns the response."""
    route = draft(room)
    rel = route.lstrip("/")
    c = client_as(room, who)
    if view == "dashboard":
        return c.get("/editor/")
    if view == "new-form":
        return c.get("/editor/new")
    if view == "new":
        return c.post("/editor/new", {"lang": "kk", "section": "news", "title": f"Жаңа {room.route()}"})
    if view == "edit-form":
        return c.get(f"/editor/edit/kk/{rel}")
    if view in ("save", "publish", "submit"):
        etag = etag_of(client_as(room, "erlan").get(f"/editor/edit/kk/{rel}"))
        return c.post(f"/editor/edit/kk/{rel}", form(etag=etag, action=view))
    if view == "preview":
        return c.post(f"/editor/preview/kk/{rel}", form())
    if view == "check":
        return c.post("/editor/check", '{"lang": "kk", "fields": {"title": "бiлiм"}}', content_type="application/json")
    if view == "autosave":
        return c.post(f"/editor/autosave/kk/{rel}", '{"data": {"title": "x"}}', content_type="application/json")
    if view == "history":
        return c.get(f"/editor/history/kk/{rel}")
    if view == "compare":
        versions = for_site(room.site).history(EDITOR, "kk", route)
        return c.get(f"/editor/compare/kk/{rel}?a={versions[-1].id}")
    if view == "restore":
        versions = for_site(room.site).history(EDITOR, "kk", route)
        return c.post(f"/editor/restore/kk/{rel}", {"version": versions[-1].id})
    if view == "audit":
        return c.get("/editor/audit")
    if view == "users":
        return c.get("/editor/users")
    if view == "settings":
        return c.get("/editor/settings")
    if view == "users-add":
        return c.post("/editor/users", {"action": "add", "username": f"new{room.route().rsplit('-', 1)[1]}",
                                        "role": "author", "password": "жаңа-құпия-сөз-2026"})
    raise AssertionError(view)


LOGIN = "login"  # anonymous GET: sent to the login page
MATRIX = {  # anon, owner (author), another author, editor, admin
    "dashboard": (LOGIN, 200, 200, 200, 200),
    "new-form": (LOGIN, 200, 200, 200, 200),
    "new": (401, 302, 302, 302, 302),
    "edit-form": (LOGIN, 200, 403, 200, 200),
    "save": (401, 302, 403, 302, 302),
    "submit": (401, 302, 403, 302, 302),
    "publish": (401, 403, 403, 302, 302),
    "preview": (401, 200, 403, 200, 200),
    "check": (401, 200, 200, 200, 200),
    "autosave": (401, 200, 403, 200, 200),
    "history": (LOGIN, 200, 403, 200, 200),
    "compare": (LOGIN, 200, 403, 200, 200),
    "restore": (401, 403, 403, 302, 302),
    "audit": (LOGIN, 403, 403, 403, 200),
    "users": (LOGIN, 403, 403, 403, 200),
    "settings": (LOGIN, 403, 403, 403, 200),
    "users-add": (401, 403, 403, 403, 200),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("view", sorted(MATRIX))
def test_permissions(room, view, who):
    expected = MATRIX[view][WHO.index(who)]
    response = call(room, who, view)
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/editor/login?next=")
    else:
        assert response.status_code == expected, response.content[:300]
    if who != "anon":
        assert response["Cache-Control"] == "private, no-store"


def test_forms_need_the_csrf_token(room):
    route = draft(room).lstrip("/")
    c = client_as(room, "aigul", csrf=True)
    page = c.get(f"/editor/edit/kk/{route}")
    etag = etag_of(page)
    assert c.post(f"/editor/edit/kk/{route}", form(etag=etag, action="save")).status_code == 403
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    ok = c.post(f"/editor/edit/kk/{route}", form(etag=etag, action="save", csrfmiddlewaretoken=token))
    assert ok.status_code == 302
    assert c.post("/editor/logout").status_code == 403
    login = client_as(room, "anon", csrf=True)
    assert login.post("/editor/login", {"username": "aigul", "password": PASSWORDS["aigul"]}).status_code == 403


def test_login_logout_and_throttling(room):
    c = client_as(room, "anon")
    page = c.get("/editor/login")
    assert page.status_code == 200 and "Редакцияға кіру" in page.content.decode()  # Kazakh by default
    assert page["Content-Security-Policy"].startswith("default-src 'self'")
    ok = c.post("/editor/login", {"username": "erlan", "password": PASSWORDS["erlan"], "next": "https://evil.example/"})
    assert ok.status_code == 302 and ok["Location"] == "/editor/"  # no open redirect
    assert c.get("/editor/").status_code == 200
    assert c.post("/editor/logout").status_code == 302
    assert c.get("/editor/").status_code == 302
    for _ in range(5):
        assert c.post("/editor/login", {"username": "marat", "password": "wrong"}).status_code == 401
    blocked = c.post("/editor/login", {"username": "marat", "password": PASSWORDS["marat"]})
    assert blocked.status_code == 429  # even the right password, for a while
    assert "_auth_user_id" not in c.session


def test_session_cookie_is_http_only(room):
    c = client_as(room, "anon")
    c.post("/editor/login", {"username": "admin", "password": PASSWORDS["admin"]})
    cookie = c.cookies["qalam_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_new_article_slug_from_the_kazakh_headline_and_numbered_when_taken(room):
    c = client_as(room, "aigul")
    first = c.post("/editor/new", {"lang": "kk", "section": "news", "title": "Ауа райы: Алматыда қар жауады"})
    assert first["Location"] == "/editor/edit/kk/news/aua-raiy-almatyda-qar-jauady"
    second = c.post("/editor/new", {"lang": "kk", "section": "news", "title": "Ауа райы: Алматыда қар жауады"})
    assert second["Location"] == "/editor/edit/kk/news/aua-raiy-almatyda-qar-jauady-2"
    translated = c.post("/editor/new", {"lang": "ru", "title": "Погода",
                                        "translation_of": "/news/aua-raiy-almatyda-qar-jauady"})
    assert translated["Location"] == "/editor/edit/ru/news/aua-raiy-almatyda-qar-jauady"
    assert (room.site.pages_dir / "02.news" / "aua-raiy-almatyda-qar-jauady" / "item.ru.md").is_file()


def test_form_saves_every_field_into_the_grav_header(room):
    route = draft(room)
    c = client_as(room, "erlan")
    etag = etag_of(c.get(f"/editor/edit/kk{route}"))
    response = c.post(f"/editor/edit/kk{route}", {
        "etag": etag, "action": "save", "title": "Толық мақала", "lead": "Лид абзацы.", "body": "Негізгі мәтін.",
        "lead_image_file": "a.jpg", "lead_image_caption": "Алаң", "lead_image_credit": "Асқар Жұмабаев",
        "dateline_city": "Алматы", "dateline_agency": "Qalam", "authors": "Айгүл С., Марат Т.",
        "tags": "экономика, Алматы", "categories": "қоғам", "source_agency": "ҚазАқпарат",
        "source_url": "https://example.kz/x", "related": "/news/old-story", "date": "2026-11-20T09:30",
        "featured": "1", "message": "Толықтырылды"})
    assert response.status_code == 302
    doc = for_site(room.site).get("kk", route)
    h = doc.header
    assert h["title"] == "Толық мақала"
    assert h["lead_image"] == {"file": "a.jpg", "caption": "Алаң", "credit": "Асқар Жұмабаев"}
    assert h["dateline"] == {"city": "Алматы", "agency": "Qalam"}
    assert h["authors"] == ["Айгүл С.", "Марат Т."]
    assert h["taxonomy"] == {"tag": ["экономика", "Алматы"], "category": ["қоғам"]}
    assert h["source"] == {"agency": "ҚазАқпарат", "url": "https://example.kz/x"}
    assert h["related"] == ["/news/old-story"] and h["featured"] is True
    assert h["date"] == "20-11-2026 09:30" and h["owner"] == "aigul"
    assert doc.body.strip() == "Лид абзацы.\n\n===\n\nНегізгі мәтін."
    assert for_site(room.site).history(EDITOR, "kk", route)[0].message == "Толықтырылды"
    # And the form shows it back.
    again = c.get(f"/editor/edit/kk{route}").content.decode()
    assert 'value="Асқар Жұмабаев"' in again and "Лид абзацы." in again and 'value="2026-11-20T09:30"' in again


def test_lead_photo_without_credit_is_not_saved(room):
    route = draft(room)
    c = client_as(room, "aigul")
    etag = etag_of(c.get(f"/editor/edit/kk{route}"))
    response = c.post(f"/editor/edit/kk{route}", form(etag=etag, action="save", lead_image_file="a.jpg"))
    assert response.status_code == 400
    assert "lead_image_credit" in response.content.decode()


def test_a_stale_save_shows_both_versions_and_loses_nothing(room):
    from qalam.web.models import Autosave

    route = draft(room, body="Бастапқы мәтін")
    tab1, tab2 = client_as(room, "aigul"), client_as(room, "erlan")
    etag = etag_of(tab1.get(f"/editor/edit/kk{route}"))
    assert tab2.post(f"/editor/edit/kk{route}", form(body="Редактор түзеткен мәтін", etag=etag,
                                                     action="save")).status_code == 302
    stale = tab1.post(f"/editor/edit/kk{route}", form(body="Автордың жаңа мәтіні", etag=etag, action="save"))
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Редактор түзеткен мәтін" in html and "Автордың жаңа мәтіні" in html
    assert for_site(room.site).get("kk", route).body.strip() == "Редактор түзеткен мәтін"  # not overwritten
    kept = Autosave.objects.get(user__username="aigul", key=f"kk:{route}")
    assert kept.data["body"] == "Автордың жаңа мәтіні"
    # "Keep my version" posts the author's text again, based on the current version.
    current = re.search(r'name="etag" value="([^"]+)"', html).group(1)
    kept_mine = tab1.post(f"/editor/edit/kk{route}", form(body="Автордың жаңа мәтіні", etag=unescape(current),
                                                          action="save"))
    assert kept_mine.status_code == 302
    assert for_site(room.site).get("kk", route).body.strip() == "Автордың жаңа мәтіні"


def test_autosave_is_kept_per_account_and_offered_back(room):
    route = draft(room)
    c = client_as(room, "aigul")
    saved = c.post(f"/editor/autosave/kk{route}", '{"data": {"title": "Сынақ", "body": "Жартылай жазылған мәтін"}}',
                   content_type="application/json")
    assert saved.status_code == 200
    page = c.get(f"/editor/edit/kk{route}").content.decode()
    assert 'id="autosave-offer" class="offer">' in page  # shown, not hidden
    assert kept_data(page)["body"] == "Жартылай жазылған мәтін"
    other = client_as(room, "erlan").get(f"/editor/edit/kk{route}").content.decode()
    assert kept_data(other) is None  # another account does not see it
    assert c.delete(f"/editor/autosave/kk{route}").status_code == 200
    assert c.get(f"/editor/autosave/kk{route}").json()["data"] is None


def test_preview_renders_the_unsaved_text_with_the_site_theme(room):
    route = draft(room)
    html = client_as(room, "aigul").post(f"/editor/preview/kk{route}", form(
        title="Алдын ала", body="**Қалың** мәтін <script>alert(1)</script>")).content.decode()
    assert "<strong>Қалың</strong>" in html and "Алдын ала" in html
    assert 'lang="kk"' in html
    # Raw HTML renders as Grav renders it; nothing in it runs: the frame allows no scripts and
    # the editor's policy allows no inline script.
    edit = client_as(room, "aigul").get(f"/editor/edit/kk{route}")
    assert 'sandbox="allow-same-origin"' in edit.content.decode()
    assert "script-src 'self'" in edit["Content-Security-Policy"]
    assert for_site(room.site).get("kk", route).body.strip() == "Алғашқы мәтін"  # nothing saved


def test_check_endpoint_and_latin_headline(room):
    data = client_as(room, "aigul").post(
        "/editor/check", '{"lang": "kk", "fields": {"title": "Қaзақстан \\"жаңа\\" заңы"}}',
        content_type="application/json").json()
    assert [f["kind"] for f in data["findings"]["title"]] == ["mixed", "quotes"]
    assert data["latin_title"] == 'Qazaqstan "jaña" zañy'


def test_history_compare_and_restore(room):
    route = draft(room, body="Бірінші нұсқа мәтіні")
    c = client_as(room, "erlan")
    etag = etag_of(c.get(f"/editor/edit/kk{route}"))
    c.post(f"/editor/edit/kk{route}", form(body="Екінші нұсқа мәтіні", etag=etag, action="save"))
    history = c.get(f"/editor/history/kk{route}").content.decode()
    ids = re.findall(r'name="a" value="([0-9a-f]{40})"', history)
    assert len(ids) == 2
    compare = c.get(f"/editor/compare/kk{route}?a={ids[1]}&b={ids[0]}").content.decode()
    assert "<del>Бірінші</del>" in compare and "<ins>Екінші</ins>" in compare
    assert c.post(f"/editor/restore/kk{route}", {"version": ids[1]}).status_code == 302
    assert for_site(room.site).get("kk", route).body.strip() == "Бірінші нұсқа мәтіні"


def test_publish_reaches_the_site_and_the_audit_log(room):
    route = draft(room)
    c = client_as(room, "erlan")
    etag = etag_of(c.get(f"/editor/edit/kk{route}"))
    assert c.post(f"/editor/edit/kk{route}", form(etag=etag, action="publish")).status_code == 302
    assert client_as(room, "anon").get(f"/kk{route}").status_code == 200
    audit = client_as(room, "admin").get("/editor/audit").content.decode()
    assert f"kk:{route}" in audit and "publish" in audit


def test_interface_languages(room):
    c = client_as(room, "aigul")
    assert "Материалдар" in c.get("/editor/").content.decode()
    switched = c.post("/editor/language", {"lang": "ru", "next": "/editor/"})
    assert switched.status_code == 302 and switched["Location"] == "/editor/"
    assert "Мои черновики" in c.get("/editor/").content.decode()
    c.post("/editor/language", {"lang": "en", "next": "https://evil.example/"})
    assert "My drafts" in c.get("/editor/").content.decode()


def test_featured_articles_lead_the_home_page(room):
    route = draft(room, body="Басты бетке шығатын мақала.")
    c = client_as(room, "erlan")
    etag = etag_of(c.get(f"/editor/edit/kk{route}"))
    c.post(f"/editor/edit/kk{route}", form(title="Таңдаулы мақала", etag=etag, action="publish", featured="1",
                                           date="2026-11-20T09:30"))
    home = client_as(room, "anon").get("/kk").content.decode()
    featured = home.split('<section class="featured"', 1)[1].split("</section>", 1)[0]
    assert "Басты материалдар" in featured and "Таңдаулы мақала" in featured and route in featured
    etag = etag_of(c.get(f"/editor/edit/kk{route}"))
    c.post(f"/editor/edit/kk{route}", form(title="Таңдаулы мақала", etag=etag, action="save", date="2026-11-20T09:30"))
    assert '<section class="featured"' not in client_as(room, "anon").get("/kk").content.decode()


def test_admin_manages_accounts(room):
    from django.contrib.auth import get_user_model

    from qalam.web.models import AuditEntry

    c = client_as(room, "admin")
    added = c.post("/editor/users", {"action": "add", "username": "dana", "role": "author", "email": "dana@example.kz",
                                     "full_name": "Дана Әбілова", "password": "дана-құпия-сөз-2026"})
    assert added.status_code == 200 and "Тіркелгі қосылды." in added.content.decode()
    weak = c.post("/editor/users", {"action": "add", "username": "weak", "role": "author", "password": "123"})
    assert weak.status_code == 400
    assert c.post("/editor/users", {"action": "set-role", "username": "dana", "role": "editor"}).status_code == 200
    assert c.post("/editor/users", {"action": "disable", "username": "admin"}).status_code == 400  # not oneself
    assert c.post("/editor/users", {"action": "disable", "username": "dana"}).status_code == 200
    dana = get_user_model().objects.get(username="dana")
    assert not dana.is_active and dana.groups.get().name == "editor"
    log = list(AuditEntry.objects.filter(target="dana").values_list("actor", "action"))
    assert ("admin", "user add") in log and ("admin", "user set-role") in log and ("admin", "user disable") in log


def test_admin_changes_the_site_settings_with_a_commit(room):
    import subprocess

    config = room.site.user_dir / "config" / "site.yaml"
    config.write_text("# the site's settings\ntitle: Test\ntaxonomies: [category, tag]  # kept\n", encoding="utf-8")
    room.site.refresh()
    c = client_as(room, "admin")
    assert 'value="Test"' in c.get("/editor/settings").content.decode()
    saved = c.post("/editor/settings", {"title": "Жаңа атау", "metadata_description": "Қазақша жаңалықтар",
                                        "author_name": "Qalam баспасы", "author_email": "info@example.kz"})
    assert saved.status_code == 200 and "Баптаулар сақталды." in saved.content.decode()
    text = config.read_text(encoding="utf-8")
    assert "# the site's settings" in text and "# kept" in text and "Жаңа атау" in text
    assert room.site.config.title == "Жаңа атау"
    assert "<title>" in client_as(room, "anon").get("/kk").content.decode()
    assert "Жаңа атау" in client_as(room, "anon").get("/kk").content.decode()
    log = subprocess.run(["git", "-C", str(room.site.user_dir), "log", "-1", "--format=%an|%s", "--", "config/site.yaml"],
                         capture_output=True, text=True).stdout.strip()
    assert log == "admin|Change the site's settings"
    assert c.post("/editor/settings", {"title": ""}).status_code == 400
    assert client_as(room, "erlan").post("/editor/settings", {"title": "x"}).status_code == 403


def test_refused_actions_save_nothing(room):
    route = draft(room, body="Өзгермейтін мәтін")
    author = client_as(room, "aigul")
    etag = etag_of(author.get(f"/editor/edit/kk{route}"))
    assert author.post(f"/editor/edit/kk{route}", form(body="жаңа", etag=etag, action="publish")).status_code == 403
    assert for_site(room.site).get("kk", route).body.strip() == "Өзгермейтін мәтін"
    editor = client_as(room, "erlan")
    bad = editor.post(f"/editor/edit/kk{route}", form(body="жаңа", etag=etag, action="schedule", publish_at="ертең"))
    assert bad.status_code == 400 and "publish_at" in bad.content.decode()
    assert for_site(room.site).get("kk", route).body.strip() == "Өзгермейтін мәтін"
    later = editor.post(f"/editor/edit/kk{route}", form(body="жаңа", etag=etag, action="schedule",
                                                       publish_at="2030-05-01T09:00"))
    assert later.status_code == 302
    assert for_site(room.site).get("kk", route).header["publish_date"] == "01-05-2030 09:00"
