"""What goes wrong in an import file, said in plain words with file, line and column."""

from __future__ import annotations

from dataclasses import dataclass

from bot.terminal import plain

#: Enough to fix a file in one pass without flooding the terminal.
MAX_REPORTED = 20


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__("\n".join(str(p) for p in problems))

    def report(self) -> str:
        """Up to MAX_REPORTED problems, one a line, safe for a terminal (cell text and file names are
        the file's author's, and may hold control characters)."""
        shown = self.problems[:MAX_REPORTED]
        lines = [plain(str(p), one_line=True) for p in shown]
        if self.total > len(shown):
            lines.append(f"... and {self.total - len(shown)} more problems not shown")
        return "\n".join(lines)
