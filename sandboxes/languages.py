"""How each language is compiled and run, and which image carries its toolchain."""

from __future__ import annotations

from dataclasses import dataclass, field


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


LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language("python", "python", "main.py", ("python3", "-I", "main.py"), aliases=("py", "python3")),
        Language(
            "cpp",
            "cpp",
            "main.cpp",
            ("./main",),
            compile=("g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "main.cpp"),
            aliases=("c++", "cc", "cxx"),
        ),
        Language(
            "c",
            "cpp",
            "main.c",
            ("./main",),
            compile=("gcc", "-std=c11", "-O2", "-pipe", "-o", "main", "main.c", "-lm"),
        ),
        Language(
            "javascript",
            "node",
            "main.js",
            ("node", "main.js"),
            aliases=("js", "node", "nodejs"),
            address_space_limit=False,
        ),
        Language(
            "java",
            "java",
            "Main.java",
            ("java", "-XX:+UseSerialGC", "-Xss64m", "Main"),
            compile=("javac", "-encoding", "UTF-8", "Main.java"),
            address_space_limit=False,
        ),
        Language(
            "go",
            "go",
            "main.go",
            ("./main",),
            compile=("go", "build", "-o", "main", "main.go"),
            aliases=("golang",),
            env={
                "GOCACHE": "/tmp/go-cache",
                "GOPATH": "/tmp/go",
                "GO111MODULE": "off",
                "GOTOOLCHAIN": "local",
            },
            address_space_limit=False,
        ),
        Language(
            "rust",
            "rust",
            "main.rs",
            ("./main",),
            compile=("rustc", "-O", "--edition", "2021", "-o", "main", "main.rs"),
            aliases=("rs",),
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
