"""One page of a long list, read without counting the list.

Django's ``Paginator`` counts every row to number the pages: at national scope that is a
count over a million candidates to show 25 of them. A ``Window`` reads one row more than
a page holds, which says whether there is a next page; the page numbers that are shown are
the previous, the current and the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from recruitment.views.params import parse_int

# Deeper than this, a list is searched or filtered, not paged through (the offset grows).
MAX_PAGE = 400


class Window:
    """The ``number``-th page of ``size`` rows of ``queryset`` (one query, no count), each
    made by ``row`` when given (from a ``values_list()`` tuple, say)."""

    def __init__(self, queryset, number: int, size: int, row=None):
        start = (number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.number = number
        self.size = size
        self.has_next = len(rows) > size and number < MAX_PAGE
        self.object_list = rows[:size] if row is None else [row(*r) for r in rows[:size]]
        self.has_previous = number > 1
        self.start_index = start + 1 if self.object_list else 0
        self.end_index = start + len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


class Stream:
    """Rows made as they are asked for (a generator), sliced as a ``Window`` slices a
    queryset: the rows before the page are made and dropped, none after it."""

    def __init__(self, rows: Iterator):
        self.rows = rows

    def __getitem__(self, part: slice) -> list:
        return list(islice(self.rows, part.start, part.stop))


def window(queryset, request, size: int, row=None) -> Window:
    """The page ``?page=`` asks for: from 1 to ``MAX_PAGE``, anything else is page 1."""
    number = parse_int(request.GET.get("page"), low=1, high=MAX_PAGE) or 1
    return Window(queryset, number, size, row)
