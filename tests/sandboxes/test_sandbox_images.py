"""Image definitions and the offline build script: hashed definitions, cached builds, every language."""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from sandboxes import LANGUAGES, DockerConfig, DockerSandbox, Verdict, build_images
from tests.support.sandbox_helpers import require_docker, require_images

HELLO = {
    "python": "print(input() + '!')",
    "cpp": (
        "#include <iostream>\n#include <string>\n"
        'int main(){std::string s; std::cin >> s; std::cout << s << "!\\n";}'
    ),
    "c": '#include <stdio.h>\nint main(){char s[64]; scanf("%63s", s); printf("%s!\\n", s);}',
    "javascript": "const s = require('fs').readFileSync(0, 'utf8').trim(); console.log(s + '!');",
    "java": (
        "import java.util.Scanner;\npublic class Main { public static void main(String[] a) {"
        ' System.out.println(new Scanner(System.in).next() + "!"); } }'
    ),
    "go": 'package main\nimport "fmt"\nfunc main(){ var s string; fmt.Scan(&s); fmt.Println(s + "!") }',
    "rust": (
        "use std::io::Read;\nfn main(){ let mut s = String::new();"
        ' std::io::stdin().read_to_string(&mut s).unwrap(); println!("{}!", s.trim()); }'
    ),
}


def test_every_language_has_an_image_definition_and_a_hello_program() -> None:
    defined = set(build_images.available_images())
    assert {lang.image for lang in LANGUAGES.values()} <= defined
    assert set(HELLO) == set(LANGUAGES)
    for image in defined:
        text = (build_images.IMAGES_DIR / image / "Dockerfile").read_text()
        suite = build_images.suite_for(image)
        assert f"ARG BASE=debian:{suite}-slim" in text and "FROM ${BASE}" in text


@pytest.fixture
def base_image() -> None:
    require_images(["python"])  # builds (or finds) the debootstrap base as well


@pytest.fixture
def scratch_definitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private images directory holding one tiny definition that needs no network to build."""
    (tmp_path / "scratchtest").mkdir()
    (tmp_path / "scratchtest" / "Dockerfile").write_text(
        "ARG BASE=debian:bookworm-slim\nFROM ${BASE}\nRUN echo one > /marker\n"
    )
    monkeypatch.setattr(build_images, "IMAGES_DIR", tmp_path)
    yield tmp_path / "scratchtest" / "Dockerfile"
    images = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", f"{build_images.PREFIX}scratchtest"],
        capture_output=True,
        text=True,
    ).stdout.split()
    subprocess.run(["docker", "rmi", "-f", *images], capture_output=True)


def test_definition_hash_follows_the_dockerfile(scratch_definitions: Path) -> None:
    first = build_images.definition_hash("scratchtest")
    assert build_images.definition_hash("scratchtest") == first
    scratch_definitions.write_text(scratch_definitions.read_text() + "RUN true\n")
    assert build_images.definition_hash("scratchtest") != first


@pytest.mark.docker
@pytest.mark.timeout(600)
def test_build_is_skipped_when_the_definition_hash_matches(
    base_image: None, scratch_definitions: Path
) -> None:
    log: list[str] = []
    tag = build_images.build_image("scratchtest", log=log.append)
    assert any(line.startswith("built ") for line in log)
    log.clear()
    assert build_images.build_image("scratchtest", log=log.append) == tag
    assert log == [f"{tag} is up to date"]  # and nothing built: the log names every build step it runs
    scratch_definitions.write_text(scratch_definitions.read_text().replace("one", "two"))
    log.clear()
    changed = build_images.build_image("scratchtest", log=log.append)
    assert any(line.startswith("built ") for line in log) and changed != tag
    for image in (changed, build_images.image_tag("scratchtest")):  # its own tag, and :latest moved
        marker = subprocess.run(
            ["docker", "run", "--rm", image, "cat", "/marker"], capture_output=True, text=True
        )
        assert marker.stdout == "two\n"
    first = subprocess.run(["docker", "run", "--rm", tag, "cat", "/marker"], capture_output=True, text=True)
    assert first.stdout == "one\n"  # another checkout's definition keeps its own image


def test_unknown_image_is_a_clear_error() -> None:
    with pytest.raises(build_images.BuildError, match="no image definition 'fortran'"):
        build_images.build_image("fortran", log=lambda _: None)


def test_command_line_needs_an_image_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_images.main([])
    assert "name at least one image" in capsys.readouterr().err


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def every_language() -> AsyncIterator[DockerSandbox]:
    require_docker()
    require_images(build_images.available_images())
    box = DockerSandbox(DockerConfig(pool_size=1, prewarm=()))
    await box.start()
    yield box
    await box.close()


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(1800)
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("language", sorted(HELLO))
async def test_every_language_runs_in_its_image(every_language: DockerSandbox, language: str) -> None:
    execution = await every_language.execute(language, HELLO[language], ["hello", "again"])
    assert execution.compile is None or execution.compile.status is Verdict.OK, execution.compile
    assert [r.stdout for r in execution.runs] == ["hello!\n", "again!\n"], execution.runs


# What current judges' toolchains accept and old ones refused (GNU C, C++20, Go >= 1.21, Rust >= 1.65),
# a Java class not called Main, and Node reading stdin's size (stdin is a regular file).
MODERN = {
    "c": (
        "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
        'int main(){char s[64]; scanf("%63s", s); char *t = strdup(s); typeof(M_PI) pi = M_PI;'
        ' printf("%s %.2f\\n", t, pi); free(t);}'
    ),
    "cpp": (
        "#include <bits/stdc++.h>\nint main(){ std::vector<int> v{3,1,2}; std::ranges::sort(v);"
        " std::set<int> s(v.begin(), v.end()); std::string w; std::cin >> w;"
        ' std::cout << w << " " << v[0] << s.contains(2) << "\\n"; }'
    ),
    "go": (
        'package main\nimport "fmt"\nfunc main(){ var s string; fmt.Scan(&s);'
        " fmt.Println(s, min(3, 1, 2), max(1.5, 2.5)) }"
    ),
    "rust": (
        "use std::io::Read;\nfn main(){ let mut s = String::new();"
        " std::io::stdin().read_to_string(&mut s).unwrap();"
        ' let Some(w) = s.split_whitespace().next() else { return; }; println!("{} {}", w, w.len()); }'
    ),
    "java": (
        "import java.util.Scanner;\npublic class Solution { public static void main(String[] a) {"
        ' System.out.println(new Scanner(System.in).next() + " solution"); } }'
    ),
    "javascript": (
        "const fs = require('fs'); const size = fs.fstatSync(0).size;"
        " const s = fs.readFileSync(0, 'utf8');"
        " console.log(s.trim() + ' ' + (size === Buffer.byteLength(s)));"
    ),
}
MODERN_OUT = {
    "c": "hello 3.14\n",
    "cpp": "hello 11\n",
    "go": "hello 1 2.5\n",
    "rust": "hello 5\n",
    "java": "hello solution\n",
    "javascript": "hello true\n",
}


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(1800)
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("language", sorted(MODERN))
async def test_current_toolchains_and_dialects(every_language: DockerSandbox, language: str) -> None:
    execution = await every_language.execute(language, MODERN[language], ["hello"])
    assert execution.compile is None or execution.compile.status is Verdict.OK, execution.compile
    assert [r.stdout for r in execution.runs] == [MODERN_OUT[language]], execution.runs


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(1800)
@pytest.mark.asyncio(loop_scope="module")
async def test_toolchain_versions_are_recorded_and_reported(every_language: DockerSandbox) -> None:
    versions = every_language.health()["toolchains"]
    assert set(versions) == set(LANGUAGES)
    numbers = {name: [int(n) for n in re.findall(r"\d+", line)[:2]] for name, line in versions.items()}
    assert numbers["go"] >= [1, 21] and numbers["rust"] >= [1, 65] and numbers["cpp"][0] >= 12
    assert versions["python"].startswith("Python 3.11")  # see IMAGE_SUITES for why not newer
    numpy = await every_language.execute(
        "python", "import numpy, sortedcontainers\nprint(numpy.arange(4).sum())"
    )
    assert numpy.runs[0].stdout == "6\n", numpy.runs[0]
