"""Words every page uses, and problem types in words a clerk or a business understands."""

from __future__ import annotations

# key -> (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    "app.name": ("企业码 一码通办", "codeid: one code for every licence"),
    "app.tagline": (
        "一码集成电子证照，预约到办结全程无纸化",
        "Book to done with one code, no paper",
    ),
    "nav.home": ("首页", "Home"),
    "nav.portal": ("企业服务", "Business portal"),
    "nav.window": ("窗口工作台", "Clerk window"),
    "nav.kiosk": ("自助取号", "Kiosk"),
    "nav.board": ("叫号大屏", "Display board"),
    "nav.issuer": ("发证部门", "Issuer desk"),
    "nav.admin": ("系统管理", "Administration"),
    "nav.lang": ("English", "中文"),
    "nav.logout": ("退出登录", "Sign out"),
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.as": ("当前用户", "Signed in as"),
    "login.needed": ("请先登录", "Please sign in"),
    "common.loading": ("加载中…", "Loading…"),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.revoke": ("撤销", "Revoke"),
    "common.none": ("暂无", "None"),
    "common.status": ("状态", "Status"),
    "common.done": ("已完成", "Done"),
    "error.network": ("网络连接失败，请重试", "The network failed; please try again"),
    "error.generic": ("操作未成功", "That did not work"),
    # Problem types (urn:codeid:problem:<slug>) in words a clerk or a business understands.
    "problem.code-expired": (
        "二维码已过期，请企业刷新二维码",
        "The code has expired: ask the business to refresh its code",
    ),
    "problem.code-already-used": (
        "该二维码已使用过，请企业刷新二维码",
        "This code was already used: ask the business to refresh its code",
    ),
    "problem.code-bad-signature": (
        "二维码签名不符，可能被篡改或伪造，请人工核验",
        "The code's signature does not match: it may be altered or forged; check by hand",
    ),
    "problem.code-unknown-key": (
        "二维码不是本平台签发的，请人工核验",
        "This code was not issued by this platform; check by hand",
    ),
    "problem.code-key-compromised": (
        "该二维码的签名密钥已泄露，二维码不可信，请企业重新获取企业码",
        "The key that signed this code was compromised: the code cannot be trusted; "
        "ask the business for a new code",
    ),
    "problem.code-revoked": ("该二维码已被撤销", "This code has been revoked"),
    "problem.code-not-codeid": (
        "这不是企业码，请扫描企业码",
        "This is not a business code; scan the business code",
    ),
    "problem.code-malformed": (
        "二维码已损坏，请重新扫描",
        "The code is damaged; scan it again",
    ),
    "problem.code-not-yet-valid": (
        "二维码时间异常，请检查设备时钟",
        "The code's time is off; check the clocks",
    ),
    "problem.code-entity-not-active": (
        "该企业状态异常（注销或吊销），不能办理",
        "The business is not active (deregistered or revoked)",
    ),
    "problem.code-unknown-entity": ("平台中没有该企业", "This business is not in the registry"),
    "problem.code-mandate-revoked": (
        "出示人的授权已撤销或到期，请企业重新授权",
        "The presenter's authorisation was revoked or has ended",
    ),
    "problem.no-code-found": (
        "图片中没有找到二维码，请对准后重试",
        "No QR code found in the picture; aim and try again",
    ),
    "problem.queue-empty": ("当前没有等候的号码", "No one is waiting"),
    "problem.invalid-credentials": ("用户名或密码错误", "Wrong username or password"),
    "problem.token-expired": ("登录已过期，请重新登录", "Your sign-in expired; sign in again"),
    "problem.unauthenticated": ("请先登录", "Please sign in"),
    "problem.forbidden": ("您没有此操作的权限", "You may not do this"),
    "problem.rate-limited": ("请求过于频繁，请稍后再试", "Too many requests; try again shortly"),
    "problem.upload-too-large": ("图片太大", "The picture is too large"),
    "problem.outside-agent-scope": (
        "代理人的授权范围不包括此事项",
        "The agent is not authorised for this service item",
    ),
    "problem.validation": ("请检查填写的内容", "Please check what was entered"),
}
