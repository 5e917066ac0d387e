"""``/a/n/<group>/<flush>/<kind>``: the signed page of every camera of one notification
(a group message's "All cameras" link), paged, with each camera's incident now."""

from __future__ import annotations

from flask import render_template, request

from router.channels import links
from router.errors import LinkError
from router.store.views.notification_cameras import notification_cameras
from router.web.dashboard import bp
from router.web.dashboard import session as login
from router.web.dashboard.link_views import link_signer, refuse

KINDS = ("firing", "resolved")


@bp.get("/a/n/<int:group_id>/<int:flush_no>/<kind>")
def notification_cameras_page(group_id: int, flush_no: int, kind: str
                              ) -> str | tuple[str, int]:
    token = request.args.get("t", "")
    rt = login.rt()
    try:
        link_signer().verify(token, links.CAMERAS, links.cameras_subject(group_id, flush_no, kind),
                         rt.clock.now())
    except LinkError as exc:
        return refuse(str(exc))
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) < 10**6 else 1
    with rt.db.read() as conn:
        found = notification_cameras(conn, group_id=group_id, flush_no=flush_no, kind=kind,
                                     page=page, now=rt.clock.now())
    if found is None or kind not in KINDS:
        return render_template("message.html", title="No such notification",
                               message="This notification is no longer in the router."), 404
    return render_template("notification_cameras.html", n=found, token=token,
                           group_id=group_id, flush_no=flush_no)
