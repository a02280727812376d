"""Words of the issuer desk (/issuer).

Refusals the desk meets are under "issuer.problem.<slug>" (issuer.js looks there first, then
falls back to the common words), so other pages' words cannot collide.
"""

from __future__ import annotations

# key -> (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    "issuer.title": ("发证部门工作台", "Issuer desk"),
    "issuer.department": ("本部门", "Department"),
    "issuer.trusted": ("可签发的证照", "Licence types you may issue"),
    "issuer.untrusted": (
        "本部门目前没有获准签发任何证照类型，请联系平台管理员。",
        "Your department is not trusted for any licence type yet; ask the platform administrator.",
    ),
    "issuer.issue": ("签发证照", "Issue a licence"),
    "issuer.type": ("证照类型", "Licence type"),
    "issuer.holder": ("持证企业统一社会信用代码", "Holder's unified social credit code"),
    "issuer.number": ("证照编号", "Licence number"),
    "issuer.number.form": ("格式", "Form"),
    "issuer.fields": ("证照内容", "Licence contents"),
    "issuer.valid_from": ("有效期起（空为今天）", "Valid from (empty: today)"),
    "issuer.valid_until": ("有效期至（空为默认期限）", "Valid until (empty: the usual term)"),
    "issuer.required": ("必填", "required"),
    "issuer.yes": ("是", "Yes"),
    "issuer.no": ("否", "No"),
    "issuer.unset": ("（不填）", "(not given)"),
    "issuer.choose": ("请选择", "Choose"),
    "issuer.submit": ("签发", "Issue"),
    "issuer.issued": ("已签发，证照标识：", "Issued; identifier: "),
    "issuer.list": ("本部门签发的证照", "Licences we issued"),
    "issuer.filter.status": ("状态", "Status"),
    "issuer.filter.type": ("类型", "Type"),
    "issuer.filter.holder": ("持证企业代码", "Holder's code"),
    "issuer.filter.all": ("全部", "All"),
    "issuer.filter.apply": ("查询", "Search"),
    "issuer.more": ("加载更多", "Load more"),
    "issuer.empty": ("没有符合条件的证照", "No licences match"),
    "issuer.col.number": ("编号", "Number"),
    "issuer.col.type": ("类型", "Type"),
    "issuer.col.holder": ("持证企业", "Holder"),
    "issuer.col.valid": ("有效期", "Valid"),
    "issuer.col.status": ("状态", "Status"),
    "issuer.col.actions": ("操作", "Actions"),
    "issuer.version": ("第 {v} 版", "version {v}"),
    "issuer.open_ended": ("长期", "open-ended"),
    "issuer.status.current": ("现行（不含旧版本）", "Current (no old versions)"),
    "issuer.status.valid": ("有效", "Valid"),
    "issuer.status.suspended": ("已暂停", "Suspended"),
    "issuer.status.revoked": ("已撤销", "Revoked"),
    "issuer.status.superseded": ("已被新版本取代", "Replaced by a new version"),
    "issuer.status.expired": ("已过期", "Expired"),
    "issuer.status.not-yet-valid": ("尚未生效", "Not yet valid"),
    "issuer.action.amend": ("变更", "Amend"),
    "issuer.action.suspend": ("暂停", "Suspend"),
    "issuer.action.resume": ("恢复", "Resume"),
    "issuer.action.revoke": ("撤销", "Revoke"),
    "issuer.dialog.amend": ("变更证照（生成新版本）", "Amend the licence (makes a new version)"),
    "issuer.dialog.suspend": ("暂停证照", "Suspend the licence"),
    "issuer.dialog.resume": ("恢复证照", "Resume the licence"),
    "issuer.dialog.revoke": ("撤销证照（不可恢复）", "Revoke the licence (final)"),
    "issuer.reason": ("原因", "Reason"),
    "issuer.reason.optional": ("原因（可不填）", "Reason (optional)"),
    "issuer.confirm": ("确定", "Confirm"),
    "issuer.done.amend": ("已变更，新版本：", "Amended; new version: "),
    "issuer.done.suspend": ("证照已暂停", "The licence is suspended"),
    "issuer.done.resume": ("证照已恢复", "The licence is valid again"),
    "issuer.done.revoke": ("证照已撤销", "The licence is revoked"),
    "issuer.unchanged": ("没有修改任何内容", "Nothing was changed"),
    "issuer.problem.licence-fields-invalid": (
        "证照内容不符合要求：",
        "The licence contents are not acceptable: ",
    ),
    "issuer.problem.licence-exists": (
        "本部门已签发过该编号的证照，请改用“变更”",
        "You already issued a licence with this number; amend it instead",
    ),
    "issuer.problem.issuer-not-trusted": (
        "本部门未获准签发此类证照",
        "Your department is not trusted to issue this licence type",
    ),
    "issuer.problem.entity-not-found": (
        "平台中没有该企业，请核对统一社会信用代码",
        "No business with this code is registered; check the code",
    ),
    "issuer.problem.entity-deregistered": (
        "该企业已注销或吊销，不能签发证照",
        "The business is deregistered or revoked; no licence can be issued",
    ),
    "issuer.problem.uscc-check": (
        "统一社会信用代码校验位不符，请核对",
        "The unified social credit code's check character is wrong",
    ),
    "issuer.problem.licence-state": (
        "证照当前状态不允许此操作，请刷新列表",
        "The licence's status does not allow this; refresh the list",
    ),
    "issuer.problem.licence-concurrent-change": (
        "证照刚被他人修改，请刷新后重试",
        "Someone changed the licence just now; refresh and try again",
    ),
    "issuer.problem.forbidden-issuer": (
        "这不是本部门签发的证照",
        "This licence was not issued by your department",
    ),
    "issuer.problem.licence-dates-invalid": (
        "有效期不正确（起始日须早于截止日）",
        "The dates are wrong (valid from must be before valid until)",
    ),
}
