# SPDX-License-Identifier: GPL-3.0-or-later
"""Which servers the record checks ask without --dns-server: the nameserver lines of resolv.conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from check_rtc.dns_exchange import servers
from check_rtc.errors import ResolveError


def test_nameserver_lines_in_order_at_most_three(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch example.test\nnameserver 192.0.2.53\nnameserver  2001:db8::53\n"
                    "; nameserver 192.0.2.1\nnameserver 192.0.2.54\nnameserver 192.0.2.55\n")
    assert servers(None, str(conf)) == [("192.0.2.53", 53), ("2001:db8::53", 53), ("192.0.2.54", 53)]
    assert servers("[::1]:5353", str(conf)) == [("::1", 5353)]


@pytest.mark.parametrize("text", ["search example.test\n", None])
def test_no_nameserver_is_a_resolve_error(tmp_path: Path, text: str | None) -> None:
    conf = tmp_path / "resolv.conf"
    if text is not None:
        conf.write_text(text)
    with pytest.raises(ResolveError) as caught:
        servers(None, str(conf))
    assert (caught.value.name, str(caught.value)) == (str(conf), "no name server configured")
