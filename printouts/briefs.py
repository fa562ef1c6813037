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

from db.money import format_money
from printouts.data import BriefEntry, PrintResult, WeekSummary, stack_order
from printouts.documents import BODY, build_document, paragraph
from printouts.fonts import Fonts, load_fonts
from printouts.layouts import PAPERS, choose
from printouts.output import require
from printouts.styles import RULE, TINT, brief_styles, table_style
from printouts.words import BRIEF, Language, kind_name, language_name, language_of


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

    def entry(self, entry: BriefEntry) -> Flowable:
        words, language = self.words, self.language
        facts = [language_name(entry.language, language)]
        if entry.customer_since:
            facts.append(words["customer_since"].format(date=entry.customer_since.isoformat()))
        facts.append(words["orders"].format(count=entry.orders_count))
        if entry.last_bought.strip():
            facts.append(words["last_bought"].format(item=entry.last_bought))
        parts: list[Flowable] = [
            self.para(entry.display_name, "name"),
            self.para("  ·  ".join(facts), "meta"),
            self.para(words["why"], "label"),
            self.para(entry.reason, "body"),
        ]
        when = []
        if entry.for_day:
            when.append(words["for_day"].format(day=entry.for_day))
        if entry.send_by:
            key = "send_on" if entry.on_the_day else "send_by"
            when.append(words[key].format(day=entry.send_by))
        if when:
            parts.append(self.para("  ·  ".join(when), "meta"))
        feedback = entry.last_feedback
        if feedback is not None:
            about = [words["complaint" if feedback.is_complaint else "review"], feedback.on.isoformat()]
            if feedback.rating is not None:
                about.insert(1, words["rating"].format(rating=feedback.rating))
            parts += [
                self.para(words["their_words"], "label"),
                self.para(f"“{self.fonts.printable(feedback.text)[0]}”", "quote"),
                self.para("  ·  ".join(about), "meta"),
            ]
            if feedback.days_without_reply:
                parts.append(self.para(words["overdue"].format(days=feedback.days_without_reply), "flag"))
        parts.append(self.para(words["before"], "label"))
        history = [
            f"{gesture.on.isoformat()}  ·  {kind_name(gesture.kind, language)}"
            + (f"  ·  {words[gesture.status]}" if gesture.status in ("failed", "skipped") else "")
            + (f"  ·  “{gesture.words}”" if gesture.words.strip() else "")
            + (f"  ·  {gesture.note}" if gesture.note.strip() else "")
            for gesture in sorted(entry.past_gestures, key=lambda gesture: gesture.on, reverse=True)
        ]
        parts += [self.para(line, "body") for line in history] or [self.para(words["nothing_before"], "body")]
        opener = self.para(entry.opener, "opener") if entry.opener.strip() else self.para(words["write_own"], "flag")
        parts += [
            self.para(words["opener"], "label"),
            Spacer(0, 8),
            opener,
            Spacer(0, 10),
            HRFlowable(width="100%", thickness=0.5, color=TINT, spaceAfter=10),
        ]
        return KeepTogether(parts)

    def story(self, week: WeekSummary, entries: list[BriefEntry]) -> list[Flowable]:
        story = [*self.cover(week, entries), NextPageTemplate(BODY)]
        for writer, writer_entries in groupby(entries, key=lambda entry: entry.writer):
            heading = self.words["writer"].format(writer=writer) if writer else self.words["unassigned"]
            story += [PageBreak(), self.para(heading, "writer")]
            story.append(HRFlowable(width="100%", thickness=1, color=RULE, spaceAfter=6))
            for kind, kind_entries in groupby(writer_entries, key=lambda entry: entry.kind):
                story.append(self.para(kind_name(kind, self.language), "kind"))
                story += [self.entry(entry) for entry in kind_entries]
        if week.waiting:
            story += [
                PageBreak(),
                self.para(self.words["waiting"], "writer"),
                self.para(self.words["waiting_intro"], "meta"),
            ]
            story += [
                self.para(
                    self.words["waiting_line"].format(
                        name=person.display_name, customer=person.customer_id, why=person.why, days=person.days
                    ),
                    "body",
                )
                for person in week.waiting
            ]
        return story


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
    gestures they already had and a suggested opener. ``paper`` is "a4" or "letter";
    ``language`` ("en" or "ko") is the team's language for headings.
    Raises :class:`PrintoutError` for an unknown paper size, a bad font or an unwritable path.
    """
    ordered = sorted(entries, key=stack_order)
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
