"""The dashboard's charts at 1280 px and at 360 px: every label whole and readable, no month
lost, and the unit names of the quota chart in full."""

import pytest

from recruitment.demo import load_demo
from recruitment.models import Organisation
from tests.e2e.test_organiser_journey import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "Đảng bộ Phường I thuộc Đảng bộ thành phố Vị Thanh, tỉnh Hậu Giang (tên dài để thử)"

LABELS = """
Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const box = svg.getBoundingClientRect();
  return {
    id: svg.querySelector('title').id,
    texts: Array.from(svg.querySelectorAll('text')).map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, cls: t.getAttribute('class'),
              left: r.left - box.left, right: box.right - r.right, height: r.height};
    }),
  };
})
"""


@pytest.fixture
def demo(transactional_db):
    load_demo()
    ward = Organisation.objects.get(code="VT-P1")
    ward.name = LONG_NAME
    ward.save()


def test_every_chart_label_is_whole_and_readable(demo, live_server, page):
    sign_in(page, live_server.url, "staff")
    page.goto(f"{live_server.url}/dashboard/?year=2021")
    charts = {chart["id"]: chart["texts"] for chart in page.evaluate(LABELS)}
    assert set(charts) == {"chart-quota-title", "chart-pace-title", "chart-funnel-title"}
    for chart, texts in charts.items():
        for t in texts:
            # Inside the drawing on both sides (not cut by its edge), and tall enough to read.
            assert t["left"] >= -0.5 and t["right"] >= -0.5, (chart, t)
            assert t["height"] >= 9, (chart, t)
    names = " ".join(t["text"] for t in charts["chart-quota-title"] if t["cls"] == "chart-name")
    assert LONG_NAME in names  # the whole name, over as many lines as it needs
    months = [t["text"] for t in charts["chart-pace-title"] if t["text"].isdigit()]
    assert [str(m) for m in range(1, 13)] == [m for m in months if int(m) <= 12][-12:]
