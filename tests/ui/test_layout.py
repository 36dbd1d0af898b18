"""Every page at a phone's width without sideways scrolling, and every asset served by the
server itself (the dashboard works air-gapped)."""

from urllib.parse import urlsplit

import pytest

from tests.ui.support import DESKTOP, sign_in

PHONE = {"width": 390, "height": 844}
SCREENS = {"phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True,
                     "device_scale_factor": 2},
           "desktop": {"viewport": DESKTOP}}


def pages_of(trained) -> dict[str, str]:
    return {"projects": "/ui/projects", "project": trained.project_url,
            "dataset": trained.dataset_url, "model": trained.model_url,
            "compare": trained.compare_url, "jobs": "/ui/jobs",
            "upload-job": f"/ui/jobs/{trained.upload_job}",
            "train-job": f"/ui/jobs/{trained.train_job}"}


@pytest.mark.parametrize("screen", SCREENS)
def test_pages_fit_the_screen_without_sideways_scrolling(new_context, trained, shot, screen):
    options = SCREENS[screen]
    width = options["viewport"]["width"]
    page = new_context(**options).new_page()
    overflowing = {}

    def measure(name: str) -> None:
        # The layout viewport is the phone's width only with <meta name=viewport
        # content="width=device-width">; without it a phone lays pages out 980 px wide.
        layout, content = page.evaluate(
            "[document.documentElement.clientWidth, document.documentElement.scrollWidth]")
        assert layout == width, (name, layout)
        if content > width + 1:
            overflowing[name] = content
        shot(page, f"{screen}-{name}")

    page.goto("/ui/login")
    measure("login")
    sign_in(page, trained.key)
    for name, url in pages_of(trained).items():
        assert page.goto(url).status == 200, url
        measure(name)
    assert not overflowing, f"wider than {width} px: {overflowing}"


def test_pages_load_nothing_from_another_origin(page, ui_server, trained):
    origin = urlsplit(ui_server.base)[:2]
    requested, failed = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto("/ui/login")
    sign_in(page, trained.key)
    referenced = []
    for url in pages_of(trained).values():
        page.goto(url)
        referenced += page.evaluate("""() => [
            ...[...document.querySelectorAll("link[href]")].map(e => e.href),
            ...[...document.querySelectorAll("script[src], img[src], iframe[src]")]
                .map(e => e.src)]""")
    assets = [u for u in referenced if "/ui/static/" in u]
    assert assets, "the pages reference no stylesheet or script under /ui/static/"
    foreign = {u for u in requested + referenced
               if not u.startswith("data:") and urlsplit(u)[:2] != origin}
    assert not foreign, foreign
    assert not failed, failed
