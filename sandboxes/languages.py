"""How each language is compiled and run, and which image carries its toolchain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

TOOLCHAIN_LABEL = "reward-sandbox.toolchain"
"""The image label holding {language: toolchain version line}, written by `sandboxes.build_images`."""

IMAGE_PREFIX = "reward-sandbox/"
"""Every sandbox image's name starts with this: the builder tags them, the Docker backend runs them."""


def image_tag(image: str) -> str:
    """The tag of the image built from `sandboxes/images/<image>/` (what the Docker backend runs)."""
    return f"{IMAGE_PREFIX}{image}:latest"


def first_version_line(output: str) -> str:
    """The line of a `--version` output that names the version (the first non-empty one)."""
    for line in output.splitlines():
        if line.strip():
            return line.strip()[:200]
    return "unknown"


@dataclass(frozen=True, slots=True)
class Language:
    """One language: its source file name, optional compile command and run command.

    Commands run in the workspace, which holds the source file. `image` names the directory under
    `sandboxes/images/` (and the image tag `reward-sandbox/<image>`) whose toolchain runs it.
    """

    name: str
    image: str
    source_file: str
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    # RLIMIT_AS is a fair memory limit for native code and CPython; runtimes that reserve
    # large address ranges up front (JVM, Go, V8) need the cgroup limit instead.
    address_space_limit: bool = True
    # Prints the toolchain's version (first non-empty line of its output), for /healthz.
    version_command: tuple[str, ...] = ()

    def for_source(self, code: str) -> Language:
        """This language as it must run `code`: Java sources are saved and run under the name of
        their public class (`public class Solution` → `Solution.java`, `java … Solution`)."""
        if self.name != "java":
            return self
        name = java_main_class(code)
        if name == "Main":
            return self
        swap = {"Main.java": f"{name}.java", "Main": name}
        return replace(
            self,
            source_file=f"{name}.java",
            run=tuple(swap.get(arg, arg) for arg in self.run),
            compile=tuple(swap.get(arg, arg) for arg in self.compile or ()),
        )


_JAVA_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_JAVA_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')
_JAVA_PUBLIC_CLASS = re.compile(
    r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)", re.M
)
_JAVA_CLASS = re.compile(r"\bclass\s+([A-Za-z_$][\w$]*)")
_JAVA_MAIN = re.compile(r"\bstatic\s+(?:final\s+)?void\s+main\s*\(")


def java_main_class(code: str) -> str:
    """The class a Java program must be saved and run as: its only public top-level class (javac
    requires `X.java` for `public class X`), else the last class declared before `static void main(`,
    else `Main`. Judges differ (Codeforces takes any single public class, AtCoder wants `Main`);
    this accepts all of those."""
    text = _JAVA_STRING.sub('""', _JAVA_COMMENT.sub(" ", code))
    public = _JAVA_PUBLIC_CLASS.findall(text)
    if len(public) == 1:
        return str(public[0])
    main = _JAVA_MAIN.search(text)
    if main:
        before = _JAVA_CLASS.findall(text[: main.start()])
        if before:
            return str(before[-1])
    return "Main"


_GO_BUILD = (
    'mkdir -p "$GOCACHE" && { cp -R /opt/go-cache/. "$GOCACHE"/ 2>/dev/null || true; }'
    " && exec go build -o main main.go"
)

LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        # Plain `python3 main.py`, as judges run it (the script's folder first on sys.path).
        Language(
            "python",
            "python",
            "main.py",
            ("python3", "main.py"),
            aliases=("py", "python3"),
            version_command=("python3", "--version"),
        ),
        # GNU dialects, as Codeforces and AtCoder compile them (M_PI, strdup, typeof, __int128 ...).
        Language(
            "cpp",
            "cpp",
            "main.cpp",
            ("./main",),
            compile=("g++", "-std=gnu++20", "-O2", "-pipe", "-o", "main", "main.cpp"),
            aliases=("c++", "cc", "cxx"),
            version_command=("g++", "--version"),
        ),
        Language(
            "c",
            "cpp",
            "main.c",
            ("./main",),
            compile=("gcc", "-std=gnu17", "-O2", "-pipe", "-o", "main", "main.c", "-lm"),
            version_command=("gcc", "--version"),
        ),
        Language(
            "javascript",
            "node",
            "main.js",
            ("node", "main.js"),
            aliases=("js", "node", "nodejs"),
            address_space_limit=False,
            version_command=("node", "--version"),
        ),
        Language(
            "java",
            "java",
            "Main.java",
            ("java", "-XX:+UseSerialGC", "-Xss64m", "Main"),
            compile=("javac", "-encoding", "UTF-8", "Main.java"),
            address_space_limit=False,
            version_command=("javac", "-version"),
        ),
        Language(
            "go",
            "go",
            "main.go",
            ("./main",),
            # A fresh GOCACHE per compile, seeded with the image's compiled standard library.
            compile=("sh", "-c", _GO_BUILD),
            aliases=("golang",),
            env={
                "GOCACHE": "/tmp/go-cache",
                "GOPATH": "/tmp/go",
                "GO111MODULE": "off",
                "GOTOOLCHAIN": "local",
            },
            address_space_limit=False,
            version_command=("go", "version"),
        ),
        Language(
            "rust",
            "rust",
            "main.rs",
            ("./main",),
            compile=("rustc", "-O", "--edition", "2021", "-o", "main", "main.rs"),
            aliases=("rs",),
            version_command=("rustc", "--version"),
        ),
    )
}

_ALIASES = {alias: lang.name for lang in LANGUAGES.values() for alias in (lang.name, *lang.aliases)}


def resolve_language(name: str) -> Language | None:
    """The language called `name` (or one of its aliases, any case), or None."""
    key = _ALIASES.get(name.strip().lower())
    return LANGUAGES[key] if key else None


def language_names(name: str) -> tuple[str, ...]:
    """Every name a fenced code block may use for this language (for code extraction)."""
    lang = resolve_language(name)
    return (lang.name, *lang.aliases) if lang else (name.lower(),)
