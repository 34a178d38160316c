"""The project writer rewrites only changed files and removes only files it generated."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from microforge.export.includes import scan_includes
from microforge.export.writer import MANIFEST_NAME, ExportError, ProjectFiles


def _files(**contents: str) -> ProjectFiles:
    files = ProjectFiles()
    for name, text in contents.items():
        files.add_text(name.replace("__", "/"), text)
    return files


def _stamps(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): path.stat().st_mtime_ns
        for path in root.rglob("*")
        if path.is_file()
    }


def test_unchanged_regeneration_touches_nothing(tmp_path: Path) -> None:
    first = _files(a__b__c_txt="one", top_txt="two").write(tmp_path)
    assert [str(p) for p in first.written] == ["a/b/c_txt", "top_txt"]
    old = {name: stamp - 10**9 for name, stamp in _stamps(tmp_path).items()}
    for name, stamp in old.items():
        os.utime(tmp_path / name, ns=(stamp, stamp))
    again = _files(a__b__c_txt="one", top_txt="two").write(tmp_path)
    assert again.written == [] and again.removed == []
    assert _stamps(tmp_path) == old


def test_changed_file_is_rewritten_and_stale_file_removed(tmp_path: Path) -> None:
    _files(a__b__c_txt="one", top_txt="two").write(tmp_path)
    (tmp_path / "mine.txt").write_text("user file")
    report = _files(top_txt="three").write(tmp_path)
    assert [str(p) for p in report.written] == ["top_txt"]
    assert [str(p) for p in report.removed] == ["a/b/c_txt"]
    assert (tmp_path / "top_txt").read_text() == "three"
    assert not (tmp_path / "a").exists()
    assert (tmp_path / "mine.txt").read_text() == "user file"
    assert "top_txt" in (tmp_path / MANIFEST_NAME).read_text()


def test_edited_generated_file_is_restored(tmp_path: Path) -> None:
    _files(top_txt="two").write(tmp_path)
    (tmp_path / "top_txt").write_text("hand edit")
    report = _files(top_txt="two").write(tmp_path)
    assert [str(p) for p in report.written] == ["top_txt"]
    assert (tmp_path / "top_txt").read_text() == "two"


@pytest.mark.parametrize("bad", ["/abs/file", "../up", "a/../../b", ""])
def test_paths_outside_the_project_are_refused(bad: str) -> None:
    with pytest.raises(ExportError):
        ProjectFiles().add_text(bad, "x")


def test_conflicting_contents_for_one_path_are_refused() -> None:
    files = _files(x="1")
    files.add_text("x", "1")
    with pytest.raises(ExportError, match="same project path x"):
        files.add_text("x", "2")


def test_manifest_never_removes_outside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "prj"
    project.mkdir()
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    (project / MANIFEST_NAME).write_text("../keep.txt\n/etc/hostname\n")
    _files(a="1").write(project)
    assert outside.read_text() == "keep"


def test_zip_is_deterministic_and_lists_folders() -> None:
    first = _files(lib__src__a_c="int a;", lib__library_properties="name=x").to_zip()
    second = _files(lib__library_properties="name=x", lib__src__a_c="int a;").to_zip()
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["lib/", "lib/library_properties", "lib/src/", "lib/src/a_c"]


def test_include_scan_follows_quotes_and_search_path(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "inc" / "api.h").write_text('#include "detail/impl.h"\n#include <stdint.h>\n')
    (tmp_path / "inc" / "detail").mkdir()
    (tmp_path / "inc" / "detail" / "impl.h").write_text("#define X 1\n")
    (tmp_path / "src" / "local.h").write_text("")
    (tmp_path / "src" / "unused.h").write_text("")
    source = tmp_path / "src" / "a.c"
    source.write_text('#include "local.h"\n  #  include <api.h>\n#include "esp_log.h"\n')
    scan = scan_includes([source], [tmp_path / "inc"])
    assert scan.headers == {
        (tmp_path / "src" / "local.h").resolve(),
        (tmp_path / "inc" / "api.h").resolve(),
        (tmp_path / "inc" / "detail" / "impl.h").resolve(),
    }
    unresolved = {name for _, name in scan.unresolved}
    assert unresolved == {"stdint.h", "esp_log.h"}


def test_unwritable_destination_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="cannot write the project"):
        _files(a="1").write(blocker / "project")
    folder = tmp_path / "project"
    (folder / "a").mkdir(parents=True)
    with pytest.raises(ExportError, match="in the way of a generated file"):
        _files(a="1").write(folder)
