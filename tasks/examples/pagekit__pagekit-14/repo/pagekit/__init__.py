from .paginator import Page, PageNotFound, Paginator

__all__ = ["Page", "PageNotFound", "Paginator"]
__version__ = "0.4.1"
