"""The newsroom's workflow: every change is a file Grav reads plus a git commit; roles enforced."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from qalam.content.frontmatter import parse_page_text
from qalam.newsroom.documents import DocumentError, page_text
from qalam.newsroom.gitstore import GitStore
from qalam.newsroom.workflow import Actor, Conflict, Forbidden, Newsroom, NotFound, PreconditionRequired

AUTHOR = Actor("aigul", "Айгүл Серікқызы", "aigul@example.kz", "author")
OTHER = Actor("marat", "Марат", "marat@example.kz", "author")
EDITOR = Actor("erlan", "Ерлан", "erlan@example.kz", "editor")


def git_log(root, *args):
    return subprocess.run(["git", "-C", str(root), "log", "--format=%an|%ae|%s", *args],
                          capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.fixture
def room(news_site):
    audit = []
    nr = Newsroom(news_site, audit=lambda actor, action, target, detail: audit.append((actor.username, action, target)))
    nr.audit_log = audit
    return nr


def test_create_writes_a_grav_file_and_commits_it_as_the_author(room, news_site):
    doc = room.create(AUTHOR, "kk", "/news/jana-makala", "item", {"title": "Жаңа мақала: «сынақ»"}, "Лид\n\n===\n\nМәтін")
    path = news_site.pages_dir / "02.news" / "jana-makala" / "item.kk.md"
    assert doc.path == path
    parsed = parse_page_text(path.read_text(encoding="utf-8"))
    assert parsed.error is None
    assert parsed.header["title"] == "Жаңа мақала: «сынақ»"
    assert parsed.header["status"] == "draft" and parsed.header["published"] is False
    assert parsed.header["owner"] == "aigul"
    log = git_log(news_site.user_dir)
    assert log[0] == "Айгүл Серікқызы|aigul@example.kz|Create /news/jana-makala (kk): Жаңа мақала: «сынақ»"
    # The repository was created for the site: its first commit is the site before the editor.
    assert log[-1].endswith("Qalam: the site as it was before the editor") and len(log) == 2
    # A draft is not on the site.
    assert news_site.resolve("/kk/news/jana-makala").kind == "not_found"


def test_state_folder_never_enters_the_history(room, news_site, tmp_path):
    room.create(AUTHOR, "kk", "/news/a", "item", {"title": "A"}, "x")
    tracked = subprocess.run(["git", "-C", str(news_site.user_dir), "ls-files"], capture_output=True, text=True).stdout
    assert ".qalam" not in tracked


def test_translation_goes_into_the_same_folder(room, news_site):
    room.create(EDITOR, "kk", "/news/jana", "item", {"title": "Жаңа"}, "x")
    doc = room.create(EDITOR, "ru", "/news/jana", "item", {"title": "Новое"}, "y")
    assert doc.path == news_site.pages_dir / "02.news" / "jana" / "item.ru.md"
    with pytest.raises(DocumentError) as err:
        room.create(EDITOR, "ru", "/news/jana", "item", {"title": "Ещё"}, "z")
    assert err.value.field == "route"


@pytest.mark.parametrize("route", ["/news/../../etc", "/news/a b", "/news/.git", "/../x", "/news/%2e%2e"])
def test_routes_cannot_leave_the_pages_folder(room, route):
    with pytest.raises(DocumentError):
        room.create(EDITOR, "kk", route, "item", {"title": "x"}, "x")


@pytest.mark.parametrize("template", ["../item", "item/x", "", "ITEM;rm"])
def test_template_is_a_plain_name(room, template):
    with pytest.raises(DocumentError) as err:
        room.create(EDITOR, "kk", "/news/t", template, {"title": "x"}, "x")
    assert err.value.field == "template"


def test_unknown_language_is_a_field_error(room):
    with pytest.raises(DocumentError) as err:
        room.create(EDITOR, "de", "/news/t", "item", {"title": "x"}, "x")
    assert err.value.field == "lang"


def test_update_needs_the_version_it_was_based_on(room):
    doc = room.create(AUTHOR, "kk", "/news/b", "item", {"title": "Б"}, "бірінші")
    with pytest.raises(PreconditionRequired):
        room.update(AUTHOR, "kk", "/news/b", doc.header, "екінші", None)
    second = room.update(AUTHOR, "kk", "/news/b", doc.header, "екінші", doc.etag)
    assert second.body.strip() == "екінші" and second.etag != doc.etag
    with pytest.raises(Conflict) as err:  # a second tab still holds the first version
        room.update(AUTHOR, "kk", "/news/b", doc.header, "үшінші", doc.etag)
    assert err.value.current.body.strip() == "екінші"
    assert room.get("kk", "/news/b").body.strip() == "екінші"  # nothing overwritten


def test_a_change_on_disk_makes_the_version_stale(room, news_site):
    doc = room.create(AUTHOR, "kk", "/news/c", "item", {"title": "В"}, "бір")
    doc.path.write_text(page_text(doc.header, "қолмен өзгертілді"), encoding="utf-8")
    news_site.refresh()
    with pytest.raises(Conflict):
        room.update(AUTHOR, "kk", "/news/c", doc.header, "екі", doc.etag)


def test_authors_edit_only_their_own_drafts(room):
    doc = room.create(AUTHOR, "kk", "/news/d", "item", {"title": "Г"}, "x")
    with pytest.raises(Forbidden):
        room.update(OTHER, "kk", "/news/d", doc.header, "y", doc.etag)
    with pytest.raises(Forbidden):  # nor the workflow fields of their own
        room.update(AUTHOR, "kk", "/news/d", dict(doc.header, status="published", published=True), "y", doc.etag)
    with pytest.raises(Forbidden):
        room.update(AUTHOR, "kk", "/news/old-story", {"title": "x"}, "y", room.get("kk", "/news/old-story").etag)
    # An author cannot make themselves the owner of a new page created as "published" either.
    created = room.create(AUTHOR, "kk", "/news/e", "item", {"title": "Д", "status": "published", "owner": "erlan"}, "x")
    assert created.status == "draft" and created.header["owner"] == "aigul"


def test_review_publish_schedule_unpublish(room, news_site):
    room.create(AUTHOR, "kk", "/news/f", "item", {"title": "Е"}, "мәтін")
    with pytest.raises(Forbidden):
        room.publish(AUTHOR, "kk", "/news/f")
    assert room.submit(AUTHOR, "kk", "/news/f").status == "review"
    sent = room.send_back(EDITOR, "kk", "/news/f", "Дереккөзді көрсетіңіз")
    assert sent.status == "draft" and sent.header["review_note"] == "Дереккөзді көрсетіңіз"
    room.submit(AUTHOR, "kk", "/news/f")
    published = room.publish(EDITOR, "kk", "/news/f")
    assert published.status == "published" and published.header["published"] is True
    assert published.header["reviewer"] == "erlan" and "review_note" not in published.header
    assert news_site.resolve("/kk/news/f").kind == "page"
    # The author cannot edit it any more; an editor can unpublish it.
    with pytest.raises(Forbidden):
        room.update(AUTHOR, "kk", "/news/f", published.header, "x", published.etag)
    room.unpublish(EDITOR, "kk", "/news/f")
    assert news_site.resolve("/kk/news/f").kind == "not_found"
    # Scheduled: published with a Grav publish_date in the future, in Asia/Almaty.
    later = news_site.now() + timedelta(days=1)
    scheduled = room.publish(EDITOR, "kk", "/news/f", at=later)
    assert scheduled.header["publish_date"] == later.astimezone(news_site.tz).strftime("%d-%m-%Y %H:%M")
    assert news_site.resolve("/kk/news/f").kind == "not_found"
    actions = [a for _, a, _ in room.audit_log]
    assert actions == ["create", "submit", "send back", "submit", "publish", "unpublish", "schedule"]
    messages = [line.split("|")[2] for line in git_log(news_site.user_dir, "--", "pages/02.news/f/item.kk.md")]
    assert messages[0].startswith("Schedule /news/f (kk) for ")
    assert "Publish /news/f (kk)" in messages and "Unpublish /news/f (kk)" in messages


def test_history_and_restore(room):
    first = room.create(AUTHOR, "kk", "/news/g", "item", {"title": "Ж"}, "алғашқы мәтін")
    room.update(AUTHOR, "kk", "/news/g", first.header, "екінші мәтін", first.etag)
    versions = room.history(EDITOR, "kk", "/news/g")
    assert [v.message.split(" ")[0] for v in versions] == ["Edit", "Create"]
    assert versions[0].author == "Айгүл Серікқызы"
    old = room.version("kk", "/news/g", versions[1].id)
    assert old.body.strip() == "алғашқы мәтін"
    with pytest.raises(Forbidden):
        room.restore(AUTHOR, "kk", "/news/g", versions[1].id)
    restored = room.restore(EDITOR, "kk", "/news/g", versions[1].id)
    assert restored.body.strip() == "алғашқы мәтін"
    after = room.history(EDITOR, "kk", "/news/g")
    assert len(after) == 3 and after[0].message.startswith("Restore /news/g (kk)")
    with pytest.raises(NotFound):
        room.version("kk", "/news/g", "not-a-commit")


def test_restore_brings_back_the_text_not_the_workflow(room, news_site):
    first = room.create(AUTHOR, "kk", "/news/r", "item", {"title": "Ескі тақырып"}, "ескі мәтін")
    room.update(AUTHOR, "kk", "/news/r", dict(first.header, title="Жаңа тақырып"), "жаңа мәтін", first.etag)
    room.publish(EDITOR, "kk", "/news/r")
    draft_version = room.history(EDITOR, "kk", "/news/r")[-1].id
    restored = room.restore(EDITOR, "kk", "/news/r", draft_version)
    assert restored.body.strip() == "ескі мәтін" and restored.header["title"] == "Ескі тақырып"
    assert restored.status == "published" and restored.header["published"] is True
    assert news_site.resolve("/kk/news/r").kind == "page"  # still on the site


def test_lead_photo_needs_a_credit(room):
    with pytest.raises(DocumentError) as err:
        room.create(AUTHOR, "kk", "/news/h", "item", {"title": "З", "lead_image": {"file": "a.jpg"}}, "x")
    assert err.value.field == "header.lead_image.credit"
    doc = room.create(AUTHOR, "kk", "/news/h", "item",
                      {"title": "З", "lead_image": {"file": "a.jpg", "credit": "Асқар Жұмабаев"}}, "x")
    assert doc.header["lead_image"]["credit"] == "Асқар Жұмабаев"


def test_enclosing_repository_is_used_unless_it_ignores_the_site(tmp_path):
    outer = tmp_path / "repo"
    (outer / "site" / "pages").mkdir(parents=True)
    (outer / "ignored" / "pages").mkdir(parents=True)
    (outer / ".gitignore").write_text("ignored/\n")
    subprocess.run(["git", "-C", str(outer), "init", "-q"], check=True)
    GitStore(outer / "site", tmp_path / "s1").ensure()
    assert not (outer / "site" / ".git").exists()  # commits go to the site's repository
    GitStore(outer / "ignored", tmp_path / "s2").ensure()
    assert (outer / "ignored" / ".git").is_dir()  # ignored there: a repository of its own


def test_written_header_reads_back_unchanged():
    header = {"title": "«Тақырып»: 'тырнақша' мен #белгі", "status": "draft", "published": False,
              "tags": ["yes", "on", "null", "1"], "lead_image": {"file": "a.jpg", "credit": "Фото: ҚазАқпарат"},
              "review_note": "бірінші жол\nекінші жол"}
    text = page_text(header, "мәтін")
    parsed = parse_page_text(text)
    assert parsed.error is None and parsed.header == header
    assert "\ntitle: '«Тақырып»" in text and "\nstatus: draft\n" in text


def test_publishing_fills_the_distribution_outbox_once(make_site):
    """Publishing from the newsroom reaches IndexNow/Telegram as any new article does: one row
    per channel, and editing the published article later sends nothing more."""
    from qalam.news.distribution import DistributionService

    from .conftest import NEWS_SITE

    site = make_site({**NEWS_SITE, "config/qalam.yaml": "site_url: https://example.kz\n"
                      "distribution:\n  indexnow: {enabled: true, key: 3f1c0a9b6e2d4c8f}\n"})
    room = Newsroom(site)
    service = DistributionService(site, clock=lambda: site.now().timestamp())
    assert service.scan() == 0
    room.create(AUTHOR, "kk", "/news/tarату", "item", {"title": "Тарату", "date": site.now().strftime("%d-%m-%Y %H:%M")}, "x")
    assert service.scan() == 0  # a draft is not announced
    room.publish(EDITOR, "kk", "/news/tarату")
    assert service.scan() == 1
    doc = room.get("kk", "/news/tarату")
    room.update(EDITOR, "kk", "/news/tarату", doc.header, "түзетілген мәтін", doc.etag)
    assert service.scan() == 0


def test_a_page_whose_header_cannot_be_read_is_not_overwritten(room, news_site):
    doc = room.create(EDITOR, "kk", "/news/broken", "item", {"title": "Дұрыс"}, "мәтін")
    good = room.history(EDITOR, "kk", "/news/broken")[0].id
    doc.path.write_text("---\ntitle: 'ашылған тырнақша\nstatus: draft\n---\nмәтін\n", encoding="utf-8")
    news_site.refresh()
    broken = room.get("kk", "/news/broken")
    assert broken.error and broken.header == {}
    with pytest.raises(DocumentError) as err:
        room.update(EDITOR, "kk", "/news/broken", {"title": "x"}, "y", broken.etag)
    assert err.value.field == "header" and "qalam check" in err.value.message
    with pytest.raises(DocumentError):
        room.publish(EDITOR, "kk", "/news/broken")
    assert "ашылған тырнақша" in doc.path.read_text(encoding="utf-8")  # nothing written over it
    restored = room.restore(EDITOR, "kk", "/news/broken", good)  # the way to fix it from the editor
    assert restored.error is None and restored.header["title"] == "Дұрыс"
