"""What the Train button does: the mode, method and epochs the widgets show.

Code calls (``lab.train``) never read these; only a press of the button does.
"""

from __future__ import annotations

from typing import Any

from helpers._validate import check_choice, check_int

from ._methods import METHODS
from ._runs import MODES

__all__ = ["TrainButton"]


class TrainButton:
    """The Train button's settings and its press; mixed into :class:`LabState`."""

    button_mode: str
    button_method: str
    button_epochs: dict[str, int]
    worker: Any

    def set_button_mode(self, mode: str) -> None:
        """What the Train button does: ``"retrain"`` or ``"live"``."""
        self.button_mode = check_choice("mode", mode, MODES)

    def set_button_method(self, method: str) -> None:
        """Who chooses the weights when the Train button is pressed (see ``METHODS``)."""
        self.button_method = check_choice("method", method, METHODS)

    def set_button_epochs(self, epochs: int) -> None:
        """How many epochs the Train button trains in its current mode."""
        self.button_epochs[self.button_mode] = check_int("epochs", epochs, low=1, high=100_000)

    def press_train(self) -> None:
        """The Train button: the sliders' weights, the mode and epochs the widgets show."""
        if self._closed:
            self.set_message(self._closed)
            return
        mode, method = self.button_mode, self.button_method
        if method != "manual":
            mode = "retrain"
        try:
            request = self._request(None, self.button_epochs[mode], mode, True, method)
            self.worker.start(request, False)
        except (RuntimeError, ValueError) as exc:
            self.set_message(str(exc))
