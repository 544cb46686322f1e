"""Workshop configurations, their tables of contents, the participants' pack and the
GitHub workflows (the sites themselves are opened in tests/test_site_browser.py)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import zipfile

import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
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
    workshop_toc,
)
from workshop_pack import make_pack

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
    configs = sorted((ROOT / "workshops").glob("*.yml"))
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
        ({"jupyterhub_url": "hub.example.org"}, "key 'jupyterhub_url'"),
    ],
)
def test_bad_configs_name_the_file_and_the_key(tmp_path, changes, message):
    path = write_config(tmp_path, **changes)
    with pytest.raises(WorkshopConfigError) as error:
        load_workshop(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


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
    assert everything.chapters == sorted(course_chapters()) == [1, 2, 3, 4, 5, 6]
    released = load_workshop(write_config(tmp_path, solutions_released=True, show_azure=True))
    toc, removed = workshop_toc(released, TOC)
    assert removed == [CONTRIBUTORS_PAGE]
    assert toc_pages(toc) == [page for page in toc_pages(TOC) if page != CONTRIBUTORS_PAGE]


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
    for version in ("3.10", "3.11", "3.12"):
        assert f"river-2027/requirements/constraints-py{version}.txt" in names
    assert "VCFML_AUTOML_BUDGET 90" in setup and "check-env" in setup
    assert mode & 0o111, "setup.sh is not executable"
    assert "Ada Lovelace" in readme and "15–16 March 2027" in readme


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
    assert "✅ Data: 8 files" in result.stdout, result.stdout + result.stderr
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


def test_github_workflows_publish_and_test():
    workflows = ROOT / ".github" / "workflows"
    pages = yaml.safe_load((workflows / "pages.yml").read_text())
    tests = yaml.safe_load((workflows / "tests.yml").read_text())
    # PyYAML reads the key `on` as True.
    assert pages[True]["push"]["branches"] == ["main"]
    assert "pull_request" in tests[True]
    build_steps = pages["jobs"]["build"]["steps"]
    commands = [step.get("run", "") for step in build_steps]
    assert "make book" in commands and "make site-check" in commands
    upload = next(s for s in build_steps if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    deploy = pages["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert any(step.get("run") == ".ci/run" for step in tests["jobs"]["test"]["steps"])
    for workflow in (pages, tests):
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert "@v" in step["uses"], f"{step['uses']} is not pinned to a version"
