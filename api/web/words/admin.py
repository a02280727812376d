"""Words of the administration page (/admin).

Refusals are under "admin.problem.<slug>" (admin.js looks there first, then falls back to the
common words), so other pages' words cannot collide.
"""

from __future__ import annotations

# key -> (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    "admin.title": ("系统管理", "Administration"),
    "admin.sections": ("本页内容", "On this page"),
    # Hall set-up
    "admin.hall": ("大厅设置", "Hall set-up"),
    "admin.hall.hint": (
        "整个大厅设置（分类、事项、窗口、营业时间）为一个 JSON 文档；"
        "保存前整体校验，有错误时不会改动任何设置。",
        "The whole hall set-up (categories, items, windows, hours) is one JSON document; it is "
        "checked as a whole before saving, and nothing changes when it has a fault.",
    ),
    "admin.hall.label": ("大厅设置 JSON", "Hall set-up JSON"),
    "admin.hall.save": ("校验并保存", "Check and save"),
    "admin.hall.reload": ("重新载入", "Reload"),
    "admin.hall.none": ("尚未载入大厅设置", "No hall set-up is loaded yet"),
    "admin.hall.json": ("JSON 格式错误：", "This is not valid JSON: "),
    "admin.hall.summary": (
        "已保存：{categories} 个分类、{items} 个事项、{windows} 个窗口",
        "Saved: {categories} categories, {items} items, {windows} windows",
    ),
    # Users
    "admin.users": ("用户", "Users"),
    "admin.users.add": ("新增用户", "Add a user"),
    # Not "用户名"/"密码": the sign-in form's labels stay unique on the page.
    "admin.users.username": ("登录名", "Sign-in name"),
    "admin.users.display": ("姓名", "Display name"),
    "admin.users.role": ("角色", "Role"),
    "admin.users.password": (
        "初始口令（至少 10 位）",
        "Initial passphrase (10 or more characters)",
    ),
    "admin.users.issuer": ("所属发证部门", "Issuing department"),
    "admin.users.windows": ("窗口号（如 1-3,7）", "Windows (e.g. 1-3,7)"),
    "admin.users.windows.bad": (
        "窗口号格式不正确，例如：1-3,7",
        "Windows are numbers or ranges, e.g. 1-3,7",
    ),
    "admin.users.submit": ("新增", "Add"),
    "admin.users.added": ("已新增用户：", "User added: "),
    "admin.users.disable": ("停用", "Disable"),
    "admin.users.enable": ("启用", "Enable"),
    "admin.users.disabled": ("已停用，并已退出所有登录", "Disabled and signed out everywhere"),
    "admin.users.enabled": ("已启用", "Enabled"),
    "admin.users.filter": ("按角色筛选", "Filter by role"),
    "admin.role.all": ("全部角色", "All roles"),
    "admin.role.admin": ("管理员", "Administrator"),
    "admin.role.issuer": ("发证部门", "Issuer"),
    "admin.role.clerk": ("窗口人员", "Clerk"),
    "admin.role.business": ("企业用户", "Business user"),
    "admin.status.active": ("正常", "Active"),
    "admin.status.disabled": ("已停用", "Disabled"),
    "admin.col.username": ("登录名", "Sign-in name"),
    "admin.col.name": ("姓名", "Name"),
    "admin.col.role": ("角色", "Role"),
    "admin.col.issuer": ("部门", "Department"),
    "admin.col.status": ("状态", "Status"),
    "admin.col.actions": ("操作", "Actions"),
    # Partner clients
    "admin.clients": ("合作方接入", "Partner clients"),
    "admin.clients.hint": (
        "银行等合作方用 OAuth 2.0 客户端凭据接入；密钥只在创建时显示一次，平台只保存其摘要。",
        "Partners such as banks connect with OAuth 2.0 client credentials; the secret is "
        "shown once, when the client is made, and only its hash is kept.",
    ),
    "admin.clients.name": ("合作方名称", "Partner's name"),
    "admin.clients.scopes": ("允许的权限", "Allowed scopes"),
    "admin.clients.rate": ("每分钟调用上限", "Calls a minute"),
    "admin.clients.submit": ("创建客户端", "Create the client"),
    "admin.clients.secret": ("客户端密钥（只显示这一次）", "Client secret (shown only now)"),
    "admin.clients.secret.warn": (
        "请立即复制并安全交付给合作方；关闭后无法再次查看，只能停用后重新创建。",
        "Copy it now and hand it over safely: it cannot be shown again; if lost, disable the "
        "client and make a new one.",
    ),
    "admin.clients.copy": ("复制密钥", "Copy the secret"),
    "admin.clients.copied": ("已复制", "Copied"),
    "admin.clients.kept": ("我已保存，关闭", "I have kept it; close"),
    "admin.clients.disable": ("停用", "Disable"),
    "admin.clients.disabled": (
        "客户端已停用，其令牌立即失效",
        "The client is disabled; its tokens stop working",
    ),
    "admin.clients.none_scope": ("请至少选择一项权限", "Choose at least one scope"),
    "admin.scope.codes:verify": ("核验企业码", "Verify business codes"),
    "admin.scope.licences:verify": ("核验证照", "Verify licences"),
    "admin.scope.licences:read": ("读取已授权的证照", "Read consented licences"),
    "admin.col.client_id": ("客户端 ID", "Client ID"),
    "admin.col.scopes": ("权限", "Scopes"),
    "admin.col.rate": ("限流", "Rate"),
    "admin.col.created": ("创建时间", "Created"),
    # Keys
    "admin.keys": ("签名密钥", "Signing keys"),
    "admin.keys.hint": (
        "轮换后新密钥开始签名，旧密钥转为“仅验证”，已签发的企业码和登录令牌仍然有效。",
        "After a rotation the new key signs; the old one turns verify-only, so codes and "
        "sign-ins it signed stay valid.",
    ),
    "admin.ring.platform": ("企业码签名密钥", "Business code keys"),
    "admin.ring.auth": ("登录令牌签名密钥", "Sign-in token keys"),
    "admin.keys.rotate": ("轮换", "Rotate"),
    "admin.keys.confirm": ("确定要轮换“{ring}”吗？", "Rotate the {ring}?"),
    "admin.keys.rotated": ("已轮换，新密钥：", "Rotated; the new key: "),
    "admin.key.active": ("签名中", "Signing"),
    "admin.key.verify-only": ("仅验证", "Verify only"),
    "admin.key.retired": ("已停用", "Retired"),
    "admin.key.compromised": ("已泄露（停止信任）", "Compromised (not trusted)"),
    "admin.col.kid": ("密钥 ID", "Key ID"),
    "admin.col.rotated": ("轮换时间", "Rotated"),
    # Access log
    "admin.log": ("访问日志", "Access log"),
    "admin.log.hint": (
        "每次读取企业数据都会记录：谁、代表谁、为何、读取了哪些字段（只记字段名，不记内容）。",
        "Every read of a business's data is logged: who, for whom, why, which fields (names "
        "only, never values).",
    ),
    "admin.log.uscc": ("企业代码", "Business code"),
    "admin.log.actor": ("访问者（如 user:12）", "Actor (e.g. user:12)"),
    "admin.log.action": ("操作（如 entity.read）", "Action (e.g. entity.read)"),
    "admin.log.outcome": ("结果（ok 或拒绝原因）", "Outcome (ok or a refusal)"),
    "admin.log.since": ("起始时间", "From"),
    "admin.log.until": ("截止时间", "Until"),
    "admin.log.search": ("查询", "Search"),
    "admin.log.more": ("加载更多", "Load more"),
    "admin.log.empty": ("没有符合条件的记录", "No entries match"),
    "admin.log.verify": ("校验日志完整性", "Check the log's integrity"),
    "admin.log.intact": ("日志完整，共校验 {n} 条", "The log is intact; {n} entries checked"),
    "admin.log.broken": (
        "日志在第 {id} 条处被篡改或删除：{reason}",
        "The log was altered or cut at entry {id}: {reason}",
    ),
    "admin.col.at": ("时间", "Time"),
    "admin.col.actor": ("访问者", "Actor"),
    "admin.col.action": ("操作", "Action"),
    "admin.col.subject": ("企业", "Business"),
    "admin.col.fields": ("字段", "Fields"),
    "admin.col.outcome": ("结果", "Outcome"),
    "admin.col.purpose": ("用途", "Purpose"),
    "admin.confirm": ("确定", "Confirm"),
    # Refusals in words
    "admin.problem.hall-invalid": (
        "大厅设置有以下问题，未保存：",
        "The hall set-up was not saved:",
    ),
    "admin.problem.username-taken": ("该用户名已被使用", "This username is taken"),
    "admin.problem.weak-password": (
        "口令太弱：至少 10 位，且至少含 5 个不同的字符",
        "The passphrase is too weak: 10 or more characters, 5 or more different ones",
    ),
    "admin.problem.window-not-found": (
        "大厅中没有该窗口号",
        "There is no such window in the hall",
    ),
    "admin.problem.issuer-not-found": (
        "没有该发证部门，请先登记部门",
        "No such issuing department; register it first",
    ),
    "admin.problem.invalid-scope": ("权限名称不正确", "Unknown scope"),
    "admin.problem.client-not-found": ("没有该客户端", "No such client"),
    "admin.problem.key-state-conflict": (
        "另一位管理员刚刚轮换了密钥，请刷新后重试",
        "Another administrator rotated the key just now; refresh and try again",
    ),
    "admin.problem.uscc-check": (
        "企业代码校验位不符，请核对",
        "The business code's check character is wrong",
    ),
}
