"""The web page in a real headless Chromium (Debian's), driven by Playwright; a screenshot is kept.

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``); Playwright never downloads a browser
here. The screenshot goes to ``tests/artifacts/serve_page.png`` (git-ignored).
"""
import dataclasses
import shutil
from pathlib import Path

import pytest

from ghostwriter.config import Config, ServeConfig
from serve_support import slice_documents, threaded_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.lock)")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is absent: apt-get install -y chromium chromium-driver")


@pytest.mark.slow
def test_page_adds_documents_and_shows_completion_with_evidence(tmp_path):
    from ghostwriter.serve.app import create_app
    from ghostwriter.serve.store import open_store

    store = open_store(str(tmp_path / "page.db"))
    key = store.create_key("acme")
    config = dataclasses.replace(Config(), serve=ServeConfig(completer="extractive"))
    user, docs = list(slice_documents().items())[9]
    pasted = "\n---\n".join(f"{d.title}\n{d.text}" for d in docs[:6])
    upload = tmp_path / "older-commit.txt"
    upload.write_text(docs[6].text)
    target = docs[7]

    with threaded_server(create_app(config, store)) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=FLAGS, viewport={"width": 1280, "height": 1100}, chromium_sandbox=False)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url + "/")
            assert page.title() == "Ghostwriter"
            page.fill("#apikey", key)
            page.fill("#user", user)
            page.fill("#pasted", pasted)
            page.set_input_files("#files", str(upload))
            page.click("#add")
            page.wait_for_selector("#profile-status:has-text('Added 7 document(s)')", timeout=15000)
            page.wait_for_function("document.querySelector('#variant').options.length > 2", timeout=15000)
            page.select_option("#variant", "syn_ind")
            page.fill("#title", target.title)
            page.fill("#context", target.text[:60])
            page.fill("#max-tokens", "20")
            page.click("#complete")  # the page streams: evidence, then text as it is written
            page.wait_for_selector("#complete-status:has-text('Done in')", timeout=15000)
            ghost = page.inner_text("#ghost-text")
            passages = page.locator("#passages li")
            words = page.locator("#words .chip")
            assert ghost.strip() and 0 < len(ghost.split()) <= 20
            assert passages.count() >= 1 and words.count() >= 1
            tenant = store.authenticate(key).tenant_id
            known = {d.doc_id for d in store.list_documents(tenant, user)}  # the six pasted and the uploaded one
            assert len(known) == 7
            metas = passages.locator(".meta").all_inner_texts()
            assert all(m.split(" · ")[0] in known for m in metas)
            assert "Done in" in page.inner_text("#complete-status")
            # a mistake shows the server's message, not a blank page
            page.fill("#max-tokens", "100000")
            page.click("#complete")
            page.wait_for_selector("#complete-status.error", timeout=15000)
            assert "max_tokens" in page.inner_text("#complete-status")
            page.fill("#max-tokens", "20")
            page.click("#complete")
            page.wait_for_selector("#complete-status:has-text('Done in')", timeout=15000)
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "serve_page.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert not errors, errors
        finally:
            browser.close()
