"""Split a sequence into fixed-size, 1-indexed pages."""
from dataclasses import dataclass
from typing import Generic, Iterator, List, Sequence, TypeVar

T = TypeVar("T")


class PageNotFound(LookupError):
    """Raised when a page number is outside ``1..page_count``."""


@dataclass(frozen=True)
class Page(Generic[T]):
    number: int
    items: List[T]
    has_next: bool
    has_previous: bool

    @property
    def next_number(self) -> int:
        if not self.has_next:
            raise PageNotFound(f"page {self.number} is the last page")
        return self.number + 1

    @property
    def previous_number(self) -> int:
        if not self.has_previous:
            raise PageNotFound(f"page {self.number} is the first page")
        return self.number - 1


class Paginator(Generic[T]):
    def __init__(self, items: Sequence[T], per_page: int, allow_empty_first_page: bool = True):
        if per_page < 1:
            raise ValueError(f"per_page must be at least 1, got {per_page}")
        self.items = items
        self.per_page = per_page
        self.allow_empty_first_page = allow_empty_first_page

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def page_count(self) -> int:
        if self.count == 0:
            return 1 if self.allow_empty_first_page else 0
        return self.count // self.per_page + 1

    def page(self, number: int) -> Page[T]:
        if not 1 <= number <= self.page_count:
            raise PageNotFound(f"page {number} is out of range 1..{self.page_count}")
        start = (number - 1) * self.per_page
        items = list(self.items[start:start + self.per_page])
        return Page(number, items, has_next=number < self.page_count, has_previous=number > 1)

    def __iter__(self) -> Iterator[Page[T]]:
        for number in range(1, self.page_count + 1):
            yield self.page(number)
