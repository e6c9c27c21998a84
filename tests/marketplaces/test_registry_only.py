"""No module but the registry (and each marketplace's own spec) compares a marketplace name (issue 11 §1).

Marketplace differences are read from the `MarketplaceSpec` (`marketplaces.registry.spec_for`). This test
walks every product module and fails on a marketplace name used as a comparison operand, inside a
container that is compared against (`x in {"ozon", ...}`), as a dict key or as a `match` case value.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
NAMES = frozenset({"wildberries", "ozon", "yandex_market"})
# Test equipment and history are not product code.
SKIPPED_PARTS = frozenset({"tests", "sandbox", "migrations", "bench", ".venv", "node_modules", "static"})
ALLOWED = frozenset(
    {
        "marketplaces/registry.py",
        "marketplaces/wildberries/spec.py",
        "marketplaces/ozon/spec.py",
        "marketplaces/yandex_market/spec.py",
    }
)
# Modules allowed to compare a marketplace name, with how many places (none: the registry and the
# packages' own specs above are the only ones).
KNOWN_OFFENDERS: dict[str, int] = {}


def _names_in(node: ast.AST) -> list[ast.Constant]:
    if isinstance(node, ast.Constant) and node.value in NAMES:
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [item for element in node.elts for item in _names_in(element)]
    return []


def offences(source: str) -> list[int]:
    """Line numbers where a marketplace name is compared, used as a dict key or matched on."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                lines += [constant.lineno for constant in _names_in(operand)]
        elif isinstance(node, ast.Dict):
            lines += [key.lineno for key in node.keys if key is not None for key in _names_in(key)]
        elif isinstance(node, ast.MatchValue):
            lines += [constant.lineno for constant in _names_in(node.value)]
    return sorted(lines)


def product_modules() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("*.py") if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts)
    )


def test_the_detector_sees_comparisons_keys_and_cases() -> None:
    source = (
        'if account.marketplace == "ozon": pass\n'
        'ok = name in ("wildberries", "other")\n'
        'LABELS = {"yandex_market": "YM"}\n'
        'match name:\n    case "ozon": pass\n'
        'label = "ozon"  # a plain value is not a branch\n'
        'spec_for("wildberries")\n'
    )
    assert offences(source) == [1, 2, 3, 5]


def test_only_the_registry_compares_marketplace_names() -> None:
    found: dict[str, int] = {}
    for path in product_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        lines = offences(path.read_text(encoding="utf-8"))
        if lines:
            found[relative] = len(lines)
    worse = {path: count for path, count in found.items() if count > KNOWN_OFFENDERS.get(path, 0)}
    assert worse == {}, (
        "Read marketplace differences from marketplaces.registry.spec_for(name) instead of comparing names"
    )
