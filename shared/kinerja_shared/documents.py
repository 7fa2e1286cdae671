"""Printable documents (PDF, with fpdf2) that carry a verification code.

A code is a hash of what the document states, so anyone holding the paper can ask the console
whether it still matches the record: the same figures give the same code, and any later change
to them gives another. The layout helper keeps the services' documents alike: a title, labelled
fields, tables, sentences, signature blocks, and a footer with the code on every page.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fpdf import FPDF
from pydantic import BaseModel, Field

from kinerja_shared.clock import utc
from kinerja_shared.indonesian import tanggal, waktu_wib

__all__ = [
    "UNKNOWN_CODE",
    "Issued",
    "IssuedDocuments",
    "Sheet",
    "Verdict",
    "VerdictOut",
    "latin",
    "tanggal",
    "verification_code",
    "waktu_wib",
]

#: What a check of an unknown code answers, and of a document the reader may not see: alike,
#: so that codes cannot be tried to learn whose documents exist.
UNKNOWN_CODE = "kode verifikasi tidak dikenal, atau dokumennya bukan untuk Anda"
#: Characters Indonesian text often carries that the PDF core fonts (Latin-1) lack.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def verification_code(prefix: str, content: Mapping[str, Any]) -> str:
    """``EV-3F2A-9C41-07BD-E25A``: the first 64 bits of the SHA-256 of the content in canonical
    JSON (sorted keys), so the same figures always give the same code."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16].upper()
    return "-".join([prefix, *(digest[i : i + 4] for i in range(0, 16, 4))])


def latin(text: str) -> str:
    """The text in the core fonts' Latin-1: typographic marks made plain, accents kept where
    Latin-1 has them, dropped where it has not, anything else as ``?``."""
    out = []
    for ch in str(text).translate(_PLAIN):
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


class Sheet(FPDF):
    """An A4 document: call the building methods in reading order, then ``pdf()``."""

    def __init__(self, title: str, code: str, footnote: str) -> None:
        super().__init__(format="A4")
        self._code = code
        self._footnote = footnote
        self.set_title(latin(title))
        self.set_author("Kinerja")
        self.set_auto_page_break(auto=True, margin=22)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-16)
        self.set_font("helvetica", size=7)
        self.multi_cell(0, 3.5, latin(f"Kode verifikasi: {self._code}. {self._footnote}"))
        self.set_y(-8)
        self.cell(0, 4, f"Halaman {self.page_no()}/{{nb}}", align="R")

    def heading(self, *lines: str) -> None:
        self.set_font("helvetica", "B", 13)
        for line in lines:
            self.cell(0, 7, latin(line), new_x="LMARGIN", new_y="NEXT", align="C")
        self.ln(4)

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font("helvetica", "B", 10)
        self.cell(0, 6, latin(title), new_x="LMARGIN", new_y="NEXT")

    def fields(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label and value, in two columns."""
        self.grid([(label, value) for label, value in rows], widths=(55, 125), header=False)

    def grid(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[int],
        header: bool = True,
    ) -> None:
        self.set_font("helvetica", size=9)
        with super().table(
            col_widths=tuple(widths),
            first_row_as_headings=header,
            text_align="LEFT",
            line_height=5,
        ) as t:
            for row in rows:
                line = t.row()
                for value in row:
                    line.cell(latin(value))
        self.ln(1)

    def sentence(self, text: str) -> None:
        self.set_font("helvetica", size=9)
        self.multi_cell(0, 5, latin(text), new_x="LMARGIN", new_y="NEXT")

    def signatures(self, place_date: str, blocks: Sequence[tuple[str, str, str]]) -> None:
        """Signature blocks side by side: (role, name, NIP), under the place and date."""
        self.ln(6)
        self.set_font("helvetica", size=9)
        width = 180 / len(blocks)
        self.cell(0, 5, latin(place_date), new_x="LMARGIN", new_y="NEXT", align="R")
        for i, (role, _, _) in enumerate(blocks):
            last = i == len(blocks) - 1
            self.cell(width, 5, latin(role), align="C", new_x="LMARGIN" if last else "RIGHT")
        self.ln(20)
        for i, (_, name, nip) in enumerate(blocks):
            text = f"{name}\nNIP {nip}" if nip else name
            last = i == len(blocks) - 1
            self.multi_cell(
                width, 5, latin(text), align="C", new_x="LMARGIN" if last else "RIGHT", new_y="TOP"
            )
        self.ln(10)

    def pdf(self) -> bytes:
        return bytes(self.output())


@dataclass(frozen=True)
class Issued:
    """A document handed out: its code, whose it is and what it states, and who asked when."""

    code: str
    nip: str
    about: str  # the period of an evaluation, the session of a coaching record
    version: str  # the policy (or form) it was made by
    issued_at: datetime
    issued_by: str

    def record(self) -> dict[str, Any]:
        """The stored form, keyed by the code."""
        return {
            "_id": self.code,
            "nip": self.nip,
            "about": self.about,
            "version": self.version,
            "issued_at": self.issued_at,
            "issued_by": self.issued_by,
        }

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Issued:
        return cls(
            doc["_id"],
            doc["nip"],
            doc["about"],
            doc["version"],
            utc(doc["issued_at"]),
            doc["issued_by"],
        )


class IssuedDocuments(Protocol):
    """Where a service keeps the documents it handed out, by code."""

    async def issue(self, issued: Issued) -> Issued: ...
    async def issued(self, code: str) -> Issued | None: ...


@dataclass(frozen=True)
class Verdict:
    """What a code says: which document, and whether the record still matches it."""

    issued: Issued
    what: str  # the document in words: "evaluasi Budi Santoso (NIP ...) periode 2026-11"
    matches: bool

    @property
    def kalimat(self) -> str:
        if self.matches:
            return f"Dokumen asli: {self.what} masih sama dengan catatan Kinerja."
        return (
            f"Dokumen ini pernah diterbitkan ({self.what}), tetapi isinya sudah berubah sejak "
            "dicetak. Unduh dokumen yang baru."
        )


class VerdictOut(BaseModel):
    """A verification code's answer, as the API publishes it."""

    code: str
    nip: str = Field(description="Whose document")
    about: str = Field(description="The evaluation's period, or the coaching session's id")
    version: str = Field(description="The policy or form it was made by")
    issued_at: str
    issued_by: str
    what: str = Field(description="The document in words")
    matches: bool = Field(description="The record still says what was printed")
    kalimat: str = Field(description="The verdict in one Indonesian sentence")

    @classmethod
    def of(cls, v: Verdict) -> VerdictOut:
        i = v.issued
        return cls(
            code=i.code,
            nip=i.nip,
            about=i.about,
            version=i.version,
            issued_at=i.issued_at.isoformat(),
            issued_by=i.issued_by,
            what=v.what,
            matches=v.matches,
            kalimat=v.kalimat,
        )
