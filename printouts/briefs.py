"""The writer's brief: a cover for the week, then each writer's gestures with what to know."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)

from planner.core.money import format_money
from planner.words.phrases import kind_name
from printouts.data import BriefEntry, PrintResult, WeekSummary
from printouts.documents import BODY, build_document, paragraph
from printouts.flowables import WritingLines
from printouts.fonts import Fonts, load_fonts
from printouts.layouts import PAPERS, choose
from printouts.marks import mark_text
from printouts.pdf_files import require
from printouts.styles import RULE, TINT, brief_styles, table_style
from printouts.words import BRIEF, Language, language_name, language_of


class _BriefWriter:
    """Turns brief data into flowables in one language and one set of fonts."""

    def __init__(self, fonts: Fonts, language: Language) -> None:
        self.fonts = fonts
        self.language = language
        self.words = BRIEF[language]
        self.styles = brief_styles(fonts)

    def para(self, text: str, style: str) -> Paragraph:
        """A paragraph in one of the brief's styles."""
        return paragraph(text, self.styles[style], self.fonts)

    def cover(self, week: WeekSummary, entries: list[BriefEntry]) -> list[Flowable]:
        words = self.words
        counts = Counter(entry.kind for entry in entries)
        rows = [
            [self.para(kind_name(kind, self.language), "body"), self.para(str(n), "body")]
            for kind, n in sorted(counts.items())
        ]
        rows.append([self.para(words["total"], "name"), self.para(str(len(entries)), "name")])
        table = Table(rows, colWidths=[200, 60], hAlign="LEFT")
        table.setStyle(
            table_style(
                self.fonts,
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE),
            )
        )
        budget = words["budget_line"].format(
            used=format_money(week.budget_used, week.currency),
            budget=format_money(week.budget, week.currency),
        )
        title = f"{week.shop_name} · {words['title']}" if week.shop_name.strip() else words["title"]
        return [
            Spacer(0, 60),
            self.para(title, "title"),
            self.para(words["week"].format(week=week.iso_week), "subtitle"),
            self.para(words["gestures"], "label"),
            Spacer(0, 4),
            table,
            Spacer(0, 18),
            self.para(words["budget"], "label"),
            self.para(budget, "name"),
        ]

    def facts(self, entry: BriefEntry) -> str:
        """The meta line under a name: mark, language, since when, how many orders, what they last bought."""
        words = self.words
        facts = [mark_text(entry.gesture_id, entry.writer)] if entry.gesture_id is not None and not entry.call else []
        facts.append(language_name(entry.language, self.language))
        if entry.customer_since:
            facts.append(words["customer_since"].format(date=entry.customer_since.isoformat()))
        facts.append(words["orders"].format(count=entry.orders_count))
        if entry.last_bought.strip() and not entry.call:
            facts.append(words["last_bought"].format(item=entry.last_bought))
        return "  ·  ".join(facts)

    def their_words(self, entry: BriefEntry) -> list[Flowable]:
        """The review or complaint the gesture answers (or their latest), quoted, and whether it is overdue."""
        words, feedback = self.words, entry.last_feedback
        if feedback is None:
            return []
        about = [words["complaint" if feedback.is_complaint else "review"], feedback.on.isoformat()]
        if feedback.rating is not None:
            about.insert(1, words["rating"].format(rating=feedback.rating))
        parts = [
            self.para(words["their_words"], "label"),
            self.para(f"“{self.fonts.printable(feedback.text)[0]}”", "quote"),
            self.para("  ·  ".join(about), "meta"),
        ]
        if feedback.days_without_reply:
            parts.append(self.para(words["overdue"].format(days=feedback.days_without_reply), "flag"))
        return parts

    def history(self, entry: BriefEntry, nothing: str) -> list[Flowable]:
        """What they had before, newest first, with what did not reach them and who said so."""
        words, language = self.words, self.language
        lines = [
            f"{gesture.on.isoformat()}  ·  {kind_name(gesture.kind, language)}"
            + (f"  ·  {words[gesture.status]}" if gesture.status in ("failed", "skipped") else "")
            + (f"  ·  {words['by'].format(who=gesture.by)}" if gesture.by.strip() else "")
            + (f"  ·  {gesture.note}" if gesture.note.strip() else "")
            + (f"  ·  “{gesture.words}”" if gesture.words.strip() else "")
            for gesture in sorted(entry.past_gestures, key=lambda gesture: gesture.on, reverse=True)
        ]
        return [self.para(line, "body") for line in lines] or [self.para(words[nothing], "body")]

    def opener(self, entry: BriefEntry) -> Flowable:
        if entry.opener.strip():
            return self.para(entry.opener, "opener")
        return self.para(self.words["write_own"], "flag")

    def entry(self, entry: BriefEntry) -> list[Flowable]:
        words = self.words
        parts: list[Flowable] = [
            self.para(entry.display_name, "name"),
            self.para(self.facts(entry), "meta"),
            self.para(words["why"], "label"),
            self.para(entry.reason, "body"),
        ]
        when = []
        if entry.for_day:
            when.append(words["for_day"].format(day=entry.for_day))
        if entry.send_by:
            key = "send_on" if entry.on_the_day else "send_by"
            when.append(words[key].format(day=entry.send_by))
        if entry.gift.strip():
            when.append(words["gift"].format(gift=entry.gift))
        if when:
            parts.append(self.para("  ·  ".join(when), "meta"))
        parts += self.their_words(entry)
        parts += [self.para(words["before"], "label"), *self.history(entry, "nothing_before")]
        parts += [
            self.para(words["opener"], "label"),
            Spacer(0, 8),
            self.opener(entry),
            Spacer(0, 10),
            HRFlowable(width="100%", thickness=0.5, color=TINT, spaceAfter=10),
        ]
        return parts

    def call_sheet(self, entry: BriefEntry) -> list[Flowable]:
        """A recovery as a sheet to call from: the number, their words, their order, what was tried,
        and room to write how it went."""
        words = self.words
        heading = f"{words['call_sheet']} · {kind_name(entry.kind, self.language)}"
        mark = mark_text(entry.gesture_id, entry.writer)
        top = Table([[self.para(heading, "label"), self.para(mark, "mark")]], colWidths=["70%", "30%"], hAlign="LEFT")
        top.setStyle(table_style(self.fonts, ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (-1, 0), (-1, 0), 0)))
        parts: list[Flowable] = [top, self.para(entry.display_name, "writer"), self.para(self.facts(entry), "meta")]
        if entry.phone.strip():
            parts += [self.para(words["phone"], "label"), self.para(entry.phone, "phone")]
        else:
            parts.append(self.para(words["no_phone"], "flag"))
        parts += [self.para(words["why"], "label"), self.para(entry.reason, "body")]
        if entry.send_by:
            parts.append(self.para(words["due"].format(day=entry.send_by), "meta"))
        parts += self.their_words(entry)
        parts.append(self.para(words["ordered"], "label"))
        if entry.ordered is not None:
            order = [entry.ordered.on.isoformat(), entry.ordered.items, entry.ordered.total]
            parts.append(self.para("  ·  ".join(part for part in order if part), "body"))
        else:
            parts.append(self.para(words["nothing_ordered"], "body"))
        parts += [self.para(words["tried_before"], "label"), *self.history(entry, "nothing_tried")]
        parts += [self.para(words["start_with"], "label"), Spacer(0, 8), self.opener(entry), Spacer(0, 6)]
        boxes = Table([[self.para(box, "body") for box in words["outcome_boxes"].split("|")]], hAlign="LEFT")
        boxes.setStyle(table_style(self.fonts, ("LEFTPADDING", (0, 0), (0, 0), 0)))
        parts += [self.para(words["outcome"], "label"), boxes, WritingLines(10, 22, RULE), Spacer(0, 4)]
        if entry.gesture_id is not None:
            parts.append(self.para(words["log_it"].format(id=entry.gesture_id), "meta"))
        return parts

    def story(self, week: WeekSummary, entries: list[BriefEntry]) -> list[Flowable]:
        """The cover, then each writer's pages; a heading always stays with what follows it."""
        story = [*self.cover(week, entries), NextPageTemplate(BODY)]
        for writer, writer_entries in groupby(entries, key=lambda entry: entry.writer):
            heading = self.words["writer"].format(writer=writer) if writer else self.words["unassigned"]
            story.append(PageBreak())
            pending: list[Flowable] = [
                self.para(heading, "writer"),
                HRFlowable(width="100%", thickness=1, color=RULE, spaceAfter=6),
            ]
            after_call = False
            for (kind, call), kind_entries in groupby(writer_entries, key=lambda entry: (entry.kind, entry.call)):
                if not call:  # a call sheet says what it is itself
                    pending.append(self.para(kind_name(kind, self.language), "kind"))
                for entry in kind_entries:
                    if after_call or (call and not pending):
                        story.append(PageBreak())  # a call sheet has a page to itself, to hand to whoever calls
                    # One KeepTogether for the headings and the entry (a nested one would never fit).
                    story.append(KeepTogether([*pending, *(self.call_sheet(entry) if call else self.entry(entry))]))
                    pending, after_call = [], call
        if week.waiting:
            lines = [
                self.para(
                    self.words["waiting_line"].format(
                        name=person.display_name, customer=person.customer_id, why=person.why, days=person.days
                    ),
                    "body",
                )
                for person in week.waiting
            ]
            story += [
                PageBreak(),
                KeepTogether(
                    [
                        self.para(self.words["waiting"], "writer"),
                        self.para(self.words["waiting_intro"], "meta"),
                        lines[0],
                    ]
                ),
                *lines[1:],
            ]
        return story


def brief_order(entry: BriefEntry) -> tuple[bool, str, bool, str, str]:
    """Each writer's pages together (unassigned last); calls first: listening comes first."""
    return (
        entry.writer is None,
        (entry.writer or "").casefold(),
        not entry.call,
        entry.kind,
        entry.display_name.casefold(),
    )


def render_briefs(
    week: WeekSummary,
    entries: Iterable[BriefEntry],
    path: Path,
    *,
    paper: str = "a4",
    language: str = "en",
    font_path: Path | None = None,
) -> PrintResult:
    """Write the writer's brief for ``week`` to a PDF at ``path``.

    A cover with the week, gestures per kind and budget; then, per writer (each on a new page)
    and kind, every customer: who they are, why they were chosen, their last words to the shop,
    gestures they already had and a suggested opener. A call (``BriefEntry.call``) is a call sheet
    on a page of its own: the number, their words, their order, what was tried, room for the outcome.
    Headings never end a page: each stays with the first entry under it. ``paper`` is "a4" or "letter";
    ``language`` ("en" or "ko") is the team's language for headings.
    Raises :class:`PrintoutError` for an unknown paper size, a bad font or an unwritable path.
    """
    ordered = sorted(entries, key=brief_order)
    require(ordered, "gestures")
    page_size = choose(PAPERS, paper, "paper size")
    fonts = load_fonts(font_path)
    writer = _BriefWriter(fonts, language_of(language))
    words = writer.words
    pages = build_document(
        writer.story(week, ordered),
        path,
        page_size=page_size,
        title=f"{words['title']} {week.iso_week}",
        footer=f"{words['title']}  ·  {words['week'].format(week=week.iso_week)}",
        fonts=fonts,
        cover=True,
    )
    return PrintResult(Path(path), pages=pages, printed=len(ordered))
