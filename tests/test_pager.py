"""The pager under the register and the inbox (`officer/_macros.html`): previous and next links, the page count,
and no next link when the list says there is no next page (the register's last keyset page)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, render_template_string


@dataclass
class Form:
    page: int

    def link(self, page: int) -> str:
        return f"/register?page={page}"


def pager(app: Flask, page: int, pages: int, more: bool = True) -> str:
    with app.test_request_context("/register"):
        return render_template_string('{% import "officer/_macros.html" as m with context %}'
                                      "{{ m.pager(form, pages, more) }}", form=Form(page), pages=pages, more=more)


def test_the_pager_links_the_pages_around(app: Flask) -> None:
    middle = pager(app, 2, 3)
    assert 'href="/register?page=1" rel="prev"' in middle and 'href="/register?page=3" rel="next"' in middle
    assert "Trang 2/3" in middle
    first, last = pager(app, 1, 3), pager(app, 3, 3)
    assert 'rel="prev"' not in first and 'rel="next"' not in last
    assert 'rel="next"' not in pager(app, 2, 3, more=False)
    assert pager(app, 1, 1).strip() == ""
