import pytest

from pagekit import PageNotFound, Paginator


def test_partial_last_page():
    paginator = Paginator(list(range(25)), per_page=10)
    assert paginator.page_count == 3
    last = paginator.page(3)
    assert last.items == [20, 21, 22, 23, 24]
    assert not last.has_next
    assert last.has_previous


def test_first_page_has_no_previous():
    first = Paginator("abcdefg", per_page=3).page(1)
    assert first.items == ["a", "b", "c"]
    assert first.has_next
    assert not first.has_previous
    with pytest.raises(PageNotFound):
        first.previous_number


def test_empty_sequence_has_one_empty_page():
    paginator = Paginator([], per_page=5)
    assert paginator.page_count == 1
    assert paginator.page(1).items == []


def test_empty_sequence_without_empty_first_page():
    paginator = Paginator([], per_page=5, allow_empty_first_page=False)
    assert paginator.page_count == 0
    with pytest.raises(PageNotFound):
        paginator.page(1)


def test_page_out_of_range_raises():
    paginator = Paginator(list(range(7)), per_page=3)
    with pytest.raises(PageNotFound):
        paginator.page(0)
    with pytest.raises(PageNotFound):
        paginator.page(4)


def test_per_page_must_be_positive():
    with pytest.raises(ValueError, match="per_page"):
        Paginator([1, 2, 3], per_page=0)


def test_iteration_covers_every_item_once():
    items = list(range(23))
    pages = list(Paginator(items, per_page=5))
    assert [page.number for page in pages] == [1, 2, 3, 4, 5]
    assert [item for page in pages for item in page.items] == items
