"""The files in deploy/ agree with the settings they depend on (make prod-smoke runs them)."""

import gc
import re
import runpy

from django.conf import settings

DEPLOY = settings.BASE_DIR / "deploy"


def test_gunicorn_listens_on_loopback_only_and_logs_no_second_access_line(monkeypatch):
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert config["bind"] == "127.0.0.1:8000"
    assert config["accesslog"] is None
    assert config["timeout"] < 65  # nginx's proxy_read_timeout: gunicorn reports it first


def test_gunicorn_freezes_what_the_app_made_before_forking_the_workers():
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    thresholds = gc.get_threshold()
    try:
        config["when_ready"](server=None)
        assert gc.get_freeze_count() > 1000  # the modules, templates and URL patterns loaded
        # The youngest generation collected less often; the older ones as before.
        assert gc.get_threshold() == (50_000, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_gunicorn_serves_cold_when_the_warm_up_fails(monkeypatch):
    """A warm-up that fails is logged, and the workers start as they did without it."""
    import config.warmup

    def broken():
        raise AttributeError("a loader without get_dirs()")

    class Log:
        logged = []

        def exception(self, message):
            self.logged.append(message)

    class Server:
        log = Log()

    monkeypatch.setattr(config.warmup, "warm", broken)
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    thresholds = gc.get_threshold()
    try:
        config["when_ready"](server=Server())
        assert gc.get_freeze_count() > 1000  # what follows the warm-up still ran
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert Log.logged == ["The warm-up failed; the workers do it on their first pages."]


def test_nginx_lets_the_largest_import_through_and_no_more():
    site = (DEPLOY / "nginx" / "recruitment.conf").read_text()
    [limit] = re.findall(r"client_max_body_size (\d+)m;", site)
    assert settings.IMPORT_MAX_BYTES // 2**20 < int(limit) <= settings.IMPORT_MAX_BYTES // 2**20 + 2


def test_nginx_appends_the_client_address_and_passes_the_scheme_and_host():
    site = (DEPLOY / "nginx" / "recruitment.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header Host $http_host;" in site
    assert "proxy_set_header X-Request-ID $request_id;" in site


def test_every_unit_reads_the_environment_file():
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert len(units) >= 4
    for unit in units:
        assert "EnvironmentFile=/srv/recruitment/.env" in unit.read_text(), unit.name
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        assert (DEPLOY / "systemd" / timer.name.replace(".timer", ".service")).exists()
