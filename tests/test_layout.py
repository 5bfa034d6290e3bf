"""The package's layout: imports point one way (README, "How it works"), and nothing imports in a circle."""
import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "pipeline"
# lower layers first; a module may import its own layer and the layers before it, never a later one
LAYERS = [{"about", "errors", "records", "resources", "patterns"}, {"io"}, {"nlp"}, {"extract"}, {"scoring"},
          {"engines"}, {"outputs", "audit"}, {"cli"}]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(path: Path) -> set[str]:
    """The pipeline modules a file imports, anywhere in it except under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
            for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("pipeline")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            assert node.level == 0, f"{path}: relative import"
            known = {module_name(p) for p in PACKAGE.rglob("*.py")}
            for a in node.names:  # `from pipeline.cli import run` imports the module pipeline.cli.run
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in known else node.module)
    return out


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) - {module_name(p)} for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    return next((i for i, names in enumerate(LAYERS) if top in names), len(LAYERS))  # the root re-exports: last


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str):
        state[m] = 1
        path.append(m)
        for n in sorted(g.get(m, ())):
            assert state.get(n) != 1, "import cycle: " + " -> ".join(path[path.index(n):] + [n])
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_imports_point_one_way():
    upward = [f"{m} imports {n}" for m, ns in graph().items() for n in ns if layer(n) > layer(m)]
    assert upward == []


def test_the_walk_sees_the_imports_it_checks():
    g = graph()
    assert "pipeline.extract.notes" in g["pipeline.engines.memory"]
    assert "pipeline.scoring.registry" in g["pipeline.scoring.contract"]
    assert "pipeline.engines.tables" not in g["pipeline.outputs.folder"]  # only under TYPE_CHECKING there
    assert layer("pipeline.cli.run") > layer("pipeline.engines.batch") > layer("pipeline.io.exports")
