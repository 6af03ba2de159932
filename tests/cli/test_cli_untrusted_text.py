"""File names, cell text and chat input reach the terminal as text: never rich markup, never escapes."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.test_cli_contract import kefu
from tests.conftest import SHOP

CATALOG_HEADER = (
    "sku,name_ru,name_zh,aliases_ru,aliases_zh,brand,category_ru,category_zh,price_cny,stock,"
    "supplier_code,description_ru,description_zh"
)


def test_import_prints_a_path_with_markup_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "[/x] [bold]shop"
    folder.mkdir(parents=True)  # "[" and "x] [bold]shop": the path reads [/x]
    shutil.copy(SHOP / "suppliers.csv", folder / "suppliers.csv")
    done = kefu(tmp_path, "import", "suppliers", str(folder / "suppliers.csv"))
    assert done.returncode == 0, done.stderr
    assert f"Imported 3 suppliers row(s) from {folder / 'suppliers.csv'}." in done.stdout
    bad = folder / "catalog.csv"
    bad.write_text(f"{CATALOG_HEADER}\nV-1,Водка,伏特加,,,,,,[/bold],1,SWEET,,\n", encoding="utf-8")
    refused = kefu(tmp_path, "import", "catalog", str(bad))
    assert refused.returncode == 1
    assert f"Nothing was imported: 1 problem(s) in {bad}" in refused.stderr
    assert f'{bad}, line 2, column price_cny: price_cny "[/bold]" is not a price' in refused.stderr
    assert "Traceback" not in refused.stderr and "MarkupError" not in refused.stderr


def test_import_shows_control_characters_as_codes(tmp_path: Path) -> None:
    shutil.copy(SHOP / "suppliers.csv", tmp_path / "suppliers.csv")
    assert kefu(tmp_path, "import", "suppliers", str(tmp_path / "suppliers.csv")).returncode == 0
    bad = tmp_path / "catalog\x1b]0;owned\x07.csv"
    bad.write_text(f"{CATALOG_HEADER}\nV-1,Водка,伏特加,,,,,,\x1b[2J\u202eabc,1,SWEET,,\n", encoding="utf-8")
    refused = kefu(tmp_path, "import", "catalog", str(bad))
    assert refused.returncode == 1
    assert "\x1b" not in refused.stderr and "\x07" not in refused.stderr and "\u202e" not in refused.stderr
    assert 'price_cny "\\x1b[2J\\u202eabc" is not a price' in refused.stderr
    assert "catalog\\x1b]0;owned\\x07.csv" in refused.stderr


def test_demo_shows_chat_input_with_markup_and_escapes_as_text(tmp_path: Path) -> None:
    typed = "[/bold] 有 [red]爱莲巧[/red] 吗 :smile: \x1b[2J\n"
    result = kefu(tmp_path, "demo", stdin=typed)
    assert result.returncode == 0, result.stderr
    assert "[/bold] 有 [red]爱莲巧[/red] 吗 :smile: \\x1b[2J" in result.stdout
    assert "\x1b[2J" not in result.stdout and "MarkupError" not in result.stderr
