"""The content API at /api/v1/: the contract's paths, statuses and permissions for every role."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from qalam.newsroom.workflow import Actor, for_site

from .newsroom_fixtures import PASSWORDS, ROLES, open_newsroom

AUTHOR = Actor("aigul", "aigul", "aigul@example.kz", "author")


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    nr = open_newsroom(tmp_path_factory.mktemp("api"))
    yield nr
    nr.site.close()


@pytest.fixture
def client(room):
    from django.test import Client

    from qalam.web.app import set_site

    set_site(room.site)
    return Client(SERVER_NAME="localhost")


def auth(room, who):
    return {} if who == "anon" else {"HTTP_AUTHORIZATION": f"Token {room.tokens[who]}"}


def draft(room, body="алғашқы мәтін") -> str:
    """A fresh draft by the author aigul; returns its route."""
    route = room.route()
    for_site(room.site).create(AUTHOR, "kk", route, "item", {"title": "Сынақ мақала"}, body)
    return route


def post_json(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def jpeg_file(name="сурет.jpg"):
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(buf, "JPEG")
    buf.seek(0)
    buf.name = name
    return buf


WHO = ["anon", "aigul", "marat", "erlan", "admin"]  # anonymous, owner, another author, editor, admin


def expect(anon, owner, other, editor, admin):
    return dict(zip(WHO, (anon, owner, other, editor, admin)))


MATRIX = {
    "read": expect(401, 200, 403, 200, 200),
    "put": expect(401, 200, 403, 200, 200),
    "submit": expect(401, 200, 403, 200, 200),
    "publish": expect(401, 403, 403, 200, 200),
    "unpublish": expect(401, 403, 403, 200, 200),
    "send-back": expect(401, 403, 403, 200, 200),
    "history": expect(401, 200, 403, 200, 200),
    "restore": expect(401, 403, 403, 200, 200),
    "media": expect(401, 201, 403, 201, 201),
    "list": expect(401, 200, 200, 200, 200),
    "create": expect(401, 201, 201, 201, 201),
}


def call(client, room, action, who):
    route = draft(room)
    base = f"/api/v1/pages/kk{route}"
    headers = auth(room, who)
    if action == "read":
        return client.get(base, **headers)
    if action == "put":
        etag = client.get(base, **auth(room, "erlan"))["ETag"]
        return client.put(base, json.dumps({"header": {"title": "Өзгерді", "owner": "aigul", "status": "draft",
                                                       "published": False}, "body": "жаңа мәтін"}),
                          content_type="application/json", HTTP_IF_MATCH=etag, **headers)
    if action in ("submit", "publish", "unpublish", "send-back"):
        return client.post(f"{base}/{action}", **headers)
    if action == "history":
        return client.get(f"{base}/history", **headers)
    if action == "restore":
        version = client.get(f"{base}/history", **auth(room, "erlan")).json()[0]["id"]
        return post_json(client, f"{base}/restore", {"version": version}, **headers)
    if action == "media":
        return client.post("/api/v1/media", {"lang": "kk", "route": route, "file": jpeg_file()}, **headers)
    if action == "list":
        return client.get("/api/v1/pages?lang=kk", **headers)
    if action == "create":
        return post_json(client, "/api/v1/pages", {"route": room.route(), "lang": "kk", "template": "item",
                                                   "header": {"title": "Жаңа"}, "body": "мәтін"}, **headers)
    raise AssertionError(action)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permissions(client, room, action, who):
    response = call(client, room, action, who)
    assert response.status_code == MATRIX[action][who], response.content
    assert response["Content-Type"].startswith("application/json")


def test_create_read_update_with_etags(client, room):
    route = room.route()
    created = post_json(client, "/api/v1/pages", {"route": route, "lang": "kk", "template": "item",
                                                  "header": {"title": "«Жаңа» мақала"}, "body": "Лид\n\n===\n\nМәтін"},
                        **auth(room, "aigul"))
    assert created.status_code == 201
    assert set(created.json()) >= {"route", "lang", "template", "header", "body", "status"}
    assert created.json()["status"] == "draft" and created["ETag"]
    got = client.get(f"/api/v1/pages/kk{route}", **auth(room, "aigul"))
    assert got.json()["header"]["title"] == "«Жаңа» мақала" and got["ETag"] == created["ETag"]
    change = {"header": dict(got.json()["header"], title="Түзетілген"), "body": "Жаңа мәтін"}
    url = f"/api/v1/pages/kk{route}"
    missing = client.put(url, json.dumps(change), content_type="application/json", **auth(room, "aigul"))
    assert missing.status_code == 428
    ok = client.put(url, json.dumps(change), content_type="application/json", HTTP_IF_MATCH=got["ETag"],
                    **auth(room, "aigul"))
    assert ok.status_code == 200 and ok["ETag"] != got["ETag"]
    stale = client.put(url, json.dumps(dict(change, body="басқа")), content_type="application/json",
                       HTTP_IF_MATCH=got["ETag"], **auth(room, "aigul"))
    assert stale.status_code == 412
    assert stale.json()["current"]["body"].strip() == "Жаңа мәтін" and stale["ETag"] == ok["ETag"]


def test_workflow_reaches_the_site_search_and_feed(client, room):
    route = draft(room, body="Қалам жүйесі арқылы жарияланған ерекше хабар")
    url = f"/api/v1/pages/kk{route}"
    assert client.get(f"/kk{route}").status_code == 404  # a draft is not on the site
    assert client.post(f"{url}/submit", **auth(room, "aigul")).json()["status"] == "review"
    published = client.post(f"{url}/publish", **auth(room, "erlan"))
    assert published.json()["status"] == "published"
    assert client.get(f"/kk{route}").status_code == 200
    assert route in client.get("/kk/search?q=ерекше").content.decode()
    assert client.post(f"{url}/unpublish", **auth(room, "erlan")).json()["status"] == "draft"
    assert client.get(f"/kk{route}").status_code == 404


def test_schedule(client, room):
    route = draft(room)
    response = post_json(client, f"/api/v1/pages/kk{route}/publish", {"at": "2030-01-02T09:00:00+05:00"},
                         **auth(room, "erlan"))
    assert response.status_code == 200
    assert response.json()["header"]["publish_date"] == "02-01-2030 09:00"
    assert client.get(f"/kk{route}").status_code == 404  # not yet


def test_history_and_restore(client, room):
    route = draft(room, body="бірінші нұсқа")
    url = f"/api/v1/pages/kk{route}"
    etag = client.get(url, **auth(room, "aigul"))["ETag"]
    client.put(url, json.dumps({"header": {"title": "Сынақ мақала", "owner": "aigul", "status": "draft",
                                           "published": False}, "body": "екінші нұсқа"}),
               content_type="application/json", HTTP_IF_MATCH=etag, **auth(room, "aigul"))
    versions = client.get(f"{url}/history", **auth(room, "erlan")).json()
    assert [set(v) for v in versions] == [{"id", "author", "date", "message"}] * 2
    assert versions[0]["message"].startswith("Edit") and versions[1]["message"].startswith("Create")
    assert versions[0]["author"] == "aigul"
    restored = post_json(client, f"{url}/restore", {"version": versions[1]["id"]}, **auth(room, "erlan"))
    assert restored.status_code == 200 and restored.json()["body"].strip() == "бірінші нұсқа"
    assert len(client.get(f"{url}/history", **auth(room, "erlan")).json()) == 3
    bad = post_json(client, f"{url}/restore", {"version": "0123abcd"}, **auth(room, "erlan"))
    assert bad.status_code == 404


@pytest.mark.parametrize("body, field", [
    ('{"route": 5', "body"),
    (json.dumps({"route": "/news/x"}), "lang"),
    (json.dumps({"route": "/news/../x", "lang": "kk"}), "route"),
    (json.dumps({"route": "/news/x", "lang": "xx"}), "lang"),
    (json.dumps({"route": "/news/x", "lang": "kk", "template": "../item"}), "template"),
    (json.dumps({"route": "/news/x", "lang": "kk", "header": "title"}), "header"),
    (json.dumps({"route": "/nosection/x", "lang": "kk"}), "route"),
])
def test_bad_input_is_400_with_a_message_per_field(client, room, body, field):
    response = client.post("/api/v1/pages", body, content_type="application/json", **auth(room, "erlan"))
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_media_validation_and_storage(client, room):
    route = draft(room)
    bad = client.post("/api/v1/media", {"lang": "kk", "route": route,
                                        "file": io.BytesIO(b"<svg onload=alert(1)>")}, **auth(room, "aigul"))
    assert bad.status_code == 400 and "file" in bad.json()["errors"]
    good = client.post("/api/v1/media", {"lang": "kk", "route": route, "file": jpeg_file()}, **auth(room, "aigul"))
    assert good.status_code == 201
    again = client.post("/api/v1/media", {"lang": "kk", "route": route, "file": jpeg_file()}, **auth(room, "aigul"))
    assert again.json()["name"] == "suret-2.jpg"  # nothing is overwritten
    folder = room.site.pages_dir / "02.news" / route.rsplit("/", 1)[1]
    assert (folder / "suret.jpg").is_file() and (folder / "suret-2.jpg").is_file()


def test_session_auth_needs_csrf(room):
    from django.test import Client

    from qalam.web.app import set_site

    set_site(room.site)
    browser = Client(SERVER_NAME="localhost", enforce_csrf_checks=True)
    assert browser.login(username="erlan", password=PASSWORDS["erlan"])
    route = draft(room)
    assert browser.get(f"/api/v1/pages/kk{route}").status_code == 200
    refused = browser.post(f"/api/v1/pages/kk{route}/submit")
    assert refused.status_code == 403
    token = browser.get("/api/v1/csrf").json()["csrf"]
    assert browser.post(f"/api/v1/pages/kk{route}/submit", HTTP_X_CSRFTOKEN=token).status_code == 200


def test_disabled_account_and_bad_tokens_get_401(client, room):
    from qalam.web.accounts import add_user, disable, new_token

    add_user("ketken", "editor", "ketken-kupia-soz-2026")
    token = new_token("ketken")
    assert client.get("/api/v1/pages", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    disable("ketken")
    assert client.get("/api/v1/pages", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    for header in ("Token nope", "Bearer " + room.tokens["erlan"], "Token", room.tokens["erlan"]):
        assert client.get("/api/v1/pages", HTTP_AUTHORIZATION=header).status_code == 401


def test_openapi_schema_lists_the_contract(client, room):
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    for path in ("/api/v1/pages", "/api/v1/pages/{lang}/{route}", "/api/v1/pages/{lang}/{route}/publish",
                 "/api/v1/pages/{lang}/{route}/unpublish", "/api/v1/pages/{lang}/{route}/submit",
                 "/api/v1/pages/{lang}/{route}/history", "/api/v1/pages/{lang}/{route}/restore", "/api/v1/media"):
        assert path in paths, path


def test_roles_are_what_the_accounts_say():
    assert set(ROLES.values()) == {"author", "editor", "admin"}
