"""The compiled catalog cache, filters, tool names and search, and curated tools beside imported."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from support.credentials import TWILIO_ENV
from support.files import DATA, SHARED_OAI
from support.payments import DEFAULT_TOOLS, STATUS_TOOL, UPDATE_TOOL, WAIT_TOOL, update_arguments
from support.servers import RecordingServer
from support.specs import IMPORTED_PAYMENTS

from ocp_twilio import (
    AmbiguousToolName,
    ConfigurationError,
    InvalidArguments,
    OCPAgent,
    SpecError,
    ToolNotFound,
)
from ocp_twilio.specs.model import packaged_schemas_dir
from ocp_twilio.specs.sources import load_operations, synced_specs_dir

FIXTURES = DATA / "openapi"


def test_catalog_is_cached_by_content_and_read_back_equal(tmp_path: Path) -> None:
    source = tmp_path / "specs"
    shutil.copytree(FIXTURES, source)
    cache = tmp_path / "cache"
    cold = load_operations([source], cache_dir=cache)
    [entry] = (cache / "catalog").iterdir()
    warm = load_operations([source], cache_dir=cache)
    assert warm == cold
    assert list((cache / "catalog").iterdir()) == [entry]

    changed = source / "twilio_other_v1.json"
    document = json.loads(changed.read_text())
    document["paths"]["/v1/Alarms/{Sid}"]["get"]["description"] = "Changed."
    changed.write_text(json.dumps(document))
    reloaded = load_operations([source], cache_dir=cache)
    assert {op.description for op in reloaded if op.service == "other_v1"} == {"Changed."}
    assert len(list((cache / "catalog").iterdir())) == 2


def test_an_unreadable_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = load_operations([FIXTURES], cache_dir=cache)
    [entry] = (cache / "catalog").iterdir()
    entry.write_bytes(b"not a catalog")
    assert load_operations([FIXTURES], cache_dir=cache) == expected


async def test_tool_names_are_qualified_unique_and_short_names_work_when_unambiguous() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", spec=FIXTURES, environ=TWILIO_ENV)
        names = [t.name for t in agent.list_tools()]
        assert len(names) == len(set(names))
        assert all(len(n) <= 64 and n.replace("_", "").replace("-", "").isalnum() for n in names)
        assert agent.get_tool("createWidget").name == "fixture_v1__createWidget"
        assert agent.get_tool("fixture_v1__createWidget") is agent.get_tool("createWidget")
        long_name = agent.get_tool("fetchAnExtremelyLongOperationNameThatExceedsTheToolNameLimit")
        assert len(long_name.name) == 64 and long_name.name.startswith("fixture_v1__fetchAn")

        with pytest.raises(AmbiguousToolName) as caught:
            agent.get_tool("fetchAlarm")
        assert caught.value.suggestions == ("fixture_v1__fetchAlarm", "other_v1__fetchAlarm")
        assert "use one of: fixture_v1__fetchAlarm, other_v1__fetchAlarm" in str(caught.value)
        assert agent.get_tool("other_v1__fetchAlarm").spec.server == "https://other.twilio.com"
        with pytest.raises(ToolNotFound, match=r"Did you mean: .*createWidget"):
            agent.get_tool("createWidgt")


async def test_services_and_tags_filters() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", spec=FIXTURES, services=["other_v1"], environ=TWILIO_ENV)
        assert [t.name for t in agent.list_tools()] == ["other_v1__fetchAlarm"]
        assert agent.get_tool("fetchAlarm").name == "other_v1__fetchAlarm"  # no longer ambiguous

        await agent.register_api(
            "twilio", spec=FIXTURES, tags=["fixturev1widget"], environ=TWILIO_ENV
        )
        assert sorted(t.name for t in agent.list_tools()) == [
            "fixture_v1__createWidget",
            "fixture_v1__listWidget",
        ]
        with pytest.raises(ConfigurationError, match=r"No service named 'fixture'.*fixture_v1"):
            await agent.register_api(
                "twilio", spec=FIXTURES, services=["fixture"], environ=TWILIO_ENV
            )


async def test_search_ranks_name_over_tags_over_description() -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=[packaged_schemas_dir(), FIXTURES], environ=TWILIO_ENV
        )
        assert [t.name for t in agent.search_tools("update payments", 2)] == [
            "api_v2010__updatePayments",
            "api_v2010__createPayments",
        ]
        assert agent.search_tools("list widgets")[0].name == "fixture_v1__listWidget"
        # "alarm" is in both fetchAlarm names; the tag lifts the fixture service's one first.
        assert [t.name for t in agent.search_tools("alarm fixture")][:1] == [
            "fixture_v1__fetchAlarm"
        ]
        assert agent.search_tools("zebra giraffe penguin") == []


async def test_curated_tools_win_over_imported_ones_of_the_same_service_and_name(
    recording_server: RecordingServer,
) -> None:
    synced = synced_specs_dir()
    synced.mkdir(parents=True)
    (synced / "twilio_api_v2010.json").write_text(json.dumps(IMPORTED_PAYMENTS))
    async with OCPAgent() as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        update = agent.get_tool("updatePayments")
        assert update.spec.exactly_one_of == (("Capture", "Status"),)
        assert agent.get_tool("fetchPayments").name == "api_v2010__fetchPayments"  # synced
        with pytest.raises(InvalidArguments, match="exactly one of Capture or Status"):
            await agent.call_tool("updatePayments", update_arguments(Status="complete"))
    assert recording_server.requests == []  # exactly one of Capture or Status: nothing sent


CURATED = {op.name: op for op in load_operations([packaged_schemas_dir()])}


async def test_curated_tools_replace_the_same_operations_of_a_spec_under_the_imported_names(
    tmp_path: Path, recording_server: RecordingServer
) -> None:
    # Another file name, another service: the names follow the imported set, not the curated.
    (tmp_path / "twilio_voice_v1.json").write_text(json.dumps(IMPORTED_PAYMENTS))
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=tmp_path, base_url=recording_server.url, environ=TWILIO_ENV
        )
        # createPayments is not in the file: a curated operation only replaces, never adds.
        assert [t.name for t in agent.list_tools()] == [
            "voice_v1__updatePayments",
            "voice_v1__fetchPayments",
            "voice_v1__getPaymentStatus",
            "voice_v1__waitForPaymentUpdate",
        ]
        update = agent.get_tool("updatePayments")
        assert update.description == CURATED["updatePayments"].description
        assert update.spec.server == "https://api.twilio.com"  # the file names no server
        with pytest.raises(InvalidArguments, match="exactly one of Capture or Status"):
            await agent.call_tool("updatePayments", update_arguments(Status="complete"))
    assert recording_server.requests == []


@pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
async def test_all_of_twilio_as_a_spec_keeps_the_curated_pay_tools(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=SHARED_OAI, base_url=recording_server.url, environ=TWILIO_ENV
        )
        # Twilio's 1,447 operations, the two payment progress tools, and the five status tools
        # of messages and calls.
        assert len(agent.list_tools()) == 1454
        for name in ("createPayments", "updatePayments"):
            tool = agent.get_tool(f"api_v2010__{name}")
            assert tool.description == CURATED[name].description
        assert agent.get_tool(UPDATE_TOOL).spec.exactly_one_of == (("Capture", "Status"),)
        assert {STATUS_TOOL, WAIT_TOOL} <= {t.name for t in agent.list_tools()}
        with pytest.raises(InvalidArguments, match="exactly one of Capture or Status"):
            await agent.call_tool(UPDATE_TOOL, update_arguments(Status="complete"))
    assert recording_server.requests == []  # nothing sent


def test_a_changed_curated_file_makes_a_new_cache_entry(tmp_path: Path) -> None:
    imported, curated, cache = tmp_path / "imported", tmp_path / "curated", tmp_path / "cache"
    imported.mkdir()
    (imported / "twilio_api_v2010.json").write_text(json.dumps(IMPORTED_PAYMENTS))
    shutil.copytree(packaged_schemas_dir(), curated)
    before = load_operations([imported], cache_dir=cache, curated=[curated])
    assert before[0].exactly_one_of == (("Capture", "Status"),)
    changed = curated / "payments.yaml"
    changed.write_text(changed.read_text().replace("Move a payment session", "Moves a session"))
    after = load_operations([imported], cache_dir=cache, curated=[curated])
    assert after[0].description.startswith("Moves a session")
    assert len(list((cache / "catalog").iterdir())) == 2


async def test_without_synced_files_the_packaged_schemas_are_the_tools() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        assert [t.name for t in agent.list_tools()] == DEFAULT_TOOLS


async def test_spec_accepts_the_projects_yaml_file_too() -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=packaged_schemas_dir() / "payments.yaml", environ=TWILIO_ENV
        )
        assert agent.get_tool("updatePayments").spec.exactly_one_of == (("Capture", "Status"),)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("twilio_bad_v1.yaml", "openapi: 3.0.1\npaths: [unclosed", "Cannot read spec file"),
        ("twilio_bad_v1.json", "{not json", "Cannot read spec file"),
        ("bad.yaml", "operations: 3", "is not valid: operations"),
    ],
)
def test_unreadable_spec_files_are_named(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(SpecError, match=message) as caught:
        load_operations([tmp_path])
    assert name in str(caught.value)


def test_a_missing_spec_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"nowhere\.yaml does not exist"):
        load_operations([tmp_path / "nowhere.yaml"])


def test_without_ryaml_pyyaml_reads_the_same_operations(monkeypatch: pytest.MonkeyPatch) -> None:
    with_ryaml = load_operations([FIXTURES])
    monkeypatch.setitem(sys.modules, "ryaml", None)  # `import ryaml` now fails
    assert load_operations([FIXTURES]) == with_ryaml
