"""Every page at a phone's width without sideways scrolling, and every asset served by the
server itself (the dashboard works air-gapped)."""

from urllib.parse import urlsplit

from tests.ui.support import sign_in

PHONE = {"width": 390, "height": 844}


def pages_of(trained) -> dict[str, str]:
    return {"projects": "/ui/projects", "project": trained.project_url,
            "dataset": trained.dataset_url, "model": trained.model_url,
            "compare": trained.compare_url, "jobs": "/ui/jobs",
            "upload-job": f"/ui/jobs/{trained.upload_job}",
            "train-job": f"/ui/jobs/{trained.train_job}"}


def test_pages_fit_a_phone_screen(new_context, trained, shot):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                       device_scale_factor=2).new_page()
    page.goto("/ui/login")
    every = {"login": "/ui/login"}
    sign_in(page, trained.key)
    every.update(pages_of(trained))
    overflowing = {}
    for name, url in every.items():
        assert page.goto(url).status == 200, url
        # The layout viewport is the phone's width only with <meta name=viewport
        # content="width=device-width">; without it a phone lays pages out 980 px wide.
        width, content = page.evaluate(
            "[document.documentElement.clientWidth, document.documentElement.scrollWidth]")
        assert width == PHONE["width"], (name, width)
        if content > width + 1:
            overflowing[name] = content
        shot(page, f"phone-{name}")
    assert not overflowing, f"wider than {PHONE['width']} px: {overflowing}"


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
