"""Through nginx and gunicorn as deployed (run by scripts/prod_smoke.py: `make prod-smoke`,
which starts them and sets SMOKE_HTTPS / SMOKE_HTTP; not part of `make test`)."""

import http.client
import os
import re
import ssl
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.prod_smoke

HTTPS = os.environ.get("SMOKE_HTTPS", "")
HTTP = os.environ.get("SMOKE_HTTP", "")
STAFF_SEES = "Nguyễn Đức Toàn"  # a demo candidate of Ward I, in the city staff's subtree


@pytest.fixture(scope="module", autouse=True)
def _servers_running():
    if not HTTPS:
        pytest.fail("Run by `make prod-smoke` (scripts/prod_smoke.py), which starts the servers.")


class Browserless:
    """One client address (a loopback address of its own) speaking HTTPS to nginx."""

    def __init__(self, address: str):
        self.address = address
        self.cookies: dict[str, str] = {}
        parts = urlsplit(HTTPS)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        context = ssl._create_unverified_context()  # the smoke test's self-signed certificate
        connection = http.client.HTTPSConnection(
            self.host, self.port, context=context, source_address=(self.address, 0), timeout=60
        )
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = HTTPS
            sent["Referer"] = f"{HTTPS}{path}"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        response.text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response

    def sign_in(self, username: str, password: str, forwarded_for: str | None = None):
        page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        return self.request("POST", "/accounts/login/", form, headers)


def test_staff_sign_in_and_see_the_list_the_dashboard_and_a_csv_export():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{HTTPS}/accounts/login/")
        page.fill("#id_username", "staff")
        page.fill("#id_password", "demo")
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]

        response = page.goto(f"{HTTPS}/candidates/")
        assert response.status == 200
        assert len(re.findall(r'href="/candidates/\d+/"', page.content())) >= 10
        page.goto(f"{HTTPS}/candidates/?q={STAFF_SEES}")
        assert STAFF_SEES in page.content()

        response = page.goto(f"{HTTPS}/dashboard/")
        assert response.status == 200
        assert page.locator("main").count() == 1

        export = context.request.get(f"{HTTPS}/dashboard/?format=csv")
        assert export.status == 200
        assert export.headers["content-type"].startswith("text/csv")
        assert len(export.text().splitlines()) >= 2
        browser.close()


def test_security_headers_and_static_files_through_nginx():
    client = Browserless("127.0.0.1")
    page = client.request("GET", "/accounts/login/")
    assert page.status == 200
    headers = page.headers
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id
    assert "secure" in headers["Set-Cookie"].lower()
    # Static files: from nginx, hashed names cached for a year.
    static = re.search(r'(?:href|src)="(/static/[^"]+)"', page.text).group(1)
    asset = client.request("GET", static)
    assert asset.status == 200
    assert "immutable" in asset.headers["Cache-Control"]
    # Plain HTTP is sent to HTTPS; the health checks answer through the proxy too.
    parts = urlsplit(HTTP)
    plain = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    plain.request("GET", "/candidates/")
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.headers["Location"].startswith(f"{HTTPS}/candidates/")
    assert client.request("GET", "/healthz").status == 200
    assert client.request("GET", "/readyz").status == 200


def test_five_wrong_passwords_lock_that_client_address_only():
    attacker, colleague = Browserless("127.0.0.2"), Browserless("127.0.0.3")
    for n in range(5):
        # What a client writes in X-Forwarded-For, even an unclosed quote, is not believed.
        response = attacker.sign_in("organiser_p3", "wrong", forwarded_for=f'192.0.2.{n}, "')
    assert response.status == 429
    assert attacker.sign_in("organiser_p3", "demo").status == 429
    assert colleague.sign_in("organiser_p3", "demo").status == 302
