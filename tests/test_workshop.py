"""Workshop configurations, their tables of contents, the participants' pack and the
GitHub workflows (the sites themselves are opened in tests/test_site_browser.py)."""

from __future__ import annotations

import compileall
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from packaging.requirements import Requirement

sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from check_site import workshop_leaks
from course_site import exercise_minutes, reading_minutes
from workshop import (
    AZURE_PAGE,
    CONTRIBUTORS_PAGE,
    GUIDE_PAGE,
    INSTRUCTORS,
    WorkshopConfigError,
    course_chapters,
    load_workshop,
    main,
    toc_pages,
    workshop_config,
    workshop_files,
    workshop_toc,
)
from workshop_pack import TEST_SUITES, install_size, make_pack
from workshop_site import answer_notes, schedule, schedule_markdown

from exercises import solution_lines

EXAMPLE = ROOT / "workshops" / "example.yml"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def write_config(tmp_path, name="ws.yml", **changes):
    config = yaml.safe_load(EXAMPLE.read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


def test_every_committed_workshop_is_valid():
    configs = workshop_files()
    assert EXAMPLE in configs
    for path in configs:
        load_workshop(path)


def test_example_documents_every_key():
    from workshop import DatasetSettings, Workshop

    text = EXAMPLE.read_text()
    for key in [*Workshop.model_fields, *DatasetSettings.model_fields]:
        assert f"{key}:" in text, f"workshops/example.yml does not show the key {key}"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "unknown key 'colour'"),
        (
            {"solutions_relased": True},
            "unknown key 'solutions_relased' (did you mean 'solutions_released'?)",
        ),
        (
            {"dataset": {"seed": 3, "sampels": 200}},
            "unknown key 'dataset.sampels' (did you mean 'samples'?)",
        ),
        ({"start_date": "10/05/2027"}, "key 'start_date': expected a date as YYYY-MM-DD"),
        ({"title": None}, "missing required key 'title'"),
        ({"dataset": {"samples": 600}}, "missing required key 'dataset.seed'"),
        (
            {"dataset": {"seed": 0}},
            "key 'dataset.seed': Input should be greater than or equal to 1",
        ),
        ({"dataset": {"seed": 3, "sites": "many"}}, "key 'dataset.sites'"),
        ({"start_date": "next week"}, "key 'start_date'"),
        ({"end_date": "2027-03-01"}, "end_date is before start_date"),
        ({"chapters": [1, 9]}, "key 'chapters': no chapter [9]"),
        ({"chapters": [1, 1]}, "chapters lists a chapter twice"),
        ({"automl_budget": -5}, "key 'automl_budget'"),
        ({"solutions_released": "maybe"}, "key 'solutions_released'"),
        # A day that does not exist: one line, not PyYAML's traceback.
        (
            {"start_date": "2027-02-30"},
            "key 'start_date': 2027-02-30 is no date: day is out of range for month",
        ),
        ({"start_date": "2027-3-15"}, "key 'start_date': expected a date as YYYY-MM-DD"),
        # Strict types: no silent coercion of YAML's true, of "yes" or of 1.
        ({"automl_budget": True}, "key 'automl_budget': Input should be a valid number"),
        ({"automl_budget": 0.1}, "key 'automl_budget': Input should be greater than or equal to 5"),
        (
            {"solutions_released": "yes"},
            "key 'solutions_released': Input should be a valid boolean",
        ),
        ({"solutions_released": 1}, "key 'solutions_released': Input should be a valid boolean"),
        ({"show_azure": "no"}, "key 'show_azure': Input should be a valid boolean"),
        ({"dataset": {"seed": "4242"}}, "key 'dataset.seed': Input should be a valid integer"),
        ({"chapters": [1, "7"]}, "key 'chapters.1': Input should be a valid integer"),
        ({"chapters": [1, "finale"]}, "key 'chapters.1'"),
        ({"hours_per_day": 30}, "key 'hours_per_day'"),
        ({"publish": "true"}, "key 'publish': Input should be a valid boolean"),
        ({"jupyterhub_url": "hub.example.org"}, "key 'jupyterhub_url'"),
    ],
)
def test_bad_configs_name_the_file_and_the_key(tmp_path, changes, message):
    path = write_config(tmp_path, **changes)
    with pytest.raises(WorkshopConfigError) as error:
        load_workshop(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_the_capstone_is_chapter_8_by_number_or_name(tmp_path):
    by_name = load_workshop(write_config(tmp_path, chapters=[1, "capstone"]))
    by_number = load_workshop(write_config(tmp_path, chapters=[1, 8]))
    assert by_name.chapters == by_number.chapters == [1, 8]
    toc, removed = workshop_toc(by_name, TOC)
    assert "exercises/08_capstone" in toc_pages(toc) and "book/capstone" in toc_pages(toc)
    without = load_workshop(write_config(tmp_path, chapters=[1, 3]))
    toc, removed = workshop_toc(without, TOC)
    assert "book/capstone" in removed and "exercises/08_capstone" in removed
    # Chapter 7 (real genomes) and the capstone share the prefix 07 until the capstone's
    # notebook is renamed: each keeps its own notebooks.
    real = load_workshop(write_config(tmp_path, chapters=[7]))
    toc, removed = workshop_toc(real, TOC)
    assert "exercises/07_qc_decisions" in toc_pages(toc) and "book/capstone" in removed
    assert not any(page.endswith("_capstone") for page in toc_pages(toc))
    with pytest.raises(WorkshopConfigError, match="chapters lists a chapter twice"):
        load_workshop(write_config(tmp_path, chapters=[8, "capstone"]))
    with pytest.raises(WorkshopConfigError) as error:
        load_workshop(write_config(tmp_path, chapters=[1, 9]))
    assert "no chapter [9] in _toc.yml (the course has 1, 2, 3, 4, 5, 6, 7, 8 (capstone))" in str(
        error.value
    )


def test_chapter_notebooks_tell_chapter_7_from_the_capstone():
    from course_site import CAPSTONE_CHAPTER, chapter_notebooks

    real = [path.stem for path in chapter_notebooks(ROOT, 7)]
    capstone = [path.stem for path in chapter_notebooks(ROOT, CAPSTONE_CHAPTER)]
    assert real and all(stem.startswith("07_") for stem in real)
    assert capstone and all(stem.endswith("_capstone") for stem in capstone)
    assert not set(real) & set(capstone)


def test_a_yaml_date_that_does_not_exist_is_one_line_and_others_are_checked(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text(EXAMPLE.read_text().replace("start_date: 2027-03-15", "start_date: 2027-02-30"))
    good = write_config(tmp_path, "good.yml")
    assert main(["check", str(bad), str(good)]) == 1
    output = capsys.readouterr()
    assert output.err.splitlines()[0] == (
        f"error: {bad}: key 'start_date': 2027-02-30 is no date: day is out of range for month"
    )
    assert "Traceback" not in output.err and f"{good}: OK" in output.out


def test_the_ok_line_shows_the_parsed_values(tmp_path, capsys):
    path = write_config(
        tmp_path, "shown.yml", chapters=[1, "capstone"], automl_budget=30, solutions_released=True
    )
    assert main(["check", str(path)]) == 0
    line = capsys.readouterr().out
    assert "chapters 1, 8 (capstone)" in line and "AutoML budget 30 s" in line
    assert "dataset seed 2027 (600 samples x 1000 sites)" in line
    assert "solutions released" in line and "15–16 March 2027" in line
    assert "Azure page hidden" in line and "published by pages.yml: no" in line


def test_a_day_longer_than_its_hours_is_warned(tmp_path, capsys):
    one_day = write_config(
        tmp_path, "day.yml", end_date="2027-03-15", chapters=[1, 3, 4, 5, "capstone"]
    )
    assert main(["check", str(one_day)]) == 0  # a warning, not an error
    err = capsys.readouterr().err
    assert "warning: " in err and "Mon 15 Mar has" in err and "more than hours_per_day: 6" in err
    rows = schedule(load_workshop(one_day), ROOT)
    assert rows[-1]["number"] == 8 and rows[-1]["minutes"] > 0  # the capstone is scheduled
    total = sum(row["minutes"] for row in rows)
    assert total > 6 * 60
    text = schedule_markdown(rows, 6)
    assert "```{warning}" in text and f"({total / 60:.1f} h)" in text
    relaxed = write_config(
        tmp_path, "long.yml", end_date="2027-03-15", hours_per_day=12, chapters=[1, 3, 4, 5, 8]
    )
    assert main(["check", str(relaxed)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert "```{warning}" not in schedule_markdown(rows, 12)


def test_workshop_names_are_unique_across_yml_yaml_and_subfolders(tmp_path, capsys, monkeypatch):
    import workshop

    folder = tmp_path / "workshops"
    (folder / "2027").mkdir(parents=True)
    first = write_config(folder, "river.yml")
    second = write_config(folder, "river.yaml", title="Another")
    third = write_config(folder / "2027", "river.yml", title="A third")
    alone = write_config(folder, "lake.yaml")
    monkeypatch.setattr(workshop, "WORKSHOPS", folder)
    assert workshop.workshop_files(folder) == sorted([first, second, third, alone])
    assert main(["check"]) == 1  # no file named: every file in the folder, .yaml too
    output = capsys.readouterr()
    assert f"{alone}: OK" in output.out
    for path in (first, second, third):
        assert f"error: {path}: the workshop name 'river' is also the name of" in output.err
    assert "3 of 4 workshop files have problems" in output.err
    with pytest.raises(WorkshopConfigError, match="the workshop name 'river'"):
        workshop.stage(second, output_root=tmp_path / "out", execute=False)
    assert not (tmp_path / "out").exists()


def test_make_workshop_check_checks_every_file_the_tool_finds():
    dry = subprocess.run(
        ["make", "-n", "workshop-check"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert dry.stdout.rstrip().endswith("tools/workshop.py check")  # the tool's own glob


def test_config_errors_do_not_dump_the_config(tmp_path):
    path = write_config(tmp_path, end_date="2027-03-01", colour="red")
    with pytest.raises(WorkshopConfigError) as error:
        load_workshop(path)
    message = str(error.value)
    assert message.count("\n") == 0 and "{" not in message and "Ada" not in message
    assert "unknown key 'colour'" in message
    assert "did you mean" not in message  # nothing close to 'colour'


def test_check_reports_every_file_in_one_run(tmp_path, capsys):
    good = write_config(tmp_path, "good.yml")
    typo = write_config(tmp_path, "typo.yml", venu="x", venue=None)
    dates = write_config(tmp_path, "dates.yml", start_date="15.03.2027")
    assert main(["check", str(typo), str(good), str(dates)]) == 1
    output = capsys.readouterr()
    assert f"{good}: OK" in output.out
    assert f"{typo}: unknown key 'venu' (did you mean 'venue'?)" in output.err
    assert f"{dates}: key 'start_date': expected a date as YYYY-MM-DD" in output.err
    assert "2 of 3 workshop files have problems" in output.err
    assert main(["check", str(good)]) == 0


def test_unreadable_configs(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("title: [unclosed\n")
    with pytest.raises(WorkshopConfigError, match=r"broken\.yml: not valid YAML"):
        load_workshop(broken)
    listing = tmp_path / "list.yml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(WorkshopConfigError, match="expected a mapping"):
        load_workshop(listing)
    with pytest.raises(WorkshopConfigError, match="no such workshop file"):
        load_workshop(tmp_path / "absent.yml")


def test_cli_fails_fast_with_one_line(tmp_path, capsys):
    path = write_config(tmp_path, colour="red")
    assert main(["build", str(path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "unknown key 'colour'" in error
    assert "Traceback" not in error
    assert not (ROOT / "_build" / "workshops" / "ws").exists()


def test_toc_filters_chapters_solutions_and_azure(tmp_path):
    workshop = load_workshop(write_config(tmp_path, chapters=[1, 4]))
    toc, removed = workshop_toc(workshop, TOC)
    pages = toc_pages(toc)
    assert "book/01_vcf_basics/index" in pages and "book/04_experiments/running" in pages
    assert "book/setup" in pages and "book/glossary" in pages
    assert not any(page.startswith("solutions/") for page in pages)
    assert AZURE_PAGE not in pages and AZURE_PAGE in removed
    assert "book/02_simulation/index" in removed and "exercises/03_leakage" in removed
    assert set(pages).isdisjoint(removed)
    assert set(pages) | set(removed) == set(toc_pages(TOC))

    assert CONTRIBUTORS_PAGE in removed and CONTRIBUTORS_PAGE in toc_pages(TOC)

    everything = load_workshop(write_config(tmp_path, chapters=None))
    assert everything.chapters == sorted(course_chapters()) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert course_chapters()[8]["file"] == "book/capstone"  # the capstone is 8
    assert course_chapters()[7]["file"] == "book/07_real_genomes/index"
    released = load_workshop(write_config(tmp_path, solutions_released=True, show_azure=True))
    toc, removed = workshop_toc(released, TOC)
    kit = ["book/instructors/index", "book/instructors/notes"]
    assert sorted(removed) == sorted([CONTRIBUTORS_PAGE, *kit])
    assert toc_pages(toc) == [page for page in toc_pages(TOC) if page not in removed]


def test_instructors_get_every_solution_and_their_guide(tmp_path):
    workshop = load_workshop(write_config(tmp_path, chapters=[1, 4], solutions_released=False))
    toc, removed = workshop_toc(workshop, TOC, INSTRUCTORS)
    pages = toc_pages(toc)
    assert "solutions/04_run_and_evaluate" in pages and "solutions/01_genotypes_to_dosages" in pages
    assert pages[-1] == GUIDE_PAGE and CONTRIBUTORS_PAGE in pages
    assert "book/02_simulation/index" in removed
    assert all(p[10:12] not in ("01", "04") for p in removed if p.startswith("solutions/"))


def test_instructor_pages_are_left_out_of_participants_sites(tmp_path):
    toc = copy.deepcopy(TOC)
    chapter = course_chapters(toc)[1]
    chapter["sections"].append({"file": "book/01_vcf_basics/instructor_notes"})
    workshop = load_workshop(write_config(tmp_path, chapters=[1], solutions_released=True))
    participants, removed = workshop_toc(workshop, toc)
    assert "book/01_vcf_basics/instructor_notes" in removed
    assert "book/01_vcf_basics/instructor_notes" not in toc_pages(participants)
    instructors, _ = workshop_toc(workshop, toc, INSTRUCTORS)
    assert "book/01_vcf_basics/instructor_notes" in toc_pages(instructors)
    # The course's own instructor kit lives in a folder of its own.
    kit = [page for page in toc_pages(toc) if page.startswith("book/instructors/")]
    assert kit, "the course's _toc.yml lists the instructor kit under book/instructors/"
    assert not set(kit) & set(toc_pages(participants))
    assert set(kit) <= set(toc_pages(instructors))


def test_workshop_site_links_no_repository_and_launches_nothing(tmp_path):
    hub = load_workshop(write_config(tmp_path, jupyterhub_url="https://hub.example.org"))
    course_config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert course_config["html"]["use_repository_button"]  # the course site does
    config = workshop_config(hub, course_config, [])
    assert not config["html"]["use_repository_button"]
    assert not config["html"]["use_issues_button"]
    buttons = config["launch_buttons"]
    assert not buttons.get("binderhub_url") and not buttons.get("jupyterhub_url")
    assert "solutions/*" in config["execute"]["exclude_patterns"]  # executed when staged
    substitutions = config["parse"]["myst_substitutions"]
    assert "60 seconds" in substitutions["automl_budget"]
    assert "VCFML_AUTOML_BUDGET=60" in substitutions["automl_budget"]


def test_pack_holds_what_participants_need(tmp_path):
    path = write_config(tmp_path, "river-2027.yml", chapters=[1, 2], automl_budget=90)
    archive = make_pack(path, output_root=tmp_path / "out")
    assert archive.name == "river-2027-pack.zip"
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        setup = zipped.read("river-2027/setup.sh").decode()
        readme = zipped.read("river-2027/README.md").decode()
        mode = zipped.getinfo("river-2027/setup.sh").external_attr >> 16
    assert "river-2027/exercises/01_genotypes_to_dosages.ipynb" in names
    assert not any("exercises/03_" in name for name in names)
    assert not any("solutions" in name for name in names)
    assert "river-2027/data/SHA256SUMS" in names
    assert "river-2027/data/liability/cohort.vcf.gz" in names
    assert any(name.startswith("river-2027/wheels/vcfml-") for name in names)
    for version in ("3.10", "3.11", "3.12", "3.13", "3.14"):
        assert f"river-2027/requirements/constraints-py{version}.txt" in names
    assert not any("azure" in name or name.endswith("Makefile") for name in names)
    assert "VCFML_AUTOML_BUDGET 90" in setup and "check-env" in setup
    assert "--name vcfml" in setup and "[notebook,scale]" in setup
    # The lean install: no build tools, no bytecode for packages' own test suites.
    assert "pip setuptools wheel" not in setup and "--no-compile" in setup
    assert f"compileall -qq -j 0 -x '{TEST_SUITES}'" in setup
    assert mode & 0o111, "setup.sh is not executable"
    assert "Ada Lovelace" in readme and "15–16 March 2027" in readme
    # How to start, how to check the machine as it is in the pack, which kernel.
    assert "bash setup.sh" in readme and "jupyter lab exercises/" in readme
    check = (
        ".venv/bin/vcfml check-env --data data --constraints requirements/constraints-py3.11.txt"
    )
    assert check in readme and "make " not in readme
    assert "**Python (vcfml)**" in readme and "90 seconds" in readme
    # The install size as benchmarks/install_size.py last recorded it.
    assert f"({install_size()})" in readme and "measured: about" in readme
    assert re.search(r"about \d[\d,]* MiB \(\d\.\d\d GB\) installed, a \d+ MiB download", readme)
    assert "du -sh .venv" in readme  # how it compares with what a participant measures
    assert "Chapters: 1, 2. " in readme  # no capstone in this pack
    # The pack's workshop.yml: the parsed values, none of the instructors' comments.
    settings = yaml.safe_load(zipped_text(archive, "river-2027/workshop.yml"))
    assert settings["automl_budget"] == 90 and settings["chapters"] == [1, 2]
    assert "Optional" not in zipped_text(archive, "river-2027/workshop.yml")
    assert "publish" not in settings


def zipped_text(archive, name):
    with zipfile.ZipFile(archive) as zipped:
        return zipped.read(name).decode()


def test_pack_readme_names_the_capstone():
    from workshop_pack import chapter_names

    assert chapter_names([1, 3, 4, 5, 7, 8]) == "1, 3, 4, 5, 7 and the capstone"
    assert chapter_names([8]) == "the capstone"
    assert chapter_names([1, 2]) == "1, 2"


def test_pack_setup_compiles_all_but_the_test_suites_inside_packages(tmp_path):
    """setup.sh's compileall pattern: bytecode for every module a participant may
    import, none for pandas/tests and the like, even when the pack itself was
    unpacked into a folder called tests."""
    site = tmp_path / "tests" / "pack" / ".venv" / "lib" / "python3.11" / "site-packages"
    modules = {
        "pkg/__init__.py": True,
        "pkg/core.py": True,
        "pkg/testing/helpers.py": True,  # numpy.testing: imported by libraries
        "pkg/tests/test_core.py": False,
        "pkg/sub/test/test_sub.py": False,
        "tests_helper.py": True,
    }
    for name in modules:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("VALUE = 1\n")
    assert compileall.compile_dir(site, quiet=2, rx=re.compile(TEST_SUITES))
    for name, compiled in modules.items():
        path = site / name
        pyc = list((path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"))
        assert bool(pyc) == compiled, name


def test_pack_notebooks_open_with_the_kernel_that_sets_the_budget(tmp_path):
    path = write_config(tmp_path, "kernel.yml", chapters=[1])
    archive = make_pack(path, output_root=tmp_path / "out")
    with zipfile.ZipFile(archive) as zipped:
        setup = zipped.read("kernel/setup.sh").decode()
        notebooks = [n for n in zipped.namelist() if n.endswith(".ipynb")]
        specs = [json.loads(zipped.read(n))["metadata"]["kernelspec"] for n in notebooks]
    assert notebooks and all(spec["name"] == "vcfml" for spec in specs)
    assert all(spec["display_name"] == "Python (vcfml)" for spec in specs)
    assert 'ipykernel install --user --name vcfml \\\n  --display-name "Python (vcfml)"' in setup
    # The course's own notebooks are unchanged.
    committed = json.loads((ROOT / "exercises" / "01_genotypes_to_dosages.ipynb").read_text())
    assert committed["metadata"]["kernelspec"]["name"] == "python3"


def test_pack_setup_script_refuses_a_python_it_has_no_pins_for(tmp_path):
    path = write_config(tmp_path, "py.yml", chapters=[1])
    archive = make_pack(path, output_root=tmp_path / "out")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path / "unpacked")
    setup = tmp_path / "unpacked" / "py" / "setup.sh"
    missing = subprocess.run(
        ["bash", str(setup)],
        env={**os.environ, "PYTHON": "python3.99"},
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "No 'python3.99' here" in missing.stderr
    assert "install Python 3.10 to 3.14" in missing.stderr and "Traceback" not in missing.stderr
    assert "Python Python" not in missing.stderr
    fake = tmp_path / "python-2.7"
    fake.write_text("#!/bin/sh\necho 2.7\n")
    fake.chmod(0o755)
    old = subprocess.run(
        ["bash", str(setup)],
        env={**os.environ, "PYTHON": str(fake)},
        capture_output=True,
        text=True,
    )
    assert old.returncode == 1 and "Python 2.7 has no pinned packages here" in old.stderr
    assert not (setup.parent / ".venv").exists()


def test_pack_data_passes_its_own_check(tmp_path):
    path = write_config(tmp_path, "lake.yml", chapters=[1])
    archive = make_pack(path, output_root=tmp_path / "out")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path / "unpacked")
    data = tmp_path / "unpacked" / "lake" / "data"
    result = subprocess.run(
        [sys.executable, "-m", "vcfml.cli", "check-env", "--data", str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    files = len((data / "SHA256SUMS").read_text().splitlines())
    assert files >= 8  # every dataset in data/datasets.yml, with its VCF index
    assert f"✅ Data: {files} files" in result.stdout, result.stdout + result.stderr
    default = (ROOT / "data" / "SHA256SUMS").read_text()
    assert (data / "SHA256SUMS").read_text() != default  # the workshop's own data


def test_make_builds_a_workshop_with_the_workshop_variable():
    result = subprocess.run(
        ["make", "-n", "book", "WORKSHOP=workshops/example.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "tools/workshop.py build workshops/example.yml" in result.stdout
    default = subprocess.run(["make", "-n", "book"], cwd=ROOT, capture_output=True, text=True)
    assert "tools/build_book.py" in default.stdout


def test_github_workflows_publish_once_with_least_permissions():
    """One Pages deployment (pages.yml, through make publish); no other workflow deploys,
    and only the deploy job may write to Pages or mint an OIDC token."""
    workflows = ROOT / ".github" / "workflows"
    loaded = {path.name: yaml.safe_load(path.read_text()) for path in workflows.glob("*.yml")}
    pages, tests = loaded["pages.yml"], loaded["tests.yml"]
    # PyYAML reads the key `on` as True.
    assert pages[True]["push"]["branches"] == ["main"]
    assert "pull_request" in tests[True]
    assert pages["permissions"] == {}
    build_job, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert build_job["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    commands = [step.get("run", "") for step in build_job["steps"]]
    assert "make workshop-check" in commands and "make publish" in commands
    upload = next(s for s in build_job["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    from publish import OUTPUT

    assert upload["with"]["path"] == OUTPUT.relative_to(ROOT).as_posix()
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])
    for name, workflow in loaded.items():
        if name != "pages.yml":
            text = (workflows / name).read_text()
            assert "deploy-pages" not in text and "upload-pages-artifact" not in text, name
            assert "pages: write" not in text and "id-token" not in text, name
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert "@v" in step["uses"], f"{step['uses']} is not pinned to a version"
    assert any(step.get("run") == ".ci/run" for step in tests["jobs"]["test"]["steps"])
    make = subprocess.run(["make", "-n", "publish"], cwd=ROOT, capture_output=True, text=True)
    assert "tools/publish.py build --site-check" in make.stdout


def test_workshop_preview_handles_yaml_names():
    preview = (ROOT / ".github" / "workflows" / "workshop-preview.yml").read_text()
    step = next(
        s["run"] for s in yaml.safe_load(preview)["jobs"]["build"]["steps"] if s.get("id") == "site"
    )
    for given, name in (("workshops/a.yml", "a"), ("workshops/2027/b.yaml", "b")):
        result = subprocess.run(
            ["bash", "-c", step.replace('>> "$GITHUB_OUTPUT"', "")],
            env={**os.environ, "WORKSHOP": given},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == f"path=_build/workshops/{name}/_build"


def test_instructors_build_from_a_relative_path_on_the_command_line(tmp_path, monkeypatch):
    """``make workshop-guide WORKSHOP=workshops/NAME.yml`` passes a relative path: the
    guide names it (F2 crashed there after executing every solution). jupyter-book
    and the execution are stood in for; the guide page is really written."""
    import workshop

    monkeypatch.setattr(workshop, "build", fake_jupyter_book)
    monkeypatch.setattr(workshop, "execute_notebook", lambda path: None)
    folder = tmp_path / "checkout"
    (folder / "workshops").mkdir(parents=True)
    write_config(folder / "workshops", "rel-2027.yml", chapters=[1])
    monkeypatch.chdir(folder)
    assert main(["build", "workshops/rel-2027.yml", "--instructors", "--output-root", "out"]) == 0
    guide = folder / "out" / "instructors" / "rel-2027" / "source" / f"{GUIDE_PAGE}.md"
    text = guide.read_text()
    assert "python tools/workshop.py build workshops/rel-2027.yml --instructors" in text
    assert "make book WORKSHOP=workshops/rel-2027.yml" in text
    # Built outside the participants' folder, with the pack its set-up page links.
    site = folder / "out" / "instructors" / "rel-2027" / "_build" / "html"
    assert (site / "rel-2027-pack.zip").is_file()
    assert not (folder / "out" / "workshops").exists()
    from workshop import shown_path

    monkeypatch.chdir(ROOT)
    assert shown_path(Path("workshops/example.yml")) == Path("workshops/example.yml")
    assert shown_path(EXAMPLE) == Path("workshops/example.yml")


def test_participants_read_what_the_pack_has(tmp_path):
    """No `make` in what they need, the pack's check command in exercise 1.1, no Azure
    workspace in the intro when the Azure page is hidden."""
    import nbformat
    from workshop import StagedWorkshop
    from workshop_site import participants_pages

    source = tmp_path / "source"
    shutil.copytree(ROOT / "book", source / "book", ignore=shutil.ignore_patterns("_ext"))
    (source / "exercises").mkdir()
    shutil.copy2(ROOT / "exercises" / "01_genotypes_to_dosages.ipynb", source / "exercises")
    workshop = load_workshop(write_config(tmp_path, chapters=[1], show_azure=False))
    staged = StagedWorkshop("ws", source, tmp_path / "out", workshop)
    participants_pages(staged)
    intro = (source / "book" / "intro.md").read_text()
    what = intro.split("## What you need")[1].split("## ")[0]
    assert "make" not in what and "Python 3.10 or newer" in what and "Azure" not in what
    notebook = nbformat.read(source / "exercises" / "01_genotypes_to_dosages.ipynb", 4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "make check-env" not in text and ".venv/bin/vcfml check-env --data data" in text
    assert "make check-env" in (ROOT / "exercises" / "01_genotypes_to_dosages.ipynb").read_text()


BLOCK_FLAML_AUTOML = """
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "flaml.automl" or name.startswith("flaml.automl."):
            raise ImportError(name + " (as without flaml[automl], in a workshop pack)")
sys.meta_path.insert(0, Block())
importlib.import_module(sys.argv[1])
"""


@pytest.mark.parametrize("module", ["vcfml.automl.search", "vcfml.automl.estimators"])
def test_no_flaml_warning_where_flaml_automl_is_missing(module):
    """The pack installs flaml without [automl]; `import flaml` then warns "Please install
    flaml[automl]". vcfml's import must not show it (it is an error here, -W error)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-W", "error::UserWarning", "-c", BLOCK_FLAML_AUTOML]
    plain = subprocess.run([*command, "flaml"], env=env, capture_output=True, text=True)
    assert plain.returncode != 0 and "flaml.automl is not available" in plain.stderr
    quiet = subprocess.run([*command, module], env=env, capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    assert "flaml.automl is not available" not in quiet.stderr


def test_pack_check_flags_what_a_participant_would_see():
    import nbformat
    from workshop_pack_check import notebook_problems

    cell = nbformat.v4.new_code_cell("from vcfml.automl import run_automl")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text="…/flaml/__init__.py:20: UserWarning: flaml.automl is"
        )
    ]
    blank = nbformat.v4.new_code_cell("answer()")
    blank.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="")]
    broken = nbformat.v4.new_code_cell("import x")
    broken.outputs = [nbformat.v4.new_output("error", ename="ImportError", evalue="no x")]
    fine = nbformat.v4.new_code_cell("print(1)")
    fine.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✅ Exercise 1.1\n")]
    notebook = nbformat.v4.new_notebook(cells=[cell, blank, broken, fine])
    problems = notebook_problems(notebook, "ex.ipynb")
    assert len(problems) == 2
    assert problems[0].startswith("ex.ipynb cell 0: prints") and "UserWarning" in problems[0]
    assert problems[1] == "ex.ipynb cell 2: ImportError: no x"


def fake_jupyter_book(source, output, echo=True):
    """Stands in for jupyter-book: writes a page per table-of-contents entry and the
    search index, and, like jupyter-book, never deletes what an earlier build left."""
    from build_book import BookBuild

    html = output / "_build" / "html"
    toc = yaml.safe_load((source / "_toc.yml").read_text())
    pages = toc_pages(toc)
    for page in pages:
        (html / f"{page}.html").parent.mkdir(parents=True, exist_ok=True)
        (html / f"{page}.html").write_text(f"<html><body>{page}</body></html>")
        suffix = ".ipynb" if page.startswith(("exercises/", "solutions/")) else ".md"
        (html / "_sources" / f"{page}{suffix}").parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / f"{page}{suffix}", html / "_sources" / f"{page}{suffix}")
    (html / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html">')
    for page in pages:  # Sphinx keeps every page's parsed tree beside the site
        doctree = output / "_build" / ".doctrees" / f"{page}.doctree"
        doctree.parent.mkdir(parents=True, exist_ok=True)
        doctree.write_text(page)
    (html / "searchindex.js").write_text(f"Search.setIndex({json.dumps({'docnames': pages})})")
    return BookBuild(html=html, log="", problems=[])


def test_released_then_unreleased_leaves_no_solution_behind(tmp_path, monkeypatch):
    import workshop

    monkeypatch.setattr(workshop, "build", fake_jupyter_book)
    executed = []
    monkeypatch.setattr(workshop, "execute_notebook", executed.append)
    released = write_config(tmp_path, "seq.yml", chapters=[1], solutions_released=True)
    staged, result = workshop.build_workshop(released, output_root=tmp_path / "out", echo=False)
    assert result.ok, result.problems
    assert (staged.html / "solutions" / "01_genotypes_to_dosages.html").exists()
    assert [path.name for path in executed] == [
        "01_frequencies_and_missingness.ipynb",
        "01_genotypes_to_dosages.ipynb",
        "01_plink2_bcftools.ipynb",
    ]  # executed on the workshop's data before the site and the pack are made
    with zipfile.ZipFile(staged.html / "seq-pack.zip") as zipped:
        assert "seq/solutions/01_genotypes_to_dosages.ipynb" in zipped.namelist()

    withdrawn = write_config(tmp_path, "seq.yml", chapters=[1], solutions_released=False)
    staged, result = workshop.build_workshop(withdrawn, output_root=tmp_path / "out", echo=False)
    assert result.ok, result.problems
    assert not list(staged.html.rglob("*solutions*"))
    # Nothing anywhere in the participants' build folder: no doctree, no empty folder,
    # no instructors' notes or contributors' page in the staged source.
    assert not [path for path in staged.output.rglob("*") if "solutions" in path.parts]
    assert not list(staged.source.rglob("instructors*")) and staged.source.joinpath("book").is_dir()
    assert not (staged.source / f"{CONTRIBUTORS_PAGE}.md").exists()
    assert not list(staged.output.rglob("*solution*.doctree"))
    assert "solutions/" not in (staged.html / "searchindex.js").read_text()
    with zipfile.ZipFile(staged.html / "seq-pack.zip") as zipped:
        assert not any("solutions" in name for name in zipped.namelist())

    # A build that did not start from an empty folder fails on what it left.
    stale = staged.html / "solutions" / "01_genotypes_to_dosages.html"
    stale.parent.mkdir()
    stale.write_text("<p>answer</p>")
    problems = workshop.stale_pages(staged) + workshop_leaks(staged.html, staged.workshop)
    assert "stale page: solutions/01_genotypes_to_dosages.html" in problems
    assert "solution file served: solutions/01_genotypes_to_dosages.html" in problems


def test_workshop_leaks_finds_every_kind_of_solution_file(tmp_path):
    site = tmp_path / "html"
    (site / "_sources" / "solutions").mkdir(parents=True)
    (site / "_sources" / "solutions" / "01_genotypes_to_dosages.ipynb").write_text("{}")
    docnames = ["book/intro", "solutions/01_genotypes_to_dosages"]
    (site / "searchindex.js").write_text(f"Search.setIndex({json.dumps({'docnames': docnames})})")
    with zipfile.ZipFile(site / "ws-pack.zip", "w") as zipped:
        zipped.writestr("ws/solutions/01_genotypes_to_dosages.ipynb", "{}")
        zipped.writestr("ws/exercises/01_genotypes_to_dosages.ipynb", "{}")
    unreleased = load_workshop(write_config(tmp_path, solutions_released=False))
    problems = "\n".join(workshop_leaks(site, unreleased))
    assert "solution file served: _sources/solutions/01_genotypes_to_dosages.ipynb" in problems
    assert "search index lists the solution page solutions/01_genotypes_to_dosages" in problems
    assert "ws-pack.zip holds solutions: ws/solutions/01_genotypes_to_dosages.ipynb" in problems
    released = load_workshop(write_config(tmp_path, solutions_released=True))
    assert workshop_leaks(site, released) == []


def test_a_line_the_exercise_shows_is_not_a_leak(tmp_path):
    site = tmp_path / "html"
    (site / "_sources" / "exercises").mkdir(parents=True)
    shown = "probability = result.model.predict_proba(test)[:, 1]"
    (site / "_sources" / "exercises" / "04_run_and_evaluate.ipynb").write_text(shown)
    unreleased = load_workshop(write_config(tmp_path, solutions_released=False))
    assert workshop_leaks(site, unreleased) == []
    import nbformat

    notebook = nbformat.read(ROOT / "solutions" / "04_run_and_evaluate.ipynb", as_version=4)
    secret = next(
        line for cell in notebook.cells for line in solution_lines(cell.source) if len(line) > 20
    )
    (site / "exercises.html").write_text(secret)
    assert workshop_leaks(site, unreleased)


def test_schedule_adds_up_from_the_notebooks(tmp_path):
    workshop = load_workshop(write_config(tmp_path, chapters=[1, 2, 4, 5]))
    rows = schedule(workshop, ROOT)
    assert [row["number"] for row in rows] == [1, 2, 4, 5]
    for row in rows:
        assert row["exercises"], f"chapter {row['number']} has no exercise"
        assert all(minutes for _, minutes in row["exercises"]), row["exercises"]
        assert row["minutes"] == row["reading"] + sum(m for _, m in row["exercises"])
        page = ROOT / course_chapters()[row["number"]]["file"]
        assert row["reading"] == reading_minutes(page.with_suffix(".md")) > 0
    days = [row["day"] for row in rows]
    assert days == sorted(days) and days[0] == workshop.start_date
    assert days[-1] == workshop.end_date  # a two-day workshop uses both days
    text = schedule_markdown(rows)
    total = sum(row["minutes"] for row in rows)
    name, minutes = rows[0]["exercises"][0]
    assert f"**{total}**" in text and f"{name} ({minutes} min)" in text


def test_every_chapter_page_states_its_time_from_the_notebooks():
    """The chapter page says {chapter-time}`N` (reading); the exercise minutes are summed
    by book/_ext from each notebook, so page, notebooks and schedule cannot disagree."""
    for number, chapter in course_chapters().items():
        page = (ROOT / chapter["file"]).with_suffix(".md")
        if number == 8:  # the capstone: its notebook's time only ({chapter-total}`8`)
            assert exercise_minutes(ROOT, 8) and "{chapter-total}`8`" in page.read_text()
            continue
        assert reading_minutes(page), f"{page} has no {{chapter-time}}`N` line"
        assert "minutes (" not in page.read_text(), f"{page} still hard-codes its time"
        for stem, minutes in exercise_minutes(ROOT, number):
            assert minutes, f"exercises/{stem}.ipynb has no '*Time: about N minutes.*' line"


def test_answer_notes_show_what_each_solution_prints(tmp_path):
    import nbformat

    (tmp_path / "solutions").mkdir()
    cell = nbformat.v4.new_code_cell("check.exercise_9_1(answer)\nmore")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="✅ Exercise 9.1: correct. 0.731\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
    ]
    table = nbformat.v4.new_code_cell("frame")
    table.outputs = [
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": "\n".join(f"row {i}" for i in range(20))}
        )
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell, table, nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(notebook, tmp_path / "solutions" / "09_demo.ipynb")
    notes = answer_notes(tmp_path)
    assert "### 09_demo" in notes and "[](../solutions/09_demo.ipynb)" in notes
    assert "`check.exercise_9_1(answer)`" in notes and "correct. 0.731" in notes
    assert "a warning" not in notes and "x = 1" not in notes
    assert "row 7" in notes and "row 8" not in notes and "(12 more lines)" in notes


def test_the_default_budget_is_stated_once():
    from vcfml.automl.settings import COURSE_TRIALS
    from vcfml.settings import DEFAULT_BUDGET_SECONDS

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    statement = config["parse"]["myst_substitutions"]["automl_budget"]
    assert f"fixed {COURSE_TRIALS} trials" in statement
    assert f"for {DEFAULT_BUDGET_SECONDS:g} seconds" in statement
    assert "{{ automl_budget }}" in (ROOT / "book" / "exercises_howto.md").read_text()
    pages = [*ROOT.glob("book/**/*.md"), ROOT / "README.md"]
    for page in pages:
        text = page.read_text()
        assert f"{COURSE_TRIALS} trials" not in text, f"{page} states the default budget again"
        assert "default 10" not in text and "default: 10" not in text, page


def test_make_knows_the_workshop_for_site_check_and_says_which_pythons():
    result = subprocess.run(
        ["make", "-n", "site-check", "WORKSHOP=workshops/example.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (
        "tools/check_site.py _build/workshops/example/_build/html --workshop workshops/example.yml"
        in result.stdout
    )
    help_text = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    from pin_requirements import PARTICIPANTS_ONLY, PYTHONS

    pinned = [version for version in PYTHONS if version not in PARTICIPANTS_ONLY]
    assert f"Pinned Pythons: {' '.join(pinned)} " in help_text
    assert all(f"{version} for workshop packs only" in help_text for version in PARTICIPANTS_ONLY)
    files = {path.name for path in (ROOT / "requirements").glob("constraints-py*.txt")}
    assert files == {f"constraints-py{version}.txt" for version in PYTHONS}


def test_a_python_that_does_not_exist_gets_one_clear_line(tmp_path):
    result = subprocess.run(
        ["make", "install", "PYTHON=python3.99", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "PYTHON=python3.99 does not run here" in result.stdout
    assert "pyenv" not in result.stdout + result.stderr and "127" not in result.stderr
    assert not (tmp_path / "venv").exists()


def test_participants_install_nothing_for_tests_gpus_or_xgboost():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    participants = [*project["dependencies"], *extras["notebook"], *extras["scale"]]
    names = {Requirement(text).name.lower() for text in participants}
    assert not names & {"xgboost", "playwright", "pytest", "ruff", "jupyter-book", "nbval"}
    assert "mlflow" not in names  # its server stack is 370 MiB no notebook uses (tracking)
    assert [Requirement(t).name for t in extras["tracking"]] == ["mlflow"]
    # Bokeh (the interactive explanation view) is the view extra, left out of packs:
    # right only while no notebook that packs hold (exercises, released solutions) draws it.
    assert "bokeh" not in names and [Requirement(t).name for t in extras["view"]] == ["bokeh"]
    for notebook in [*ROOT.glob("exercises/*.ipynb"), *ROOT.glob("solutions/*.ipynb")]:
        assert "explain_view" not in notebook.read_text(), notebook
    flaml = next(Requirement(t) for t in participants if Requirement(t).name.lower() == "flaml")
    assert not flaml.extras, "flaml[automl] brings xgboost and NVIDIA's NCCL"
    # ... which is right only while the library uses no flaml.automl.
    for path in (ROOT / "src").rglob("*.py"):
        text = path.read_text()
        assert "flaml.automl" not in text and "from flaml import AutoML" not in text, path


def test_a_workshop_that_teaches_chapter_7_gets_the_real_genomes(tmp_path):
    """The HapMap 3 files are copied as committed (no workshop seed makes real people),
    and the pack's SHA256SUMS covers them; a workshop without chapter 7 has none."""
    from workshop import copy_real_data, stage

    staged = stage(
        write_config(tmp_path, "real.yml", chapters=[7]), tmp_path / "out", execute=False
    )
    data = staged.source / "data"
    for name in ("hapmap3.vcf.gz", "hapmap3.vcf.gz.tbi", "samples.tsv", "source/PROVENANCE.md"):
        committed = (ROOT / "data" / "hapmap3" / name).read_bytes()
        assert (data / "hapmap3" / name).read_bytes() == committed, name
    assert "  hapmap3/hapmap3.vcf.gz\n" in (data / "SHA256SUMS").read_text()
    without = load_workshop(write_config(tmp_path, "simulated.yml", chapters=[1, 8]))
    copy_real_data(without, tmp_path / "data")
    assert not (tmp_path / "data").exists()
