"""pyOCD work done in a child process, so a hung probe can be killed: program, verify, reset.

Usage: python -m microforge.device.flashers.pyocd_worker '<json request>'
The last line of stdout is a JSON reply: {"ok": true, ...} or {"ok": false, "error": ...}.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from microforge.device.errors import FlashError
from microforge.device.image import load_image


def find_probe(unique_id: str) -> Any:
    """The one probe whose unique id equals ``unique_id`` (no partial matches)."""
    from pyocd.probe.aggregator import DebugProbeAggregator

    wanted = unique_id.split(":", 1)[1] if unique_id.lower().startswith("qemu:") else unique_id
    candidates = DebugProbeAggregator.get_all_connected_probes(unique_id=unique_id)
    exact = [p for p in candidates if p.unique_id.lower() == wanted.lower()]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise FlashError(f"probe id {unique_id!r} matches {len(exact)} probes")
    if candidates:
        names = ", ".join(p.unique_id for p in candidates)
        raise FlashError(
            f"probe {unique_id!r} not found; partial matches are not used ({names}); "
            "give the full unique id"
        )
    present = []
    if not unique_id.lower().startswith("qemu:"):
        present = [p.unique_id for p in DebugProbeAggregator.get_all_connected_probes()]
    raise FlashError(
        f"probe {unique_id!r} not found; connected probes: {', '.join(present) or 'none'}"
    )


def open_session(request: dict[str, Any]) -> Any:
    from pyocd.core.exceptions import TargetSupportError
    from pyocd.core.session import Session

    from microforge.device.pyocd_qemu import register_with_pyocd

    register_with_pyocd()
    probe = find_probe(request["probe"])
    options: dict[str, Any] = {
        "target_override": request["target"],
        "connect_mode": request.get("connect_mode", "halt"),
        "resume_on_disconnect": True,
        "auto_unlock": False,
    }
    if request.get("pack"):
        options["pack"] = [request["pack"]]
    if request.get("frequency"):
        options["frequency"] = request["frequency"]
    try:
        session = Session(probe, options=options)
        session.open()
    except TargetSupportError as err:
        pack, path = request.get("pack_name"), request.get("pack")
        if path:
            hint = f"; the pack {path} does not provide it"
        elif pack:
            hint = f"; it comes from the CMSIS pack {pack}: give the .pack file (pack_path)"
        else:
            hint = ""
        raise FlashError(f"pyOCD does not know target {request['target']!r}{hint}") from err
    return session


def verify(session: Any, request: dict[str, Any]) -> int:
    image = load_image(request["image"], request.get("load_address"))
    target = session.target
    checked = 0
    for segment in image.segments:
        data = bytes(target.read_memory_block8(segment.address, len(segment.data)))
        if data != segment.data:
            pairs = enumerate(zip(data, segment.data, strict=True))
            offset = next(i for i, (got, want) in pairs if got != want)
            address = segment.address + offset
            raise FlashError(
                f"verify failed at 0x{address:08x}: read 0x{data[offset]:02x}, "
                f"expected 0x{segment.data[offset]:02x}"
            )
        checked += len(segment.data)
    return checked


def program(request: dict[str, Any]) -> dict[str, Any]:
    from pyocd.flash.file_programmer import FileProgrammer

    started = time.monotonic()
    image = load_image(request["image"], request.get("load_address"))
    session = open_session(request)
    try:
        kwargs: dict[str, Any] = {}
        if image.kind == "bin":
            kwargs["base_address"] = request["load_address"]
        FileProgrammer(session, chip_erase=request.get("erase", "auto")).program(
            str(image.path), file_format=image.kind, **kwargs
        )
        checked = verify(session, request)
        if request.get("reset", True):
            session.target.reset()
        return {
            "ok": True,
            "bytes": image.size,
            "verified": checked,
            "seconds": time.monotonic() - started,
            "probe": session.probe.unique_id,
        }
    finally:
        session.close()


def verify_only(request: dict[str, Any]) -> dict[str, Any]:
    session = open_session(request)
    try:
        session.target.halt()
        checked = verify(session, request)
        if request.get("reset", True):
            session.target.reset()
        return {"ok": True, "bytes": 0, "verified": checked, "probe": session.probe.unique_id}
    finally:
        session.close()


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s"
    )
    try:
        request = json.loads(argv[1])
        action = {"program": program, "verify": verify_only}[request["action"]]
        reply = action(request)
    except FlashError as err:
        reply = {"ok": False, "error": str(err)}
    except Exception as err:  # every pyOCD failure becomes a flash error in the parent
        reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    # On a line of its own: pyOCD's progress bar may have left the current line unfinished.
    print("\n" + json.dumps(reply))
    return 0 if reply["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
