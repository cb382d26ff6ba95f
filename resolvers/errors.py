"""What can go wrong, in the domain's terms: problems a GP can fix (user errors in the
payload) and refusals that stop an operation before it starts (top-level errors)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One user error: a code from the contract's UserErrorCode, a Norwegian message, and the
    path of input field names below `input`."""

    code: str
    message: str
    field: tuple[str, ...]


class Refusal(Exception):
    """Stops the whole field: reported as a top-level GraphQL error with `extensions.code`."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(Refusal):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Du må være innlogget med et gyldig token.") -> None:
        super().__init__(message)


class Forbidden(Refusal):
    code = "FORBIDDEN"

    def __init__(self) -> None:
        super().__init__("Du har ikke tilgang til dette legekontoret.")


class BadUserInput(Refusal):
    code = "BAD_USER_INPUT"


UNAVAILABLE_MESSAGE = "Tjenesten er midlertidig utilgjengelig. Prøv igjen om litt."
COMMIT_UNKNOWN_MESSAGE = (
    "Vi vet ikke om endringen ble lagret; last siden på nytt og sjekk før du prøver igjen."
)


class ServiceUnavailable(Refusal):
    """The database cannot be reached right now: worth trying again shortly. With
    `commit_unknown`, the connection broke while a change was being saved, so the client
    must look before trying again (the change may be there)."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, *, commit_unknown: bool = False) -> None:
        super().__init__(COMMIT_UNKNOWN_MESSAGE if commit_unknown else UNAVAILABLE_MESSAGE)
        self.commit_unknown = commit_unknown
