"""Reading the import graph of our own packages, for the architecture test.

Every import statement of every module is read with `ast` (nothing is imported or run), and
resolved to the module of ours it loads: `from hub import audit` is hub.audit, `from
hub.models import Case` is hub.models. A rank table then says which way imports may point:
a unit (a package, or a single module) may import its own modules and units of a LOWER rank
only; importing a unit of the same or a higher rank is against the grain.
"""

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. hub.casework.notes
    imported: str  # the module of ours it loads
    path: str  # the importer's file, relative to the root
    line: int
    in_function: bool  # inside a function body rather than at module level

    def __str__(self) -> str:
        where = " (inside a function)" if self.in_function else ""
        return f"{self.path}:{self.line} {self.importer} imports {self.imported}{where}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path, packages) -> dict[str, Path]:
    """Every module of the named top-level packages: name -> file."""
    return {
        module_name(root, path): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def _targets(node, here: list[str]) -> list[str]:
    """The dotted names an import statement may load; `here` is the importer's package."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from . import x, from ..y import z
        anchor = here[: len(here) - (node.level - 1)]
        base = ".".join(anchor + ([node.module] if node.module else []))
    # `from pkg import name` loads pkg.name when that is a module, else pkg itself.
    return [f"{base}.{alias.name}" for alias in node.names]


def _statements(tree):
    """(import statement, whether it sits inside a function) for a whole module."""
    todo = [(tree, False)]
    while todo:
        node, in_function = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            todo.append((child, in_function or function))


def read_imports(root: Path, packages) -> tuple[dict[str, Path], list[Import]]:
    """(the modules, every import of one of our modules by another of them)."""
    modules = find_modules(root, packages)

    def resolve(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in modules:
            parts.pop()
        return ".".join(parts) or None

    found = []
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        tree = ast.parse(path.read_text(), filename=str(path))
        for statement, in_function in _statements(tree):
            for target in _targets(statement, here):
                imported = resolve(target)
                if imported is not None and imported != name:
                    relative = str(path.relative_to(root))
                    found.append(Import(name, imported, relative, statement.lineno, in_function))
    return modules, sorted(set(found), key=lambda i: (i.path, i.line, i.imported))


def unit_of(module: str, ranks: dict[str, int], roots=()) -> str | None:
    """The rank table's entry a module belongs to: the longest entry that is the module or a
    package holding it. A name in `roots` (the application package, whose __init__ is the
    factory) stands for that one module only, not for everything below it."""
    best = None
    for unit in ranks:
        inside = module.startswith(unit + ".") and unit not in roots
        if (module == unit or inside) and (best is None or len(unit) > len(best)):
            best = unit
    return best


def against_the_grain(imports, ranks: dict[str, int], roots=()) -> list[Import]:
    """Imports of a unit of the same or a higher rank (a lower number is a higher rank)."""
    wrong = []
    for imp in imports:
        mine, theirs = unit_of(imp.importer, ranks, roots), unit_of(imp.imported, ranks, roots)
        if mine is None or theirs is None or mine == theirs:
            continue
        if ranks[theirs] <= ranks[mine]:
            wrong.append(imp)
    return wrong


def unplaced(modules, ranks: dict[str, int], roots=()) -> list[str]:
    return sorted(m for m in modules if unit_of(m, ranks, roots) is None)


def circles(modules, imports) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly
    connected components), counting imports inside functions too: a circle an import hides
    in a function is still a circle."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        graph[imp.importer].add(imp.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(groups)
