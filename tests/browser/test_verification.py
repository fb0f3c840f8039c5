"""Anyone verifies a signed result on the public page, reached from the portal's header: the signed one is valid
with its signers' names, a copy with one byte changed is reported as changed after signing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from connectors.trust_services.demo_pki import CENTRE, LEADER
from engine.signing.config import SigningSettings
from engine.signing.pades import seal

from ..verification_support import minimal_pdf, sign_with, tampered

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def signed(demo_pki: Any) -> Iterator[bytes]:
    """The leader's signature and the unit's seal; the served app validates with the demo PKI's trust roots."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in demo_pki.env().items():
            env.setenv(name, value)

        def make() -> bytes:
            leader = sign_with(minimal_pdf(), demo_pki.leader_p12, demo_pki.tsa_url, "LeaderSignature")
            return seal(leader, SigningSettings.from_env(demo_pki.env()), reason="Ban hành kết quả",
                        location="Cà Mau")

        # pyHanko runs its own event loop: not in this thread, where Playwright's already runs
        with ThreadPoolExecutor(1) as pool:
            yield pool.submit(make).result()


def upload(page: Any, pdf: bytes) -> None:
    page.set_input_files("[data-verify-upload] input[name=file]",
                         files=[{"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("[data-verify-upload] button[type=submit]")


def test_a_signed_result_is_valid_and_a_changed_copy_is_not(page: Any, signed: bytes) -> None:
    page.goto("/")
    page.click("[data-nav=verify]")
    expect(page.locator("h1")).to_have_text("Xác minh văn bản điện tử")
    upload(page, signed)
    expect(page.locator("[data-headline]")).to_have_text("Văn bản hợp lệ")
    signers = page.locator("[data-signer]").all_inner_texts()
    assert LEADER in signers and len(signers) == 2, signers
    expect(page.locator("[data-verification]")).to_contain_text(CENTRE)
    expect(page.locator("[data-certificate=valid]")).to_have_count(2)
    expect(page.locator("[data-signed-at]").first).to_contain_text("theo dấu thời gian")

    upload(page, tampered(signed))
    expect(page.locator("[data-headline]")).to_have_text("Văn bản đã bị thay đổi sau khi ký")
    expect(page.locator("[data-intact=no]").first).to_be_visible()
    assert not page.js_errors
