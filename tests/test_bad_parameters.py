"""Bad query parameters are a 400 with a message, or are ignored: never a 500.

Every URL pattern the project has (from the resolver, as in test_access_matrix.py, so a page
added later is covered without anyone remembering) is asked, as a superuser and as an
organiser, with every parameter it reads set to each value of a corpus of bad values: digits
that ``str.isdigit()`` accepts and ``int()`` does not, NUL (which PostgreSQL refuses),
numbers that overflow a year or a date, and so on. Path parameters are filled with real
objects, and each is set to the bad values too.

The parameters of the admin's change lists are read from their ModelAdmin (search, order,
page, facets, date hierarchy, and what each list filter expects), and the admin's
autocomplete is asked for every autocomplete field, so a new filter is covered too.

One test case per URL pattern; the data is built once for the module (in a transaction
rolled back at its end). The sweep runs with ``make test-fuzz`` (CI runs it on SQLite and on
PostgreSQL, where NUL breaks); ``make test`` runs the check that every pattern says what it
reads.
"""

import re
from datetime import date
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
)
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, RequestFactory

from accounts.models import User
from recruitment.documents.models import DocumentTemplate, PaperworkSetting
from recruitment.documents.render import TEMPLATES
from recruitment.imports.models import ImportJob
from recruitment.models import (
    Enrolment,
    Holiday,
    Organisation,
    Sponsorship,
    Stage,
    StageChange,
    Transfer,
)
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    QuotaFactory,
    TrainingClassFactory,
    UserFactory,
    add_unit,
)
from tests.test_access_matrix import all_routes

SHIPPED_6 = (TEMPLATES / "6-KND.docx").read_bytes()  # a unit's own template, valid

CORPUS = {
    "superscript two": "²",
    "Arabic-Indic three": "٣",
    "NUL": "\x00",
    "overflow": "99999999999",
    "negative": "-1",
    "zero": "0",
    "empty": "",
    "5,000 characters": "1" * 5000,
    "percent": "%",
    "quotes": "'\"",
}

# The query parameters each page of the app reads. A route missing here (and not an admin
# page, whose parameters are derived below) fails test_every_url_pattern_is_fuzzed.
READS: dict[str, tuple[str, ...]] = {
    "": (),
    "healthz": (),
    "readyz": (),
    "accounts/login/": ("next",),
    "accounts/logout/": ("next",),
    "accounts/password/": (),
    "accounts/password/done/": (),
    "accounts/profile/": (),
    "i18n/setlang/": ("next", "language"),
    # /candidates/
    "candidates/": (
        "page",
        "q",
        "unit",
        "unit_q",
        "stage",
        "source",
        "year",
        "overdue",
        "works_away",
        "sort",
    ),
    "candidates/new/": (),
    "candidates/record/": (),
    "candidates/<int:pk>/": (),
    "candidates/<int:pk>/edit/": (),
    "candidates/<int:pk>/history/": (),
    "candidates/<int:pk>/correct/": (),
    "candidates/<int:pk>/move/<slug:stage>/": (),
    "candidates/<int:pk>/sponsors/new/": ("role",),
    "candidates/<int:pk>/sponsors/<int:sponsorship_pk>/remove/": (),
    "candidates/<int:pk>/dossier/": (),
    "candidates/<int:pk>/documents/<slug:form>/": (),
    "documents/blank/<slug:code>/": (),
    # /classes/
    "classes/": ("page", "q", "unit", "unit_q", "status", "sort"),
    "classes/new/": (),
    "classes/<int:pk>/": ("unit", "unit_q", "name"),
    "classes/<int:pk>/edit/": (),
    "classes/<int:pk>/enrol/": (),
    "classes/<int:pk>/results/": (),
    "classes/<int:pk>/past-result/": (),
    # /members/
    "members/": ("page", "q", "unit", "unit_q", "status", "sort"),
    "members/new/": (),
    "members/transfer-in/": (),
    "members/<int:pk>/": (),
    "members/<int:pk>/edit/": (),
    "members/<int:pk>/transfer-out/": (),
    "members/<int:pk>/transfer-in/": (),
    # /duplicates/
    "duplicates/": ("page",),
    "duplicates/candidates/<int:pk>/<int:other_pk>/": (),
    "duplicates/members/<int:pk>/<int:other_pk>/": (),
    "duplicates/candidate/<int:pk>/member/<int:member_pk>/": (),
    # /dashboard/ (with its exports and its printable report)
    "dashboard/": ("unit", "year", "format", "print", "sort"),
    # /reminders/
    "reminders/": ("kind", "page"),
    # /imports/
    "imports/": ("kind", "page"),
    "imports/template/<slug:kind>/": (),
    "imports/<int:pk>/": (),
    "imports/<int:pk>/commit/": (),
    # /quotas/
    "quotas/": ("unit", "year"),
    "quotas/plan/": ("unit", "year"),
    "quotas/<int:pk>/months/": (),
    # /reorganisations/
    "reorganisations/": ("page",),
    "reorganisations/new/": (),
    "reorganisations/<int:pk>/": ("within", "within_q"),
    "reorganisations/<int:pk>/steps/new/": (),
    "reorganisations/<int:pk>/steps/<int:step_pk>/remove/": (),
    "reorganisations/<int:pk>/delete/": (),
    "reorganisations/<int:pk>/apply/": (),
    "reorganisations/<int:pk>/undo/": (),
    # /units/search/
    "units/search/": ("q", "open"),
}
# Read by pages across the app: every page is asked with these too, and ignores them where
# it does not read them.
SHARED = ("unit", "year", "page", "q")

ADMIN_PAGES = {
    "admin/": (),
    "admin/login/": ("next",),
    "admin/logout/": ("next",),
    "admin/password_change/": (),
    "admin/password_change/done/": (),
    "admin/jsi18n/": (),
    "admin/r/<path:content_type_id>/<path:object_id>/": (),
    "admin/^(?P<app_label>auth|axes|accounts|recruitment)/$": (),
    "admin/(?P<url>.*)$": (),
}
# What every change list reads. Those that the admin reads without ever stopping on a bad
# value are asked together; the others may end the page early (a 400, or a redirect to
# "?e=1"), which would hide what the page does with the rest: each is asked on its own.
CHANGELIST_ALONE = (PAGE_VAR, TO_FIELD_VAR)
AUTOCOMPLETE = "admin/autocomplete/"
CHANGELIST_TOGETHER = (SEARCH_VAR, ORDER_VAR, ALL_VAR, IS_FACETS_VAR, IS_POPUP_VAR, ERROR_FLAG)


# --- the world: a small tree with one of everything ----------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def build_world() -> dict:
    province = add_unit(None, "HG", "Đảng bộ tỉnh Hậu Giang", Organisation.Kind.PROVINCIAL)
    city = add_unit(province, "VT", "Đảng bộ thành phố Vị Thanh", Organisation.Kind.CITY)
    ward1 = add_unit(city, "VT-P1", "Đảng bộ Phường I", Organisation.Kind.COMMITTEE)
    cell = add_unit(ward1, "VT-P1-KV3", "Chi bộ Khu vực 3")
    ward1 = Organisation.objects.get(pk=ward1.pk)
    organiser = UserFactory(username="alice", unit=ward1, role=User.Role.ORGANISER)
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    # Admitted in 2021, so that the year filters and the date hierarchy have choices.
    candidate = CandidateFactory(unit=cell, decision_on=date(2021, 5, 1))
    member = PartyMemberFactory(unit=cell, candidate=candidate)
    sponsorship = Sponsorship.objects.create(
        candidate=candidate, member=member, role=Sponsorship.Role.MENTOR
    )
    training_class = TrainingClassFactory(unit=ward1)
    # The national holidays seeded by a migration would fill the holidays' change list, a
    # hundred rows a request, for nothing this test looks at.
    Holiday.objects.all().delete()
    axes = {"user_agent": "test", "http_accept": "*/*", "path_info": "/accounts/login/"}
    objects = {
        "organisation": cell,
        "candidate": candidate,
        "second_candidate": CandidateFactory(unit=cell, full_name=candidate.full_name),
        "second_member": PartyMemberFactory(unit=cell),
        "partymember": member,
        "sponsorship": sponsorship,
        "trainingclass": training_class,
        "enrolment": Enrolment.objects.create(candidate=candidate, training_class=training_class),
        "stagechange": StageChange.objects.create(candidate=candidate, to_stage=Stage.SOURCE),
        "quota": QuotaFactory(unit=ward1, year=2021),
        "holiday": Holiday.objects.create(day=date(2021, 9, 3), name="Local", unit=ward1),
        "transfer": Transfer.objects.create(
            member=member, direction="in", on=date(2021, 5, 1), from_place="X", to_unit=cell
        ),
        "documenttemplate": DocumentTemplate.objects.create(
            unit=cell, code="6-knd", content=SHIPPED_6, file_name="6.docx"
        ),
        "paperworksetting": PaperworkSetting.objects.create(unit=cell, place="Vị Thanh"),
        "user": organiser,
        "group": Group.objects.get(name="organiser"),
        "accessattempt": AccessAttempt.objects.create(
            username="x", ip_address="127.0.0.9", failures_since_start=1, **axes
        ),
        "accesslog": AccessLog.objects.create(username="x", **axes),
        "accessfailurelog": AccessFailureLog.objects.create(username="x", **axes),
        "importjob": ImportJob.objects.create(
            kind="candidates", file_name="ds.csv", content=b"x", by=organiser
        ),
    }
    return {"superuser": superuser, "organiser": organiser, "objects": objects}


# --- what each route reads ------------------------------------------------------------------


def model_admin_for(route: str):
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match is None:
        return None
    for model, model_admin in admin.site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == match.groups():
            return model_admin
    return None


def changelist_filters(model_admin, user) -> list[str]:
    """What a change list's date hierarchy and list filters read."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    params = []
    if model_admin.date_hierarchy:
        params += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    for spec in changelist.filter_specs:
        params += spec.expected_parameters()
    return params


def relation_fields(model_admin) -> tuple[str, ...]:
    """The add page takes initial values from the query string: ``?unit=3``."""
    return tuple(f.name for f in model_admin.model._meta.get_fields() if f.many_to_one)


def groups_for(route: str, superuser) -> list[tuple[str, ...]] | None:
    """The query parameters ``route`` reads, in groups set all at once to each bad value, or
    None when no one has said.

    A page may refuse a bad parameter early (a 400), which would hide what it does with the
    others: what a page reads is asked on its own. The parameters that pages read elsewhere
    (SHARED), which a page must ignore, are asked together; so are the few that the admin's
    change and add pages read besides ``_to_field``: those pages are the dearest to render.
    """
    if route == AUTOCOMPLETE:
        # For one field here; what is typed is asked for every field in urls_for().
        return [(name,) for name in ("app_label", "model_name", "field_name", "term", "page")]
    if route in READS or route in ADMIN_PAGES:
        reads = READS[route] if route in READS else ADMIN_PAGES[route]
        return [(name,) for name in reads] + [tuple(p for p in SHARED if p not in reads)]
    model_admin = model_admin_for(route)
    if model_admin is None:
        return None
    if re.fullmatch(r"admin/\w+/\w+/", route):
        alone = (*CHANGELIST_ALONE, *changelist_filters(model_admin, superuser))
        ignored = tuple(p for p in SHARED if p not in alone)
        return [(name,) for name in alone] + [CHANGELIST_TOGETHER, ignored]
    together = (IS_POPUP_VAR, "_changelist_filters", *relation_fields(model_admin), *SHARED)
    return [(TO_FIELD_VAR,), tuple(dict.fromkeys(together))]


def autocomplete_queries() -> list[dict[str, str]]:
    """A valid query for every autocomplete field of the admin (its forms and inlines)."""
    queries = []
    for model, model_admin in admin.site._registry.items():
        for owner in [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]:
            for field_name in owner.autocomplete_fields:
                queries.append(
                    {
                        "app_label": owner.model._meta.app_label,
                        "model_name": owner.model._meta.model_name,
                        "field_name": field_name,
                    }
                )
    return queries


# --- filling the URL ----------------------------------------------------------------------


def path_values(route: str, objects) -> dict[str, str]:
    model_match = re.match(r"admin/\w+/(\w+)/", route)
    admin_object = objects.get(model_match.group(1)) if model_match else None
    pk = objects["trainingclass"].pk if route.startswith("classes/") else objects["candidate"].pk
    if route.startswith(("members/<int:pk>", "duplicates/members/")):
        pk = objects["partymember"].pk
    if route.startswith("imports/<int:pk>"):
        pk = objects["importjob"].pk
    if route.startswith("quotas/<int:pk>"):
        pk = objects["quota"].pk
    other = "second_member" if route.startswith("duplicates/members/") else "second_candidate"
    return {
        "other_pk": str(objects[other].pk),
        "member_pk": str(objects["partymember"].pk),
        "kind": "candidates",
        "pk": str(pk),
        "stage": Stage.TRAINING.value,
        "form": "6-knd",
        "code": "6-knd",
        "sponsorship_pk": str(objects["sponsorship"].pk),
        "step_pk": "1",
        "object_id": str(admin_object.pk if admin_object is not None else 1),
        "id": str(objects["user"].pk),
        "content_type_id": str(ContentType.objects.get_for_model(objects["candidate"]).pk),
        "app_label": "recruitment",
        "url": "no-such-page/",
    }


def fill(route: str, values: dict[str, str]) -> str:
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], route)
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], url)
    return "/" + url.replace("^", "").replace("$", "")


def path_parameters(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)


def asks_for(route: str, world, *, merged=False) -> list[tuple[str, list[str]]]:
    """What to ask for ``route``: pairs of a URL and the URLs to ask if it stops early.

    For each bad value, the first URL sets every parameter the page reads to it at once. A
    page that answers it with a 200 has read them all (a page refuses a bad parameter with a
    400, never a 200: see ``recruitment.views.params``); one that stops early (a 400, a
    redirect to "?e=1", a 404) may have hidden what it does with the rest, so each group of
    parameters is then asked on its own. Each path parameter set to the bad value, and each
    autocomplete field, is a URL of its own. ``merged``: only the first URL, for a user whom
    the page turns away before it reads any parameter.
    """
    groups = [group for group in groups_for(route, world["superuser"]) if group]
    # The admin refuses every value of _to_field but a field's name: asked with the others,
    # it would stop each first URL early.
    first_alone = [] if merged else [group for group in groups if TO_FIELD_VAR in group]
    groups = [group for group in groups if group not in first_alone]
    values = path_values(route, world["objects"])
    base = fill(route, values)
    fields = autocomplete_queries() if route == AUTOCOMPLETE else [{}]
    asks = []
    for bad in CORPUS.values():
        if groups:
            every = dict.fromkeys(name for group in groups for name in group)
            alone = [f"{base}?{urlencode({**fields[0], **dict.fromkeys(g, bad)})}" for g in groups]
            together = f"{base}?{urlencode({**fields[0], **dict.fromkeys(every, bad)})}"
            asks.append((together, [] if merged or len(groups) == 1 else alone))
        for group in first_alone:
            asks.append((f"{base}?{urlencode(dict.fromkeys(group, bad))}", []))
        for name in [] if merged else path_parameters(route):
            asks.append((fill(route, {**values, name: quote(bad, safe="")}), []))
        for query in [] if merged else fields[1:]:
            asks += [(f"{base}?{urlencode({**query, name: bad})}", []) for name in ("term", "page")]
    return asks


# --- the tests ------------------------------------------------------------------------------


def test_every_url_pattern_is_fuzzed(db):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    missing = [route for route in all_routes() if groups_for(route, superuser) is None]
    assert missing == []


@pytest.mark.fuzz
@pytest.mark.django_db
@pytest.mark.parametrize("route", all_routes())
# A 5,000-digit value reaches a date filter of django-axes, which reads it as a naive datetime.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_bad_parameters_never_make_a_server_error(world, route):
    failures = []
    for user in (world["superuser"], world["organiser"]):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        # Organisers are sent to the admin's login before it reads anything.
        merged = route.startswith("admin/") and not user.is_staff
        for first, then in asks_for(route, world, merged=merged):
            status = client.get(first).status_code
            answers = [(first, status)]
            if status != 200:
                answers += [(url, client.get(url).status_code) for url in then]
            failures += [
                f"GET {url[:150]} as {user}: {code}" for url, code in answers if code >= 500
            ]
    assert failures == [], "\n".join(failures)
