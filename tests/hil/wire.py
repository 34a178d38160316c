"""A loopback TCP peer standing in for a board's serial wire (socket:// URLs)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class WirePeer:
    """Accepts one connection and runs ``script(conn)`` on it in a thread.

    The host's open() discards bytes that arrive before it returns (as a serial port's open
    flushes its input); a peer that talks first waits for ``opened`` (set by the test once the
    port is open), the way a board is reset only after its console is open.
    """

    def __init__(
        self,
        script: Callable[[socket.socket], None],
        accept_timeout: float = 10.0,
        talks_first: bool = False,
    ):
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(1)
        self._server.settimeout(accept_timeout)
        self.port = self._server.getsockname()[1]
        self._script = script
        self.opened = threading.Event()
        if not talks_first:
            self.opened.set()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def _run(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError as err:
            self.error = err
            return
        finally:
            self._server.close()
        try:
            conn.settimeout(10.0)
            if not self.opened.wait(10):
                raise TimeoutError("the test never opened its side of the link")
            self._script(conn)
        except BaseException as err:  # reported by join()
            self.error = err
        finally:
            conn.close()

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "wire peer did not finish"
        if self.error is not None:
            raise self.error
