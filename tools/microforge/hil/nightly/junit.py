"""JUnit XML of a nightly: one test suite per board, one test case per program.

| outcome                                   | JUnit element                         |
|-------------------------------------------|---------------------------------------|
| pass                                      | (none)                                |
| assertion                                 | `<failure type="assertion">`          |
| crash, timeout, no_output, flash_error,   | `<error type="...">`                  |
| build_error, not_run                      |                                       |
| anything but pass, quarantined            | `<skipped message="quarantined: ...">`|
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

FAILURES = ("assertion",)

#: XML 1.0 forbids most control characters; board output may hold any byte.
_XML_BAD = {c: None for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}


def _clean(text: str) -> str:
    return text.translate(_XML_BAD)


def junit_xml(summary: dict[str, Any]) -> str:
    by_board: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in summary["results"]:
        by_board[row["board"]].append(row)
    root = ET.Element("testsuites", name=f"microforge nightly {summary['run_id']}")
    totals = defaultdict(int)
    for board in sorted(by_board):
        rows = by_board[board]
        suite = ET.SubElement(root, "testsuite", name=board, timestamp=summary["started"])
        counts = defaultdict(int)
        for row in sorted(rows, key=lambda r: (r["example"], r["program"])):
            case = ET.SubElement(
                suite, "testcase", name=row["program"], classname=f"{board}.{row['example']}",
                time=f"{row['seconds']:.3f}",
            )  # fmt: skip
            counts["tests"] += 1
            properties = ET.SubElement(case, "properties")
            for key, value in (("unit", row["unit"]), ("kind", row["kind"]),
                               ("outcome", row["outcome"]),
                               ("attempts", str(len(row["attempts"]))),
                               ("flaky", "true" if row["flaky"] else "false")):  # fmt: skip
                ET.SubElement(properties, "property", name=key, value=value)
            for key, value in sorted((row.get("metrics") or {}).items()):
                ET.SubElement(properties, "property", name=f"metric.{key}", value=str(value))
            for key, value in sorted((row.get("size") or {}).items()):
                ET.SubElement(properties, "property", name=f"size.{key}", value=str(value))
            outcome = row["outcome"]
            message = _clean(f"{outcome}: {row['message']}" if row["message"] else outcome)
            if outcome != "pass":
                if row.get("quarantined"):
                    ET.SubElement(case, "skipped",
                                  message=_clean(f"quarantined: {row['quarantined']}; {message}"))
                    counts["skipped"] += 1
                elif outcome in FAILURES:
                    element = ET.SubElement(case, "failure", type=outcome, message=message)
                    element.text = _clean(_details(row))
                    counts["failures"] += 1
                else:
                    element = ET.SubElement(case, "error", type=outcome, message=message)
                    element.text = _clean(_details(row))
                    counts["errors"] += 1
            out = ET.SubElement(case, "system-out")
            out.text = _clean(_system_out(row))
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("time", f"{sum(r['seconds'] for r in rows):.3f}")
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{summary.get('seconds', 0.0):.1f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _details(row: dict[str, Any]) -> str:
    lines = [row["message"]]
    fault = row.get("fault")
    if fault and fault.get("report"):
        lines.append(fault["report"])
    if row.get("last_output"):
        lines.append(f"last bytes: {row['last_output']!r}")
    return "\n".join(line for line in lines if line)


def _system_out(row: dict[str, Any]) -> str:
    lines = [f"log: {row['log']}" if row["log"] else "log: none"]
    for attempt in row["attempts"][:-1]:
        lines.append(f"attempt {attempt['attempt']} on {attempt['unit'] or '-'}: "
                     f"{attempt['outcome']} {attempt['message']} (log: {attempt['log']})")
    return "\n".join(lines)
