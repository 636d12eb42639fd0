"""Import: upload a CSV, Markdown / text FAQ or JSONL file, see what it would add with its
bad lines named (the importer's dry run), confirm, and undo a past import.

The same importer as `afina import`: every import is a batch, in use at once, and
undone whole (its examples kept as rejected).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.console import lessons
from bot.console.http import BASE, PER_PAGE, Ctx, page
from bot.db import session_scope
from bot.errors import AfinaError
from bot.store import review as store_review

PREVIEWED = 50  # would-be examples shown in a preview; every bad line is named


def routes(core: Core) -> list[Route]:
    return [
        Route("/import", page(core, show), methods=["GET"]),
        Route("/import/preview", page(core, preview), methods=["POST"]),
        Route("/import/confirm", page(core, confirm), methods=["POST"]),
        Route("/import/{id:int}/undo", page(core, undo), methods=["POST"]),
    ]


def show(
    ctx: Ctx,
    *,
    previewed: lessons.Preview | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    number = ctx.page_number
    with session_scope(ctx.core.engine) as session:
        batches = store_review.import_batches_page(
            session, offset=(number - 1) * PER_PAGE, limit=PER_PAGE + 1
        )
    done = ctx.arg("done")
    return ctx.render(
        "import.html",
        status=status,
        preview=previewed,
        shown=previewed.report.examples[:PREVIEWED] if previewed else [],
        batches=batches[:PER_PAGE],
        has_next=len(batches) > PER_PAGE,
        page=number,
        done=done if done in {"imported", "undone"} else "",
        batch=ctx.number("batch"),
        count=ctx.number("n"),
        max_mb=ctx.core.settings.console_max_upload_mb,
        error=error,
    )


def preview(ctx: Ctx) -> Response:
    upload = ctx.files.get("file")
    if upload is None or not upload.name:
        return show(ctx, error=ctx.t("import_choose_file"), status=400)
    if upload.too_big:
        mb = ctx.core.settings.console_max_upload_mb
        return show(ctx, error=ctx.t("import_too_big", name=upload.name, mb=mb), status=413)
    try:
        found = lessons.preview_import(ctx.core, user=ctx.user, name=upload.name, data=upload.data)
    except AfinaError as refused:  # not UTF-8, an unknown kind of file, a CSV without columns
        return show(ctx, error=refused.message, status=400)
    return show(ctx, previewed=found)


def confirm(ctx: Ctx) -> Response:
    try:
        report = lessons.confirm_import(
            ctx.core, user=ctx.user, token=ctx.form.get("token", ""), name=ctx.form.get("name", "")
        )
    except AfinaError as refused:
        return show(ctx, error=refused.message, status=400)
    return ctx.redirect(f"{BASE}/import", done="imported", batch=report.batch_id, n=report.imported)


def undo(ctx: Ctx) -> Response:
    batch_id = ctx.path_id()
    try:
        taken = lessons.undo_import(ctx.core, user=ctx.user, batch_id=batch_id)
    except AfinaError as refused:  # unknown, or already undone
        return show(ctx, error=refused.message, status=400)
    return ctx.redirect(f"{BASE}/import", done="undone", batch=batch_id, n=taken)
