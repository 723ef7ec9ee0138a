"""The access matrix: every URL pattern the project has × six roles × GET and POST.

URL patterns come from the resolver when the tests are collected, one test case per pattern
(named after it), so a view added later is covered without anyone remembering: a pattern with
no expectation here fails its case and the check below. Parameters are filled with objects of
Ward I, which the organiser of Ward I and the city's staff may see, and the organiser of Ward
III and the staff of another city may not. Those objects and each role's session are made once
for the module, in a transaction rolled back at its end; every request runs in a savepoint
that is rolled back, so a POST by one role changes nothing for the next.

A leak is an unexpected status, or a page for an outsider that shows Ward I's candidate.
"""

import re
import sys
from datetime import date, timedelta
from http.cookies import SimpleCookie

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from recruitment.documents.models import DocumentTemplate, PaperworkSetting
from recruitment.documents.render import TEMPLATES
from recruitment.imports.models import ImportJob
from recruitment.models import (
    Enrolment,
    Holiday,
    Reorganisation,
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
    add_cast_member,
    build_tree,
)

SHIPPED_6 = (TEMPLATES / "6-KND.docx").read_bytes()  # a unit's own template, valid

ROLES = ("anonymous", "organiser", "other_organiser", "staff", "other_staff", "admin")
SECRET_NAME = "Bí Mật Phường Một"
SECRET_ID = "093099887766"

AXES_FIELDS = {"user_agent": "test", "http_accept": "*/*", "path_info": "/accounts/login/"}

# Expected status per role, in the order of ROLES.
LOGIN = (302,) * 6  # redirect for everyone (the anonymous to the login page)


def every(status):
    return (status,) * 6


def signed_in(status):
    """Anonymous users are sent to the login page; everyone else gets ``status``."""
    return (302,) + (status,) * 5


# Inside Ward I: the organiser of Ward I, the city staff and the admin; others get 404.
WARD_ONE = (302, 200, 404, 200, 404, 200)
STAFF_ONLY = (302, 403, 403, 200, 200, 200)
STAFF_ONLY_WARD_ONE = (302, 403, 403, 200, 404, 200)


# A staff action on the city's reorganisation, answered with a redirect to its page.
CITY_ACTION = (302, 403, 403, 302, 404, 302)


# Ward I's organiser's own import: only they (and the admin) see it.
OWNER = (302, 200, 404, 404, 404, 200)
OWNER_REDIRECT = (302, 302, 404, 404, 404, 302)


def ward_one(ok):
    return (302, ok, 404, ok, 404, ok)


EXPECTED: dict[str, dict[str, tuple]] = {
    "": {"GET": LOGIN, "POST": LOGIN},
    # Health checks (config/health.py): for everyone, GET and HEAD only, no data.
    "healthz": {"GET": every(200), "POST": every(405)},
    "readyz": {"GET": every(200), "POST": every(405)},
    "accounts/login/": {"GET": (200, 302, 302, 302, 302, 302), "POST": (200,) + (302,) * 5},
    "accounts/logout/": {"GET": every(405), "POST": every(302)},
    "accounts/password/": {"GET": signed_in(200), "POST": signed_in(200)},
    "accounts/password/done/": {"GET": signed_in(200), "POST": signed_in(405)},
    # The user's own preferences (an empty POST re-renders the form with its errors).
    "accounts/profile/": {"GET": signed_in(200), "POST": signed_in(200)},
    "i18n/setlang/": {"GET": every(302), "POST": every(302)},
    # /candidates/
    "candidates/": {"GET": signed_in(200), "POST": signed_in(405)},
    "candidates/new/": {"GET": signed_in(200), "POST": signed_in(200)},
    "candidates/record/": {"GET": signed_in(200), "POST": signed_in(200)},
    # Read-only pages refuse POST before they look anything up: outsiders learn nothing.
    "candidates/<int:pk>/": {"GET": WARD_ONE, "POST": signed_in(405)},
    "candidates/<int:pk>/edit/": {"GET": WARD_ONE, "POST": WARD_ONE},
    "candidates/<int:pk>/history/": {"GET": WARD_ONE, "POST": signed_in(405)},
    "candidates/<int:pk>/correct/": {"GET": WARD_ONE, "POST": WARD_ONE},
    "candidates/<int:pk>/move/<slug:stage>/": {"GET": WARD_ONE, "POST": WARD_ONE},
    "candidates/<int:pk>/sponsors/new/": {"GET": WARD_ONE, "POST": WARD_ONE},
    "candidates/<int:pk>/dossier/": {"GET": WARD_ONE, "POST": signed_in(405)},
    "candidates/<int:pk>/documents/<slug:form>/": {"GET": WARD_ONE, "POST": signed_in(405)},
    # A form's blank template, for the staff who upload their own: no one's data.
    "documents/blank/<slug:code>/": {"GET": STAFF_ONLY, "POST": signed_in(405)},
    "candidates/<int:pk>/sponsors/<int:sponsorship_pk>/remove/": {
        "GET": signed_in(405),
        "POST": ward_one(302),
    },
    # /classes/ (a class of Ward I)
    "classes/": {"GET": signed_in(200), "POST": signed_in(405)},
    "classes/new/": {"GET": STAFF_ONLY, "POST": STAFF_ONLY},
    "classes/<int:pk>/": {"GET": WARD_ONE, "POST": signed_in(405)},
    "classes/<int:pk>/edit/": {"GET": STAFF_ONLY_WARD_ONE, "POST": STAFF_ONLY_WARD_ONE},
    "classes/<int:pk>/enrol/": {"GET": signed_in(405), "POST": WARD_ONE},
    "classes/<int:pk>/results/": {"GET": WARD_ONE, "POST": WARD_ONE},
    # An empty POST: nothing saved, the class page with the errors.
    "classes/<int:pk>/past-result/": {"GET": signed_in(405), "POST": WARD_ONE},
    # /members/
    "members/": {"GET": signed_in(200), "POST": signed_in(405)},
    "members/new/": {"GET": signed_in(200), "POST": signed_in(200)},
    "members/transfer-in/": {"GET": signed_in(200), "POST": signed_in(200)},
    "members/<int:pk>/": {"GET": WARD_ONE, "POST": signed_in(405)},
    "members/<int:pk>/edit/": {"GET": WARD_ONE, "POST": WARD_ONE},
    "members/<int:pk>/transfer-out/": {"GET": WARD_ONE, "POST": WARD_ONE},
    "members/<int:pk>/transfer-in/": {"GET": WARD_ONE, "POST": WARD_ONE},
    # /duplicates/ (a pair of Ward I's records; an empty POST re-renders the comparison)
    "duplicates/": {"GET": STAFF_ONLY, "POST": (302, 403, 403, 405, 405, 405)},
    "duplicates/candidates/<int:pk>/<int:other_pk>/": {
        "GET": STAFF_ONLY_WARD_ONE,
        "POST": STAFF_ONLY_WARD_ONE,
    },
    "duplicates/members/<int:pk>/<int:other_pk>/": {
        "GET": STAFF_ONLY_WARD_ONE,
        "POST": STAFF_ONLY_WARD_ONE,
    },
    "duplicates/candidate/<int:pk>/member/<int:member_pk>/": {
        "GET": STAFF_ONLY_WARD_ONE,
        "POST": STAFF_ONLY_WARD_ONE,
    },
    # /dashboard/ (the user's own unit by default)
    "dashboard/": {"GET": signed_in(200), "POST": signed_in(405)},
    # /reminders/ (what falls due in the user's own subtree)
    "reminders/": {"GET": signed_in(200), "POST": signed_in(405)},
    # /imports/ (an empty POST re-renders the form; an import is seen by who uploaded it)
    "imports/": {"GET": signed_in(200), "POST": signed_in(200)},
    "imports/template/<slug:kind>/": {"GET": signed_in(200), "POST": signed_in(405)},
    "imports/<int:pk>/": {"GET": OWNER, "POST": signed_in(405)},
    "imports/<int:pk>/commit/": {"GET": signed_in(405), "POST": OWNER_REDIRECT},
    # /quotas/ (an empty POST re-renders the form with an error)
    "quotas/": {"GET": STAFF_ONLY, "POST": STAFF_ONLY},
    "quotas/plan/": {"GET": STAFF_ONLY, "POST": STAFF_ONLY},
    # Ward I's quota: the ward and those above set its monthly plan (an empty POST: even pace).
    "quotas/<int:pk>/months/": {"GET": WARD_ONE, "POST": ward_one(302)},
    # /reorganisations/ (one decided by the city: its staff and the admin see it)
    "reorganisations/": {"GET": STAFF_ONLY, "POST": (302, 403, 403, 405, 405, 405)},
    "reorganisations/new/": {"GET": STAFF_ONLY, "POST": STAFF_ONLY},
    "reorganisations/<int:pk>/": {"GET": STAFF_ONLY_WARD_ONE, "POST": signed_in(405)},
    # An empty step is refused on the reorganisation's page, shown again with the errors.
    "reorganisations/<int:pk>/steps/new/": {"GET": signed_in(405), "POST": STAFF_ONLY_WARD_ONE},
    "reorganisations/<int:pk>/steps/<int:step_pk>/remove/": {
        "GET": signed_in(405),
        "POST": CITY_ACTION,
    },
    "reorganisations/<int:pk>/delete/": {"GET": signed_in(405), "POST": CITY_ACTION},
    "reorganisations/<int:pk>/apply/": {"GET": signed_in(405), "POST": CITY_ACTION},
    "reorganisations/<int:pk>/undo/": {"GET": signed_in(405), "POST": CITY_ACTION},
    # /units/search/ (the unit pickers' JSON: each user's own units only)
    "units/search/": {"GET": signed_in(200), "POST": signed_in(405)},
}

# Query parameters that name a unit: Ward I's, so outsiders must get 404.
WITH_QUERY = {
    "/dashboard/?year=2021&unit={ward1}": WARD_ONE,
    "/dashboard/?year=2021&unit={ward1}&format=csv": WARD_ONE,
    "/dashboard/?year=2021&unit={ward1}&format=xlsx": WARD_ONE,
    "/dashboard/?year=2021&unit={ward1}&format=json": WARD_ONE,
    "/dashboard/?year=2021&unit={ward1}&format=docx": WARD_ONE,
    "/dashboard/?year=2021&unit={ward1}&format=pdf": WARD_ONE,
    "/dashboard/?year=2021&unit={ward1}&print=1": WARD_ONE,
    "/quotas/?year=2021&unit={ward1}": STAFF_ONLY_WARD_ONE,
    "/quotas/plan/?year=2021&unit={ward1}": STAFF_ONLY_WARD_ONE,
}


# --- the URL patterns --------------------------------------------------------------------


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def all_routes() -> list[str]:
    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


# --- the world: one of everything in Ward I ---------------------------------------------


def build_world() -> dict:
    tree = build_tree()
    users = {role: add_cast_member(role, tree) for role in ROLES if role != "anonymous"}
    cell = tree["ward1_cell"]
    candidate = CandidateFactory(full_name=SECRET_NAME, citizen_id=SECRET_ID, unit=cell)
    member = PartyMemberFactory(unit=cell)
    sponsorship = Sponsorship.objects.create(
        candidate=candidate, member=member, role=Sponsorship.Role.MENTOR
    )
    today = timezone.localdate()
    training_class = TrainingClassFactory(
        unit=tree["ward1"], starts_on=today - timedelta(days=5), ends_on=today + timedelta(days=9)
    )
    enrolment = Enrolment.objects.create(candidate=candidate, training_class=training_class)
    change = StageChange.objects.create(candidate=candidate, to_stage=Stage.SOURCE)
    quota = QuotaFactory(unit=tree["ward1"], year=2021)
    holiday = Holiday.objects.create(day=date(2021, 9, 3), name="Local", unit=tree["ward1"])
    reorganisation = Reorganisation.objects.create(
        title="Sắp xếp", effective_on=date(2025, 7, 1), document_reference="01", unit=tree["city"]
    )
    reorganisation.steps.create(position=1, kind="rename", params={"unit": "VT-P1", "name": "X"})
    objects = {
        "reorganisation": reorganisation,
        "candidate": candidate,
        # The other record of a pair to merge.
        "second_candidate": CandidateFactory(full_name=SECRET_NAME, unit=tree["ward1"]),
        "second_member": PartyMemberFactory(unit=tree["ward1"]),
        "partymember": member,
        "sponsorship": sponsorship,
        "trainingclass": training_class,
        "enrolment": enrolment,
        "stagechange": change,
        "quota": quota,
        "holiday": holiday,
        "transfer": Transfer.objects.create(
            member=member, direction="in", on=date(2020, 1, 1), from_place="X", to_unit=cell
        ),
        "organisation": cell,
        "documenttemplate": DocumentTemplate.objects.create(
            unit=cell, code="6-knd", content=SHIPPED_6, file_name="6.docx"
        ),
        "paperworksetting": PaperworkSetting.objects.create(unit=cell, place="Vị Thanh"),
        "user": users["organiser"],
        "group": Group.objects.get(name="organiser"),
        "accessattempt": AccessAttempt.objects.create(
            username="x", ip_address="127.0.0.9", failures_since_start=1, **AXES_FIELDS
        ),
        "accesslog": AccessLog.objects.create(username="x", **AXES_FIELDS),
        "accessfailurelog": AccessFailureLog.objects.create(username="x", **AXES_FIELDS),
        "importjob": ImportJob.objects.create(
            kind="candidates",
            file_name="ds.csv",
            content=SECRET_NAME.encode(),
            by=users["organiser"],
            sample=[[2, "new", SECRET_NAME]],
            status=ImportJob.Status.CHECKED,
        ),
    }
    # One session per role, signed in once: a request that ends it (a logout) is rolled back
    # with its savepoint, so the next request finds it again.
    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    clients = {role: Client() for role in ROLES}
    return {
        "users": users,
        "objects": objects,
        "tree": tree,
        "sessions": sessions,
        "clients": clients,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """``build_world()`` once for the module, in a transaction rolled back at its end."""
    module_transaction = transaction.atomic()
    with django_db_blocker.unblock():
        module_transaction.__enter__()
        try:
            world = build_world()
        except BaseException:
            module_transaction.__exit__(*sys.exc_info())
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        module_transaction.__exit__(None, None, None)


def url_for(route: str, world) -> str:
    """The route with its parameters filled with Ward I's objects."""
    objects = world["objects"]
    model_match = re.search(r"admin/\w+/(\w+)/", route)
    admin_object = objects.get(model_match.group(1)) if model_match else None
    values = {
        "pk": objects["candidate"].pk,
        "stage": Stage.TRAINING.value,
        "form": "6-knd",
        "code": "6-knd",
        "sponsorship_pk": objects["sponsorship"].pk,
        "object_id": admin_object.pk if admin_object is not None else 1,
        "id": objects["user"].pk,
        "content_type_id": ContentType.objects.get_for_model(objects["candidate"]).pk,
        "app_label": "recruitment",
        "url": "no-such-page/",
        "kind": "candidates",
    }
    if route.startswith("imports/<int:pk>"):
        values["pk"] = objects["importjob"].pk
    if route.startswith("classes/<int:pk>"):
        values["pk"] = objects["trainingclass"].pk
    if route.startswith("reorganisations/<int:pk>"):
        values["pk"] = objects["reorganisation"].pk
        values["step_pk"] = objects["reorganisation"].steps.get().pk
    if route.startswith("members/<int:pk>"):
        values["pk"] = objects["partymember"].pk
    if route.startswith("quotas/<int:pk>"):
        values["pk"] = objects["quota"].pk
    values["other_pk"] = objects["second_candidate"].pk
    values["member_pk"] = objects["partymember"].pk
    if route.startswith("duplicates/members/"):
        values["pk"] = objects["partymember"].pk
        values["other_pk"] = objects["second_member"].pk
    if route == "admin/r/<path:content_type_id>/<path:object_id>/":
        values["object_id"] = objects["candidate"].pk
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route)
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), url)
    return "/" + url.replace("^", "").replace("$", "")


def client_for(role, world) -> Client:
    """The role's client with fresh cookies each time (a logout POST must not sign out the
    next) holding only the role's session. One client per role: a new one would load the
    middleware again for each of the ~2,000 requests."""
    client = world["clients"][role]
    client.cookies = SimpleCookie()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][role]
    return client


def request_as(role, method, url, world):
    """The response to one request, in a savepoint rolled back after it."""
    with transaction.atomic():
        client = client_for(role, world)
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    return response


def expected_for(route: str, method: str) -> tuple | None:
    if route in EXPECTED:
        return EXPECTED[route][method]
    return admin_expected(route, method)


# --- the admin, by rule: what each role's permissions and scope allow ---------------------

# Models the city staff may open in the admin, and which actions their group grants.
STAFF_ADMIN = {
    "organisation": {"view"},
    "candidate": {"view", "add", "change"},
    "partymember": {"view", "change"},
    "trainingclass": {"view", "add", "change"},
    "enrolment": {"view", "add", "change"},
    "quota": {"view", "add", "change", "delete"},
    "stagechange": {"view"},
    "holiday": {"view", "add", "change", "delete"},
    "sponsorship": {"view", "add", "change"},
    "transfer": {"view"},
    "documenttemplate": {"view", "add", "change", "delete"},
    "paperworksetting": {"view", "add", "change", "delete"},
}
NOT_ADMIN = (302, 302, 302)  # anonymous users and organisers are sent to the admin login
ADMIN_PAGES = {
    # route: {method: (anonymous, organiser, other_organiser, staff, other_staff, admin)}
    "admin/": {"GET": NOT_ADMIN + (200, 200, 200), "POST": NOT_ADMIN + (200, 200, 200)},
    "admin/login/": {"GET": (200, 200, 200, 302, 302, 302), "POST": every(200)},
    "admin/logout/": {"GET": NOT_ADMIN + (405, 405, 405), "POST": every(302)},
    "admin/password_change/": {"GET": NOT_ADMIN + (200,) * 3, "POST": NOT_ADMIN + (200,) * 3},
    "admin/password_change/done/": {"GET": NOT_ADMIN + (200,) * 3, "POST": NOT_ADMIN + (405,) * 3},
    "admin/autocomplete/": {"GET": NOT_ADMIN + (403,) * 3, "POST": NOT_ADMIN + (405,) * 3},
    "admin/jsi18n/": {"GET": NOT_ADMIN + (200,) * 3, "POST": NOT_ADMIN + (405,) * 3},
    # Scoped "view on site" (config/admin.py): another city's staff get 404, not a redirect.
    "admin/r/<path:content_type_id>/<path:object_id>/": {
        "GET": NOT_ADMIN + (302, 404, 302),
        "POST": NOT_ADMIN + (302, 404, 302),
    },
    "admin/^(?P<app_label>auth|axes|accounts|recruitment)/$": {
        "GET": NOT_ADMIN + (200,) * 3,
        "POST": NOT_ADMIN + (200,) * 3,
    },
    "admin/(?P<url>.*)$": {"GET": NOT_ADMIN + (404,) * 3, "POST": NOT_ADMIN + (404,) * 3},
}
# What no one may do, not even a superuser: the stage history is written by the pipeline
# and never deleted (the trained cohorts are counted from it), and django-axes writes its own
# log; its records' fields are read-only, so saving one changes nothing and redirects.
READ_ONLY_SAVE_REDIRECTS = {"accessattempt", "accesslog", "accessfailurelog"}
NOBODY = {
    "stagechange": {"add", "change", "delete"},
    "transfer": {"add", "change"},  # recorded on the member's page, which moves the member
    "accessattempt": {"add"},
    "accesslog": {"add"},
    "accessfailurelog": {"add"},
}


def admin_expected(route: str, method: str) -> tuple | None:
    if not route.startswith("admin/"):
        return None
    if route in ADMIN_PAGES:
        return ADMIN_PAGES[route][method]
    match = re.fullmatch(r"admin/(\w+)/(\w+)/(?:(<path:object_id>|<id>)/)?(\w+/)?", route)
    if match is None:
        return None
    model, has_object, action = match.group(2), match.group(3), (match.group(4) or "")
    if has_object and not action:
        # The bare object URL redirects to its change page, for anyone who reaches the admin.
        return every(302)
    action = action.strip("/") or ("change" if has_object else "changelist")
    needed = {"changelist": "view", "history": "view", "password": "change"}.get(action, action)
    if action == "change" and method == "GET":
        needed = "view"
    forbidden = needed in NOBODY.get(model, set())
    staff_may = needed in STAFF_ADMIN.get(model, set()) and not forbidden
    staff = 200 if staff_may else 403
    superuser = 403 if forbidden else 200
    if model in READ_ONLY_SAVE_REDIRECTS and action == "change" and method == "POST":
        superuser = 302
    # Another city's staff never reach Ward I's object: the admin says it does not exist.
    other_staff = 302 if (has_object and staff_may) else staff
    return NOT_ADMIN + (staff, other_staff, superuser)


# --- the tests -------------------------------------------------------------------------------

# Read when the tests are collected: one case per pattern, which runs in parallel with the
# others and says which route broke.
ROUTES = all_routes()


def test_every_url_pattern_has_an_expectation():
    missing = [
        (route, method)
        for route in all_routes()
        for method in ("GET", "POST")
        if expected_for(route, method) is None
    ]
    assert missing == []


def test_the_matrix_has_a_case_for_every_url_pattern():
    assert ROUTES == all_routes()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[f"/{route}" for route in ROUTES])
def test_access_matrix_has_no_leaks(route, world):
    url = url_for(route, world)
    surprises = []
    checked = 0
    for method in ("GET", "POST"):
        expected = expected_for(route, method)
        assert expected is not None, f"{method} {route} has no expectation in this module"
        for role, want in zip(ROLES, expected, strict=True):
            response = request_as(role, method, url, world)
            checked += 1
            got = response.status_code
            leaked = (
                role in ("other_organiser", "other_staff")
                and got == 200
                and response["Content-Type"].startswith("text/")
                and (SECRET_NAME in response.text or SECRET_ID in response.text)
            )
            if got != want or leaked:
                surprises.append(
                    f"{method} {url} as {role}: {got} (expected {want})"
                    + (" LEAK" if leaked else "")
                )
    assert surprises == [], "\n".join(surprises)
    assert checked == 2 * len(ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("template", WITH_QUERY)
def test_access_matrix_has_no_leaks_with_a_unit_in_the_query(template, world):
    url = template.format(ward1=world["tree"]["ward1"].pk)
    surprises = []
    checked = 0
    for role, want in zip(ROLES, WITH_QUERY[template], strict=True):
        response = request_as(role, "GET", url, world)
        checked += 1
        if response.status_code != want:
            surprises.append(f"GET {url} as {role}: {response.status_code} (expected {want})")
    assert surprises == [], "\n".join(surprises)
    assert checked == len(ROLES)
