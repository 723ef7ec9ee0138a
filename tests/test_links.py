import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from recruitment.links import row_url


@pytest.mark.parametrize("name", ["recruitment:candidate-detail", "recruitment:member-detail"])
@pytest.mark.parametrize("pk", [1, 42, 987654321, 10**12])
def test_a_row_link_is_what_reverse_writes(name, pk):
    assert row_url(name, pk) == reverse(name, args=[pk])


def test_a_row_link_follows_the_script_prefix():
    try:
        set_script_prefix("/tuyen-dung/")
        assert row_url("recruitment:candidate-detail", 7) == "/tuyen-dung/candidates/7/"
        assert row_url("recruitment:candidate-detail", 7) == reverse(
            "recruitment:candidate-detail", args=[7]
        )
    finally:
        set_script_prefix("/")
    assert row_url("recruitment:candidate-detail", 7) == "/candidates/7/"


def test_a_url_that_takes_no_id_is_refused():
    with pytest.raises(NoReverseMatch):
        row_url("recruitment:candidate-list", 7)
